#pragma once

// A scheduler played by the test: listens with a real transport plugin and codec plugin (loaded
// through the real registry), collects what peers send, and sends what the test tells it to.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plexus/codec.h"
#include "plexus/messages.h"
#include "plexus/plugin_registry.h"
#include "plexus/transport.h"

namespace plexus::test {

/// Thread-safety: the test thread calls send() and the waits while the transport's I/O thread
/// delivers frames. Heartbeats are answered on the I/O thread while autoEcho is on, and counted
/// rather than queued (so waits for other kinds never see them).
class FakeScheduler final : public TransportHandler {
  public:
    FakeScheduler(const std::string& transport = "tcp", const std::string& codec = "capnp");
    ~FakeScheduler() override;

    /// The bound address ("tcp://127.0.0.1:<port>").
    const std::string& address() const { return address_; }
    /// Sends to the (one) worker that has spoken to us.
    void send(const Message& message);
    void setAutoEcho(bool on) { autoEcho_ = on; }

    /// The next message of any kind but a heartbeat, in arrival order, or nothing after `timeout`.
    std::optional<Message> next(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// The next message of `kind`, dropping the others before it.
    std::optional<Message> waitFor(MessageKind kind,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Waits until at least `count` heartbeats arrived in total.
    bool waitForHeartbeats(std::uint64_t count,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::uint64_t heartbeats() const;
    /// For each heartbeat so far, the kind of the message that arrived just before it (nothing
    /// for a heartbeat that came first), to check what precedes every heartbeat.
    std::vector<std::optional<MessageKind>> kindsBeforeHeartbeats() const;
    /// Messages that arrive with every heartbeat round (heartbeats, capabilities): kept here,
    /// in order, rather than in the queue next() reads.
    std::vector<Message> background() const;
    /// True when the worker's link is up.
    bool connected() const;

    void onConnected(const PeerId& peer) override;
    void onDisconnected(const PeerId& peer, const Error& reason) override;
    void onFrame(const PeerId& peer, Buffer frame) override;

  private:
    std::unique_ptr<PluginRegistry> registry_;
    Identity identity_;
    std::unique_ptr<Codec> codec_;
    std::string address_;
    std::atomic<bool> autoEcho_{true};
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    PeerId worker_;                    // guarded by mutex_
    bool connected_ = false;           // guarded by mutex_
    std::deque<Message> received_;     // guarded by mutex_; heartbeats excluded
    std::uint64_t heartbeats_ = 0;     // guarded by mutex_
    std::vector<Message> background_;  // guarded by mutex_
    std::vector<std::optional<MessageKind>> beforeHeartbeat_;  // guarded by mutex_
    std::optional<MessageKind> lastKind_;                      // guarded by mutex_
    std::unique_ptr<Transport> transport_;                     // last: destroyed first
};

}  // namespace plexus::test
