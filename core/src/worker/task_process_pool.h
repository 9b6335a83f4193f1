#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "plexus/identity.h"
#include "worker/executor_pool.h"
#include "worker/task_process.h"
#include "worker/worker_core.h"

namespace plexus::detail {

/// One task process per executor (isolation: process): an executor thread runs a job by taking
/// an idle process, sending it the job and waiting for the outcome. A process that dies while
/// running a task (SIGSEGV, abort(), _exit, SIGKILL) fails that task with a message naming the
/// signal or exit code, and is replaced; one found dead while idle is replaced too.
///
/// Cancelling a running task kills its process (SIGKILL): the scheduler has already answered
/// the cancel, the result would be dropped, and the executor is free again at once.
///
/// Threads: every method is thread-safe. The worker calls run() from its executor threads (at
/// most `size` at once: it has that many; more would wait), and cancel(), replaceExited() and
/// close() from its loop thread. Processes are started on a thread the pool owns, whoever asks:
/// PR_SET_PDEATHSIG ties a process to the thread that started it, and that thread lives as long
/// as the pool, however executor threads come and go.
class TaskProcessPool {
  public:
    TaskProcessPool(TaskProcessSettings settings, std::size_t size);
    /// Ends every process (close() first if not done), waiting briefly for idle ones to exit.
    /// Call after the executor threads have been joined.
    ~TaskProcessPool();
    TaskProcessPool(const TaskProcessPool&) = delete;
    TaskProcessPool& operator=(const TaskProcessPool&) = delete;

    /// Starts every process and waits until each has loaded the task libraries. Errors: the
    /// first process's failure (it cannot start, or cannot load a library).
    Result<void> start();
    /// Runs `job` in an idle process; blocks until its outcome. After close(), fails at once.
    TaskOutcome run(const TaskJob& job);
    /// Kills the process running `taskId`, if any; its run() then returns a failure.
    void cancel(const Bytes& taskId);
    /// Reaps and replaces idle processes that have exited.
    void replaceExited();
    /// Stops taking jobs; kills the processes running tasks and lets the idle ones exit (their
    /// channel closes). Idempotent.
    void close();

    /// The process ids, for tests and logs.
    std::vector<pid_t> pids() const;

  private:
    struct Slot {
        std::unique_ptr<TaskProcess> process;  // null when the last start failed
        std::optional<Bytes> running;          // the task it runs
        bool cancelled = false;                // killed by cancel() while running `running`
    };

    /// Takes an idle slot for `taskId`; waits if none is idle (replaceExited() holds it).
    std::optional<std::size_t> acquire(const Bytes& taskId);
    void release(std::size_t index);
    /// Runs the job in the slot's process, replacing the process after a crash (or before the
    /// job, if it is found dead). The caller has acquired the slot.
    TaskOutcome runIn(Slot& slot, const TaskJob& job);
    /// Puts a new process in `slot`, unless the pool is closed; the old one is reaped. The
    /// caller has acquired the slot (or taken it out of idle_).
    void restart(Slot& slot);
    /// restart()s the slot if its process has exited (reaping and logging it) or is missing.
    void renew(Slot& slot);
    /// TaskProcess::start() on starter_.
    Result<std::unique_ptr<TaskProcess>> startProcess();
    bool cancelled(const Slot& slot) const;

    const TaskProcessSettings settings_;
    ExecutorPool starter_{1};  // destroyed last: the processes it started are reaped by then
    mutable std::mutex mutex_;
    // Fixed size: Slot addresses stay valid. A slot in idle_ belongs to the pool (touched under
    // mutex_); one taken by acquire() belongs to that executor thread until release(), except
    // that cancel() and close() may kill its process (under mutex_).
    std::vector<Slot> slots_;
    std::vector<std::size_t> idle_;      // guarded by mutex_
    bool closed_ = false;                // guarded by mutex_
    std::condition_variable available_;  // idle_ gained a slot, or closed_
};

}  // namespace plexus::detail
