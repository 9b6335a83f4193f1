#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "plexus/buffer.h"
#include "plexus/identity.h"
#include "plexus/messages.h"
#include "plexus/task_library.h"
#include "worker/task_libraries.h"

namespace plexus::detail {

using WorkerClock = std::chrono::steady_clock;

/// A task whose arguments are all here, handed to an executor. The Buffers keep the argument
/// bytes alive for the whole call, even if the cache evicts them meanwhile.
struct TaskJob {
    Bytes taskId;
    std::string functionName;                ///< what `function` is registered as
    const TaskFunction* function = nullptr;  ///< owned by TaskLibraries, which outlives every job
    std::vector<Buffer> arguments;
};

/// What a task function produced: its result bytes, or the text of what it threw.
struct TaskOutcome {
    bool success = false;
    std::string bytes;
};

/// Calls `job.function` with views over its arguments and catches whatever it throws. Runs on an
/// executor thread.
TaskOutcome runTaskJob(const TaskJob& job) noexcept;

/// What WorkerCore needs from the process around it. Called on the loop thread only.
class WorkerOutbox {
  public:
    virtual ~WorkerOutbox() = default;
    /// Sends to the scheduler. Messages go out in call order on one link.
    virtual void send(const Message& message) = 0;
    /// Runs `job` on an executor; the result comes back through WorkerCore::onTaskFinished on
    /// the loop thread. Jobs start in call order. Called at most `executors * jobsPerExecutor`
    /// times without an onTaskFinished (or a successful withdraw()) in between: jobs beyond the
    /// `executors` running wait at the executors, so an executor runs them back to back.
    virtual void execute(TaskJob job) = 0;
    /// Takes back the job `taskId` if it has not started: true if it never will (and no
    /// onTaskFinished follows for it), false if it has started. By default jobs cannot be taken
    /// back.
    virtual bool withdraw(const Bytes& taskId) {
        (void)taskId;
        return false;
    }
    /// The running job `taskId` was cancelled and its result will be dropped: stop it if the
    /// executor can (a task process is killed; a thread cannot be interrupted, so by default
    /// nothing happens). onTaskFinished still follows for it.
    virtual void cancelRunning(const Bytes& taskId) { (void)taskId; }
    /// Ends the worker with `exitCode` after `grace` (time for what was just sent to leave).
    virtual void exit(int exitCode, std::chrono::milliseconds grace) = 0;
};

struct WorkerSettings {
    Identity identity;
    std::uint32_t executors = 1;
    /// Jobs handed to the executors at once, per executor, so that an executor finishing one
    /// starts the next without a loop -> executor wake-up, and results come back in batches.
    /// Kept small: a cancel or a leave looks through them. The capacity announced to the
    /// scheduler is `executors` regardless.
    std::uint32_t jobsPerExecutor = 16;
    std::chrono::milliseconds deathTimeout{std::chrono::seconds(300)};
};

/// The worker's protocol logic, free of threads, sockets and clocks, so tests can drive it with
/// messages and time points. Heartbeats, task intake, object fetching and caching, dispatch to
/// executors, results, cancels and leaving.
///
/// Threads: every method runs on the worker's event loop thread (no locks inside). Task code
/// runs elsewhere (WorkerOutbox::execute) and reports back through onTaskFinished().
///
/// Ordering: all messages to the scheduler leave through WorkerOutbox::send in the order they are
/// made, so a result object's ObjectInstruction(create) always precedes its TaskResult.
class WorkerCore {
  public:
    WorkerCore(WorkerSettings settings, const TaskLibraries& libraries, WorkerOutbox& outbox,
               WorkerClock::time_point now);

    /// The link to the scheduler is up (first connect or reconnect): heartbeat at once, so a
    /// restarted scheduler learns this worker and its functions again.
    void onLinkUp(WorkerClock::time_point now);
    void onLinkDown();
    void onMessage(Message message, WorkerClock::time_point now);
    /// The heartbeat tick: sends the next heartbeat if the previous one was echoed, and gives up
    /// (exit non-zero) when no echo came for the death timeout.
    void onTick(WorkerClock::time_point now);
    /// A job handed out by WorkerOutbox::execute has finished.
    void onTaskFinished(const Bytes& taskId, TaskOutcome outcome);
    /// Leaves the cluster: DisconnectRequest to the scheduler, then exit with `exitCode`. Tasks
    /// still held are abandoned (the scheduler re-queues them). Idempotent.
    void leave(int exitCode, std::string_view reason);

    bool leaving() const { return leaving_; }
    /// Tasks received and not yet answered (waiting for objects, queued or running).
    std::size_t heldTasks() const { return tasks_.size(); }
    /// Tasks handed to the executors (running, or queued there) and not yet finished.
    std::size_t dispatchedTasks() const { return dispatched_; }
    std::size_t cachedObjects() const { return cache_.size(); }

  private:
    // queued: waits here for room at the executors; dispatched: handed to them (running, or
    // waiting there to start).
    enum class Stage { fetching, queued, dispatched };
    struct TaskState {
        Task task;
        std::string functionName;
        const TaskFunction* function = nullptr;
        Stage stage = Stage::fetching;
        std::vector<Buffer> arguments;  // filled when the task becomes ready
        bool dropResult = false;        // cancelled while running: the result is not reported
    };

    void sendHeartbeat(WorkerClock::time_point now);
    void onTask(Task task);
    void onTaskCancel(const TaskCancel& cancel);
    void onObjectInstruction(const ObjectInstruction& instruction);
    void onObjectResponse(ObjectResponse response);
    /// Moves a fetching task on: to the ready queue if every argument is cached, to failed if an
    /// argument is neither cached nor on its way; otherwise it keeps waiting.
    void advance(const Bytes& taskId);
    /// Hands queued tasks to the executors while there is room.
    void dispatch();
    /// Sends the result object (create) and then the TaskResult; forgets the task.
    void finish(const Bytes& taskId, const Bytes& source, const std::string& functionName,
                TaskStatus status, std::string bytes);
    void failTask(const Task& task, const std::string& functionName, std::string message);
    Bytes newObjectId();

    const WorkerSettings settings_;
    const TaskLibraries& libraries_;
    WorkerOutbox& outbox_;

    // Heartbeats (ping-pong, as Scaler's).
    bool linkUp_ = false;
    bool awaitingEcho_ = false;
    WorkerClock::time_point lastEcho_;  // or start: when the scheduler last proved alive
    WorkerClock::time_point heartbeatSent_;
    std::uint32_t latencyUS_ = 0;
    bool leaving_ = false;
    int exitCode_ = 0;  // once leaving_

    std::unordered_map<Bytes, TaskState> tasks_;
    std::deque<Bytes> ready_;  // queued for an executor, in arrival order
    std::size_t dispatched_ = 0;

    // Objects. The cache holds argument payloads until an ObjectInstruction(delete) evicts them.
    // requests_ holds the id list of every ObjectRequest in flight (a response is matched by its
    // exact list, as Scaler's worker does); an id is in at most one request at a time.
    std::unordered_map<Bytes, Buffer> cache_;
    std::map<std::vector<Bytes>, std::uint32_t> requests_;
    std::unordered_set<Bytes> inFlight_;
    std::unordered_map<Bytes, std::vector<Bytes>> waiters_;  // object id -> fetching task ids

    // Result object ids: 8 bytes from the identity (so ids of different workers differ in their
    // prefix), then 16 random bytes.
    std::string idPrefix_;
    std::mt19937_64 random_;
};

}  // namespace plexus::detail
