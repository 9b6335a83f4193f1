#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "plexus/messages.h"
#include "scheduler/object_manager.h"
#include "scheduler/outbox.h"
#include "scheduler/requeue_policy.h"
#include "scheduler/task_id.h"
#include "scheduler/worker_pool.h"

namespace plexus::detail {

/// One task the scheduler holds, from submission until its result is delivered. Only what
/// routing needs is kept beside the client's encoded Task: the full Task is decoded again from
/// the frame where it is needed (forwarding to an endpoint with another codec).
struct TaskRecord {
    enum class State { queued, assigned, canceling };
    /// A function object id shared by the tasks that call it, with its routing key.
    struct Function {
        RoutingKey key;
        std::size_t tasks = 0;  ///< records referring to it; it goes at 0
    };
    using FunctionEntry = std::pair<const Bytes, Function>;
    /// What only a task without a frame has: one the scheduler built, e.g. a graph node.
    struct Built {
        Task task;
        Bytes graph;  ///< the graph it is a node of, or empty
    };

    const TaskId* id = nullptr;    ///< the TaskManager's key for it (or the asker's, for notFound)
    std::unique_ptr<Built> built;  ///< only for a task without a frame
    Buffer frame;                  ///< the client's encoded Task, forwarded unchanged if possible
    const Identity* client = nullptr;         ///< interned by the TaskManager; never null
    const FunctionEntry* function = nullptr;  ///< interned by the TaskManager
    const Identity* worker = nullptr;         ///< the pool's, while assigned or canceling
    /// While queued: its queue order, and which queue entry is current. Once assigned: when it
    /// was sent to its worker (a counter, not a time).
    std::uint64_t sequence = 0;
    std::uint32_t frameEndpoint = 0;
    std::uint32_t retries = 0;  ///< times a worker died while (judged) executing it
    State state = State::queued;
    bool clientGone = false;  ///< its client left: the outcome is dropped, not delivered

    Bytes taskId() const { return id->str(); }
    /// Its worker's identity, or empty.
    const Identity& workerId() const;
    const Bytes& funcObjectId() const;
    const RoutingKey& key() const;
    /// The graph it is a node of, or null.
    const Bytes* graph() const { return built && !built->graph.empty() ? &built->graph : nullptr; }
};

/// Why a worker is gone: it asked to leave (its tasks are given back), or it died (went silent
/// past the worker timeout; the RequeuePolicy decides).
enum class WorkerExit { left, died };

/// Told when a task reaches its end. Loop thread.
class TaskListener {
  public:
    virtual ~TaskListener() = default;
    /// `result` is final for `record`. `frame` is the worker's encoded TaskResult when it can be
    /// forwarded as is (null for results the scheduler made itself), received on `frameEndpoint`.
    virtual void taskFinished(const TaskRecord& record, const TaskResult& result,
                              const Buffer* frame, std::uint32_t frameEndpoint) = 0;
};

/// Told of every state a task enters, for monitoring. Loop thread; must not call back into the
/// TaskManager.
class TaskObserver {
  public:
    virtual ~TaskObserver() = default;
    /// `record` is now TaskStatus::inactive (queued), running (assigned to `record.workerId()`) or
    /// canceling.
    virtual void taskEntered(const TaskRecord& record, TaskStatus status) = 0;
    /// `record` ended with `result`: once per task, whether or not the outcome is delivered.
    virtual void taskEnded(const TaskRecord& record, const TaskResult& result) = 0;
};

/// The task channel: queues tasks, assigns each to the least loaded worker that can run it and
/// has room, re-queues (or fails, per the RequeuePolicy) the tasks of a worker that is gone, and
/// cancels. Only the worker a task is assigned to may answer it: a late answer from a worker
/// presumed dead is dropped (and the result objects it names deleted), so a client sees every
/// task finish once. Loop thread only.
///
/// Which tasks of a dead worker were executing: a worker runs the tasks it holds in the order
/// they were sent, `executors` at a time (WorkerPool::Worker::executors, at least 1), so the
/// `executors` tasks sent to it longest ago and not yet answered are taken as the executing
/// ones. It is an estimate (a plexus worker starts a task whose arguments are cached before an
/// older one still fetching; a stock worker orders by priority), which is why only the retry
/// count relies on it and `fail` does not.
class TaskManager {
  public:
    TaskManager(Outbox& outbox, WorkerPool& workers, ObjectManager& objects, TaskListener& listener,
                RequeuePolicy policy);

    /// Accepts a task. `frame` may be empty (a task the scheduler built, such as a graph node).
    void submit(const Identity& client, Task task, Buffer frame, std::uint32_t frameEndpoint,
                Bytes graph = {});
    /// A worker's answer for one of its tasks.
    void onResult(const PeerAddress& worker, TaskResult result, const Buffer& frame,
                  std::uint32_t frameEndpoint);
    /// A client's cancel; answers the client itself for a task that was only queued.
    void cancel(const Identity& client, const TaskCancel& request);
    /// Cancels a task without a client asking (graph failure); its outcome is not delivered.
    void abandon(const Bytes& taskId);

