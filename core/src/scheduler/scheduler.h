#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plexus/plugin_registry.h"
#include "runtime/endpoint.h"
#include "runtime/event_loop.h"
#include "scheduler/monitor.h"
#include "scheduler/scheduler_config.h"
#include "scheduler/scheduler_core.h"

namespace plexus::detail {

/// Counts describing a scheduler at one moment (for monitoring and tests).
struct SchedulerSnapshot {
    std::size_t clients = 0;
    std::size_t workers = 0;
    std::size_t tasks = 0;  ///< held: queued, assigned or being cancelled
    std::size_t queuedTasks = 0;
    std::size_t heldClients = 0;  ///< clients whose queued tasks wait (flow control)
    std::size_t graphs = 0;
    std::size_t objects = 0;
    std::size_t objectBytes = 0;
    std::uint64_t refusedMessages = 0;
    std::uint64_t resultsDelivered = 0;  ///< TaskResults sent to clients, ever
};

/// The scheduler process: plugins, endpoints and the event loop around a SchedulerCore.
///
/// Threads: the event loop runs on the I/O thread of the first endpoint's transport, which
/// hands its frames to the core inline; every other endpoint's I/O thread decodes and posts
/// batches to the loop. run() blocks the calling thread until stop(), which is thread-safe (used
/// from a signal watcher).
class Scheduler final : public EndpointListener, public Outbox {
  public:
    explicit Scheduler(SchedulerConfig config);
    ~Scheduler() override;

    /// Loads the plugins and binds every endpoint, then the monitor's (if enabled). Returns the
    /// endpoints' bound addresses, in config order.
    Result<std::vector<std::string>> start();
    /// Where the monitor stream is published (port 0 resolved), or "" without a monitor. Set by
    /// start().
    const std::string& monitorAddress() const;
    /// Runs the event loop until stop() or a cluster shutdown.
    void run();
    void stop();
    /// The current counts. Thread-safe: from another thread it asks the loop and waits for the
    /// answer (so run() must be running there).
    SchedulerSnapshot snapshot();

    // EndpointListener (loop thread)
    void onPeerConnected(std::uint32_t endpoint, const PeerId& peer) override;
    void onPeerDisconnected(std::uint32_t endpoint, const PeerId& peer,
                            const Error& reason) override;
    void onMessage(std::uint32_t endpoint, const PeerId& peer, Message message,
                   Buffer frame) override;
    void onPeerBackpressure(std::uint32_t endpoint, const PeerId& peer, bool congested) override;

    // Outbox (loop thread)
    void send(const PeerAddress& to, const Message& message) override;
    void forward(const PeerAddress& to, std::uint32_t from, const Message& message,
                 const Buffer& frame) override;
    void forwardFrame(const PeerAddress& to, std::uint32_t from, const Buffer& frame) override;
    void requestStop() override;

  private:
    SchedulerConfig config_;
    // Declaration order is destruction order reversed: the registry outlives the endpoints whose
    // transports and codecs its plugins made, and the loop outlives the endpoints posting to it.
    PluginRegistry registry_;
    EventLoop loop_;
    Identity identity_;
    SchedulerCore core_;
    std::vector<std::unique_ptr<Endpoint>> endpoints_;
    std::unique_ptr<Monitor> monitor_;  // null without a monitor; the core observes through it
};

}  // namespace plexus::detail
