#pragma once

#include <chrono>
#include <cstdint>

#include "plexus/messages.h"
#include "scheduler/flow_control.h"
#include "scheduler/graph_manager.h"
#include "scheduler/object_manager.h"
#include "scheduler/outbox.h"
#include "scheduler/peer_registry.h"
#include "scheduler/requeue_policy.h"
#include "scheduler/task_manager.h"
#include "scheduler/worker_pool.h"

namespace plexus::detail {

struct SchedulerSettings {
    Clock::duration clientTimeout = std::chrono::seconds(60);
    Clock::duration workerTimeout = std::chrono::seconds(60);
    std::uint32_t perWorkerQueueSize = 1000;
    bool protectedMode = false;
    RequeuePolicy requeue;
    /// See SchedulerConfig::unfetchedResultsHighBytes; high 0: off.
    std::size_t unfetchedResultsHighBytes = std::size_t{64} << 20;
    std::size_t unfetchedResultsLowBytes = std::size_t{16} << 20;
};

/// Told what the scheduler's logic does, for monitoring (the Monitor): task states (TaskObserver)
/// and workers coming and going. Loop thread, synchronously from inside SchedulerCore; must not
/// call back into it.
class SchedulerObserver : public TaskObserver {
  public:
    /// A worker is registered (its first heartbeat, capabilities or result).
    virtual void workerConnected(const Identity& worker) = 0;
    /// Every heartbeat of a registered worker, as received.
    virtual void workerHeartbeat(const Identity& worker, const WorkerHeartbeat& heartbeat) = 0;
    /// A worker left or timed out; its tasks are re-queued after this call.
    virtual void workerDisconnected(const Identity& worker) = 0;
};

/// The scheduler's logic: who is connected, and what every message means. It never touches a
/// socket or a clock: messages and the time come in as arguments, and everything it says goes
/// out through the Outbox. So it runs single-threaded on the event loop, and tests drive it with
/// a fake clock.
///
/// Peers are known by identity. A peer becomes a client or a worker with its first heartbeat (or
/// first message only its role sends); messages only the other role sends are refused with a
/// logged reason, and so are messages a scheduler never receives.
///
/// Flow control (see FlowControl): a client whose link is congested, or that announced it fetches
/// results eagerly (ClientCapabilities) and leaves more than the configured bytes of them
/// unfetched, is held: its queued tasks wait and only its tasks already at workers finish. A
/// worker whose link is congested gets no new task. A peer whose link its transport closed as
/// Overloaded is gone at once: a client as if it had left, a worker as if it had died.
class SchedulerCore final : private TaskListener {
  public:
    SchedulerCore(const SchedulerSettings& settings, Outbox& outbox);

    void onMessage(const PeerAddress& from, Message message, const Buffer& frame,
                   Clock::time_point now);
    void onPeerDisconnected(const PeerAddress& peer, const Error& reason, Clock::time_point now);
    /// The transport's congestion report for the link of `peer` (Endpoint::onBackpressure).
    void onPeerBackpressure(const PeerAddress& peer, bool congested, Clock::time_point now);
    /// Periodic housekeeping (about once a second): forgets silent peers.
    void onTick(Clock::time_point now);
    /// Monitoring; null (the default) for none, which costs nothing. Not owned; must outlive
    /// this or be reset to null first.
    void setObserver(SchedulerObserver* observer);

    const PeerRegistry& clients() const { return clients_; }
    const PeerRegistry& workers() const { return workers_; }
    const ObjectManager& objects() const { return objects_; }
    const TaskManager& tasks() const { return tasks_; }
    const GraphManager& graphs() const { return graphs_; }
    const WorkerPool& pool() const { return pool_; }
    /// Messages refused because they were not valid from their sender.
    std::uint64_t refusedMessages() const { return refused_; }
    /// TaskResults sent to clients: one per task or graph that ends, plus the answers to cancels
    /// of tasks the scheduler does not know.
    std::uint64_t resultsDelivered() const { return delivered_; }
    bool shuttingDown() const { return shuttingDown_; }

  private:
    void onClientHeartbeat(const PeerAddress& from, Clock::time_point now);
    void onWorkerHeartbeat(const PeerAddress& from, const WorkerHeartbeat& heartbeat,
                           Clock::time_point now);
    void onObjectInstruction(const PeerAddress& from, ObjectInstruction instruction);
    void onTaskCancel(const PeerAddress& from, const TaskCancel& cancel);
    void onDisconnectRequest(const PeerAddress& from, const DisconnectRequest& request);
    void onClientDisconnect(const PeerAddress& from, const ClientDisconnect& request);
    void onWorkerCapabilities(const PeerAddress& from, WorkerCapabilities capabilities,
                              Clock::time_point now);
    void onClientCapabilities(const PeerAddress& from, const ClientCapabilities& capabilities);
    void registerWorker(const PeerAddress& from, Clock::time_point now);
    void clientGone(const Identity& client, std::string_view why);
    void workerGone(const Identity& worker, WorkerExit how, std::string_view why);
    void refuse(const PeerAddress& from, MessageKind kind, std::string_view why);
    /// True for a client whose unfetched results count against it (FlowControl).
    static bool fetchesEagerly(const PeerRegistry::Peer& client) {
        return (client.features & ClientCapabilities::kFetchesResultsEagerly) != 0;
    }
    /// Holds or releases `peer` as FlowControl says now.
    void updateHold(const Identity& peer);
    void deliver(const Identity& client, const TaskResult& result, const Buffer* frame,
                 std::uint32_t frameEndpoint);

    // TaskListener
    void taskFinished(const TaskRecord& record, const TaskResult& result, const Buffer* frame,
                      std::uint32_t frameEndpoint) override;

    SchedulerSettings settings_;
    Outbox& outbox_;
    PeerRegistry clients_;
    PeerRegistry workers_;
    WorkerPool pool_;
    ObjectManager objects_;
    TaskManager tasks_;
    GraphManager graphs_;
    FlowControl flow_;
    std::uint64_t refused_ = 0;
    std::uint64_t delivered_ = 0;
    bool shuttingDown_ = false;
    SchedulerObserver* observer_ = nullptr;
};

}  // namespace plexus::detail
