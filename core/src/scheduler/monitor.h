#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plexus/messages.h"
#include "plexus/plugin_registry.h"
#include "runtime/endpoint.h"
#include "runtime/event_loop.h"
#include "scheduler/monitor_publisher.h"
#include "scheduler/process_usage.h"
#include "scheduler/scheduler_config.h"
#include "scheduler/scheduler_core.h"

namespace plexus::detail {

/// Publishes Scaler 1.9.9's monitor stream, which stock `scaler_top` and `scaler_ui` read:
///  - StateScheduler at each publishState() (every `interval`), built from the core's state:
///    message counts, this process's CPU and memory, clients and their task counts, objects,
///    task counts, and one WorkerStatus per worker (its last heartbeat, its assigned tasks);
///  - StateWorker "connected" / "disconnected" as workers come and go;
///  - StateTask as each task is queued (inactive), assigned (running), cancelled (canceling) and
///    when it ends (its final status, with the worker's profiling metadata).
/// Published on one endpoint of its own (a transport in a publishing pattern: zmq's `pub`), to
/// every subscriber; nothing is received.
///
/// Threads and cost: everything here runs on the scheduler's event loop (the SchedulerObserver
/// calls, publishState(), flush(), count*()), except encoding and sending, which a
/// MonitorPublisher does on its own thread. The loop only builds small value messages and
/// collects them; flush() (every ~100 ms) hands the collected batch over in one step. When the
/// publisher falls behind, or more than kMaxPending messages collect between two flushes, new
/// messages are dropped, counted and reported in the log: a monitor stream is lossy anyway (a PUB
/// drops for slow subscribers), and the scheduler must neither slow down nor grow for it.
class Monitor final : public SchedulerObserver, private EndpointListener {
  public:
    /// Messages collected between two flushes, and waiting in the publisher, beyond which new
    /// ones are dropped. A StateTask takes about 260 bytes, so this bounds each to ~26 MB, and a
    /// flush every 100 ms passes it only past a million task state changes per second.
    static constexpr std::size_t kMaxPending = 100'000;

    /// Loads the configured plugins and binds `config.address` with the transport option
    /// `pattern: pub`. `core` and `loop` must outlive the monitor; `registry` must outlive it too.
    static Result<std::unique_ptr<Monitor>> start(const MonitorConfig& config,
                                                  PluginRegistry& registry,
                                                  const Identity& identity,
                                                  std::size_t maxFrameBytes, EventLoop& loop,
                                                  const SchedulerCore& core);
    ~Monitor() override;

    /// The bound address (port 0 resolved).
    const std::string& address() const { return address_; }

    /// Publishes a StateScheduler for the core's state at `now`, after what was collected.
    void publishState(Clock::time_point now);
    /// Hands what was collected to the publisher.
    void flush();
    /// A message the scheduler received or sent (StateScheduler.binder).
    void countReceived(MessageKind kind) { ++received_[static_cast<std::size_t>(kind)]; }
    void countSent(MessageKind kind) { ++sent_[static_cast<std::size_t>(kind)]; }

    // SchedulerObserver (loop thread)
    void taskEntered(const TaskRecord& record, TaskStatus status) override;
    void taskEnded(const TaskRecord& record, const TaskResult& result) override;
    void workerConnected(const Identity& worker) override;
    void workerHeartbeat(const Identity& worker, const WorkerHeartbeat& heartbeat) override;
    void workerDisconnected(const Identity& worker) override;

  private:
    explicit Monitor(const SchedulerCore& core) : core_(core) {}
    void add(Message message);
    StateScheduler stateOf(Clock::time_point now);
    Bytes functionName(const TaskRecord& record) const;

    // EndpointListener: a publishing transport reports nothing.
    void onPeerConnected(std::uint32_t, const PeerId&) override {}
    void onPeerDisconnected(std::uint32_t, const PeerId&, const Error&) override {}
    void onMessage(std::uint32_t, const PeerId&, Message, Buffer) override {}

    const SchedulerCore& core_;
    std::string address_;
    std::array<std::uint32_t, kMessageKindCount> received_{};
    std::array<std::uint32_t, kMessageKindCount> sent_{};
    TaskManagerStatus ended_;  ///< success, failed, canceled, notFound: tasks ended so far
    std::unordered_map<Identity, WorkerHeartbeat> heartbeats_;  ///< each worker's last one
    ProcessUsage usage_;
    std::vector<Message> pending_;  ///< collected since the last flush
    std::uint64_t dropped_ = 0;     ///< since the last report in the log
    // Destroyed in reverse: the publisher's thread stops before the endpoint it sends through.
    std::unique_ptr<Endpoint> endpoint_;
    std::unique_ptr<MonitorPublisher> publisher_;
};

}  // namespace plexus::detail
