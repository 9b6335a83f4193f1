#include "worker/task_process_pool.h"

#include <algorithm>
#include <future>

#include <fmt/format.h>

#include "plexus/log.h"

namespace plexus::detail {

namespace {

using namespace std::chrono_literals;

// A process whose channel closed is normally already exiting (the kernel closes a dying
// process's descriptors just before it becomes a zombie). One that closed its channel and
// carries on is killed after this long; generous, since a core dump can take seconds.
constexpr std::chrono::milliseconds kExitGrace = 10s;

// Idle processes given the end of their channel at close() exit at once; this bounds the wait
// for one whose task library hangs in a static destructor.
constexpr std::chrono::milliseconds kCloseGrace = 2s;

}  // namespace

TaskProcessPool::TaskProcessPool(TaskProcessSettings settings, std::size_t size)
    : settings_(std::move(settings)), slots_(size) {
    idle_.reserve(size);
    for (std::size_t i = size; i > 0; --i) idle_.push_back(i - 1);
}

TaskProcessPool::~TaskProcessPool() {
    close();
    // The executor threads are gone: every slot is the pool's.
    for (auto& slot : slots_) {
        if (slot.process) slot.process->end(kCloseGrace);
    }
}

Result<std::unique_ptr<TaskProcess>> TaskProcessPool::startProcess() {
    auto promise = std::make_shared<std::promise<Result<std::unique_ptr<TaskProcess>>>>();
    auto future = promise->get_future();
    starter_.submit([this, promise] { promise->set_value(TaskProcess::start(settings_)); });
    return future.get();
}

Result<void> TaskProcessPool::start() {
    for (auto& slot : slots_) {
        auto started = startProcess();
        if (!started) return tl::unexpected(started.error());
        slot.process = std::move(*started);
    }
    for (auto& slot : slots_) {
        if (auto ready = slot.process->awaitReady(); !ready) {
            const int status = slot.process->end(kCloseGrace);
            return fail(ready.error().kind,
                        fmt::format("task process {} {} ({})", slot.process->pid(),
                                    ready.error().message, describeProcessEnd(status)));
        }
    }
    return {};
}

std::optional<std::size_t> TaskProcessPool::acquire(const Bytes& taskId) {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return closed_ || !idle_.empty(); });
    if (closed_) return std::nullopt;
    const std::size_t index = idle_.back();
    idle_.pop_back();
    slots_[index].running = taskId;
    return index;
}

void TaskProcessPool::release(std::size_t index) {
    Slot& slot = slots_[index];
    bool killed = false;
    {
        std::lock_guard lock(mutex_);
        killed = slot.cancelled;  // by a cancel that came just after the task answered
        slot.running.reset();
    }
    if (killed) restart(slot);
    {
        std::lock_guard lock(mutex_);
        idle_.push_back(index);
    }
    available_.notify_one();
}

bool TaskProcessPool::cancelled(const Slot& slot) const {
    std::lock_guard lock(mutex_);
    return slot.cancelled;
}

TaskOutcome TaskProcessPool::run(const TaskJob& job) {
    const auto index = acquire(job.taskId);
    if (!index) return TaskOutcome{false, "the worker is stopping"};
    Slot& slot = slots_[*index];
    TaskOutcome outcome;
    try {
        outcome = runIn(slot, job);
    } catch (const std::exception& e) {  // bad_alloc: the channel may be mid-frame; start afresh
        if (slot.process) slot.process->kill();
        outcome = TaskOutcome{false, fmt::format("task '{}' could not run in its task process: {}",
                                                 job.functionName, e.what())};
    }
    release(*index);
    return outcome;
}

void TaskProcessPool::renew(Slot& slot) {
    if (slot.process && !slot.process->exited()) return;
    if (slot.process) {
        logger().warn("task process {} {} while idle; starting another", slot.process->pid(),
                      describeProcessEnd(slot.process->end(0ms)));
    }
    restart(slot);
}