    /// A worker registered (new, or back after being declared dead): if it is one that was
    /// declared dead, it is told to drop the tasks it held then (they were re-run or ended
    /// elsewhere); then it gets queued work.
    void onWorkerJoined(const Identity& worker);
    /// A worker announced functions or has room again: give it queued work.
    void dispatchTo(const Identity& worker);
    /// A worker is gone: its tasks go back to the front of the queue in the order they were sent
    /// to it, or end with workerDied (see RequeuePolicy). Call while it is still in the pool
    /// (its executor count is read).
    void onWorkerGone(const Identity& worker, WorkerExit how);
    /// A client left: its tasks are cancelled and their outcomes dropped.
    void onClientGone(const Identity& client);
    /// Holds or releases a client's tasks. While held, its queued tasks stay queued (in order,
    /// costing only their records) and none is given to a worker; tasks already assigned run on.
    /// Releasing puts them back at the head of their queues, in order, and dispatches. Returns
    /// true if that changed the client's state.
    bool setClientHeld(const Identity& client, bool held);
    bool clientHeld(const Identity& client) const {
        return !held_.empty() && held_.contains(client);
    }
    std::size_t heldClients() const { return held_.size(); }

    /// Monitoring; null (the default) for none. Not owned; must outlive this or be reset.
    void setObserver(TaskObserver* observer) { observer_ = observer; }

    const TaskRecord* find(const Bytes& taskId) const;
    std::size_t size() const { return tasks_.size(); }
    std::size_t queuedCount() const;
    std::size_t tasksOf(const Identity& client) const;

  private:
    void enqueue(TaskRecord& record, bool front);
    void assign(TaskRecord& record, WorkerPool::Worker& worker);
    void finish(const TaskId& taskId, const TaskResult& result, const Buffer* frame,
                std::uint32_t frameEndpoint);
    /// Ends a task of a dead worker with workerDied and a result object holding `why`.
    void finishWorkerDied(const TaskId& taskId, const std::string& why);
    /// Deletes the result objects of a result nobody will receive (stale, or for a client
    /// that left), so they do not stay in the store forever.
    void dropResultObjects(const TaskResult& result);
    void rememberDeadWorker(const Identity& worker, std::vector<Bytes> held);
    void releaseWorkerSlot(TaskRecord& record);
    using QueueEntry = std::pair<std::uint64_t, TaskId>;  // (sequence, task id)
    using Queue = std::deque<QueueEntry>;
    Queue* oldestQueueFor(const WorkerPool::Worker& worker);
    bool isCurrent(const QueueEntry& entry) const;
    /// Drops a finished record's references to its interned client and function.
    void releaseInterned(const Identity* client, const TaskRecord::FunctionEntry* function);
    /// The least loaded worker that can take `record` now: none while its client is held.
    WorkerPool::Worker* pickFor(const TaskRecord& record);

    Outbox& outbox_;
    WorkerPool& workers_;
    ObjectManager& objects_;
    TaskListener& listener_;
    const RequeuePolicy policy_;
    std::unordered_map<TaskId, TaskRecord> tasks_;
    // Per routing key, queued tasks in order as (sequence, task id). Entries whose task is no
    // longer queued with that sequence (cancelled, re-assigned) are skipped when reached.
    // Sequences order all queues as one: a task put at the back gets the next number up from
    // the middle of the range, one put at the front the next number down, so comparing the
    // heads of two queues tells which task would come first in a single queue.
    std::unordered_map<RoutingKey, Queue> queues_;
    std::unordered_map<Identity, std::unordered_set<TaskId>> byWorker_;
    // Interned: each client's identity with its count of tasks, each function object id with its
    // routing key. Records point at the entries (unordered_map nodes do not move); an entry goes
    // when its last record has finished. A leaving client's tasks are found by a scan of tasks_.
    std::unordered_map<Identity, std::size_t> clients_;
    std::unordered_map<Bytes, TaskRecord::Function> functions_;
    // The tasks each recently dead worker held, oldest death first, for when it comes back.
    std::deque<std::pair<Identity, std::vector<Bytes>>> deadWorkers_;
    std::uint64_t nextSequence_ = std::uint64_t{1} << 63;
    std::uint64_t nextFrontSequence_ = (std::uint64_t{1} << 63) - 1;
    TaskObserver* observer_ = nullptr;
    std::uint64_t nextDispatch_ = 1;
    // Held clients, and the queue entries of theirs that reached a queue's head while held
    // (moved aside, in order, so that the tasks of others behind them can go).
    std::unordered_set<Identity> held_;
    std::unordered_map<Identity, std::vector<QueueEntry>> parked_;
};

}  // namespace plexus::detail
