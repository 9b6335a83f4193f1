#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "plexus/messages.h"
#include "scheduler/outbox.h"
#include "scheduler/worker_pool.h"

namespace plexus::detail {

/// One task the scheduler holds, from submission until its result is delivered.
struct TaskRecord {
    enum class State { queued, assigned, canceling };

    Task task;
    Buffer frame;  ///< the client's encoded Task, forwarded unchanged if possible
    std::uint32_t frameEndpoint = 0;
    Identity client;
    RoutingKey key;
    State state = State::queued;
    Identity worker;             ///< while assigned or canceling
    std::uint64_t sequence = 0;  ///< submission order, and the queue entry that is current
    Bytes graph;                 ///< the graph this task is a node of, or empty
    bool clientGone = false;     ///< its client left: the outcome is dropped, not delivered
};

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
    /// `record` is now TaskStatus::inactive (queued), running (assigned to `record.worker`) or
    /// canceling.
    virtual void taskEntered(const TaskRecord& record, TaskStatus status) = 0;
    /// `record` ended with `result`: once per task, whether or not the outcome is delivered.
    virtual void taskEnded(const TaskRecord& record, const TaskResult& result) = 0;
};

/// The task channel: queues tasks, assigns each to the least loaded worker that can run it and
/// has room, re-queues the tasks of a worker that left, and cancels. Only the worker a task is
/// assigned to may answer it: a late answer from a worker presumed dead is dropped, so a client
/// sees every task finish once. Loop thread only.
class TaskManager {
  public:
    TaskManager(Outbox& outbox, WorkerPool& workers, TaskListener& listener);

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

    /// A worker joined, announced functions, or has room again: give it queued work.
    void dispatchTo(const Identity& worker);
    /// A worker left: its tasks go back to the front of the queue.
    void onWorkerGone(const Identity& worker);
    /// A client left: its tasks are cancelled and their outcomes dropped.
    void onClientGone(const Identity& client);

    /// Monitoring; null (the default) for none. Not owned; must outlive this or be reset.
    void setObserver(TaskObserver* observer) { observer_ = observer; }

    const TaskRecord* find(const Bytes& taskId) const;
    std::size_t size() const { return tasks_.size(); }
    std::size_t queuedCount() const;
    std::size_t tasksOf(const Identity& client) const;

  private:
    void enqueue(TaskRecord& record, bool front);
    void assign(TaskRecord& record, WorkerPool::Worker& worker);
    void finish(const Bytes& taskId, const TaskResult& result, const Buffer* frame,
                std::uint32_t frameEndpoint);
    void releaseWorkerSlot(TaskRecord& record);
    TaskRecord* popQueued(const RoutingKey& key);
    std::deque<std::pair<std::uint64_t, Bytes>>* oldestQueueFor(const WorkerPool::Worker& worker);

    Outbox& outbox_;
    WorkerPool& workers_;
    TaskListener& listener_;
    std::unordered_map<Bytes, TaskRecord> tasks_;
    // Per routing key, queued tasks in order as (sequence, task id). Entries whose task is no
    // longer queued with that sequence (cancelled, re-assigned) are skipped when reached.
    std::unordered_map<RoutingKey, std::deque<std::pair<std::uint64_t, Bytes>>> queues_;
    std::unordered_map<Identity, std::unordered_set<Bytes>> byWorker_;
    std::unordered_map<Identity, std::unordered_set<Bytes>> byClient_;
    std::uint64_t nextSequence_ = 1;
    TaskObserver* observer_ = nullptr;
};

}  // namespace plexus::detail