TaskOutcome TaskProcessPool::runIn(Slot& slot, const TaskJob& job) {
    for (int attempt = 0;; ++attempt) {
        renew(slot);  // dead since its last task, or its last start failed (logged)
        if (!slot.process) {
            return TaskOutcome{false, fmt::format("task '{}' could not run: no task process "
                                                  "(the worker is stopping, or its log says why)",
                                                  job.functionName)};
        }
        TaskProcess::JobEnd end = slot.process->run(job);
        if (!end.broken) return std::move(end.outcome);
        const Error& problem = *end.broken;
        const bool died = problem.kind == ErrorKind::Disconnected;
        const bool wasCancelled = cancelled(slot);
        const pid_t pid = slot.process->pid();
        const std::string how = describeProcessEnd(slot.process->end(died ? kExitGrace : 0ms));
        if (!end.delivered && !wasCancelled && attempt == 0) {
            // The job never fully reached it, so no task code ran: once more, on a new process.
            logger().warn("task process {} {} before it got task '{}'; starting another", pid, how,
                          job.functionName);
            restart(slot);
            continue;
        }
        std::string message;
        if (wasCancelled) {
            message = fmt::format("task '{}' was cancelled: its task process was killed",
                                  job.functionName);
        } else if (died) {
            message = fmt::format("task '{}' {} in its task process", job.functionName, how);
        } else {
            message =
                fmt::format("task '{}': its task process broke the protocol ({}) and was killed",
                            job.functionName, problem.message);
        }
        logger().warn("task process {}: {}; starting another", pid, message);
        restart(slot);
        return TaskOutcome{false, std::move(message)};
    }
}

void TaskProcessPool::restart(Slot& slot) {
    std::unique_ptr<TaskProcess> fresh;
    bool closed = false;
    {
        std::lock_guard lock(mutex_);
        closed = closed_;
    }
    if (!closed) {
        if (auto started = startProcess()) {
            fresh = std::move(*started);
        } else {
            logger().error("cannot start a task process: {}", started.error().message);
        }
    }
    std::unique_ptr<TaskProcess> old;
    {
        std::lock_guard lock(mutex_);
        old = std::exchange(slot.process, closed_ ? nullptr : std::move(fresh));
        slot.cancelled = false;  // a cancel from now on kills the new process
    }
    // `old` (reaped by the caller, or killed and reaped now) and `fresh` (if the pool closed
    // meanwhile) are destroyed outside the lock.
}

void TaskProcessPool::cancel(const Bytes& taskId) {
    std::lock_guard lock(mutex_);
    for (auto& slot : slots_) {
        if (slot.running == taskId && slot.process) {
            slot.process->kill();
            slot.cancelled = true;
            logger().debug("task process {} killed: its task was cancelled", slot.process->pid());
        }
    }
}

void TaskProcessPool::replaceExited() {
    std::vector<std::size_t> dead;
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        for (const std::size_t index : idle_) {
            const auto& process = slots_[index].process;
            if (!process || process->exited()) dead.push_back(index);
        }
        std::erase_if(idle_, [&](std::size_t index) {
            return std::find(dead.begin(), dead.end(), index) != dead.end();
        });
    }
    if (dead.empty()) return;
    for (const std::size_t index : dead) renew(slots_[index]);
    {
        std::lock_guard lock(mutex_);
        idle_.insert(idle_.end(), dead.begin(), dead.end());
    }
    available_.notify_all();
}

void TaskProcessPool::close() {
    {
        std::lock_guard lock(mutex_);
        if (closed_) return;
        closed_ = true;
        for (auto& slot : slots_) {
            if (!slot.process) continue;
            // A running task was abandoned (the scheduler re-queues it): stop it now rather
            // than wait for it. An idle process reads the end of its channel and exits.
            if (slot.running) {
                slot.process->kill();
            } else {
                slot.process->shutdown();
            }
        }
    }
    available_.notify_all();
}

std::vector<pid_t> TaskProcessPool::pids() const {
    std::lock_guard lock(mutex_);
    std::vector<pid_t> out;
    for (const auto& slot : slots_) {
        if (slot.process) out.push_back(slot.process->pid());
    }
    return out;
}

}  // namespace plexus::detail
