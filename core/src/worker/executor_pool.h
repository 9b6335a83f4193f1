#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace plexus::detail {

/// A fixed set of threads that run task code, so it never runs on an I/O thread or the event
/// loop. Jobs start in submission order; jobs not started yet wait in one queue shared by the
/// threads, so a thread that finishes a job starts the next without waiting to be woken.
///
/// Thread-safety: every method may be called from any thread. The destructor stops taking
/// jobs, drops those not started, and joins every thread, so it waits for running jobs: a caller
/// that must not wait for task code checks busy() first (see runWorker).
class ExecutorPool {
  public:
    struct Job {
        std::function<void()> run;
        std::string key;  ///< names the job for withdraw(); may be empty (not withdrawable)
    };

    explicit ExecutorPool(std::size_t threads);
    ~ExecutorPool();
    ExecutorPool(const ExecutorPool&) = delete;
    ExecutorPool& operator=(const ExecutorPool&) = delete;

    void submit(std::function<void()> job);
    /// Queues `jobs` in order under one lock, waking no more threads than they need.
    void submit(std::vector<Job> jobs);
    /// Takes back the first queued job keyed `key` that has not started: it will never run.
    /// False if there is none (it started, finished, or was never submitted).
    bool withdraw(std::string_view key);
    /// Drops every job not started yet; running ones carry on.
    void discardQueued();
    /// Jobs queued or running.
    std::size_t busy() const { return busy_.load(std::memory_order_acquire); }

  private:
    void runThread();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;   // guarded by mutex_
    bool stopping_ = false;  // guarded by mutex_
    std::atomic<std::size_t> busy_{0};
    std::vector<std::thread> threads_;  // last: started after everything above exists
};

}  // namespace plexus::detail
