#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace plexus::detail {

/// A fixed set of threads that run task code, so it never runs on an I/O thread or the event
/// loop. Jobs start in submission order.
///
/// Thread-safety: submit() and busy() may be called from any thread. The destructor stops taking
/// jobs, drops those not started, and joins every thread, so it waits for running jobs: a caller
/// that must not wait for task code checks busy() first (see runWorker).
class ExecutorPool {
  public:
    explicit ExecutorPool(std::size_t threads);
    ~ExecutorPool();
    ExecutorPool(const ExecutorPool&) = delete;
    ExecutorPool& operator=(const ExecutorPool&) = delete;

    void submit(std::function<void()> job);
    /// Jobs queued or running.
    std::size_t busy() const { return busy_.load(std::memory_order_acquire); }

  private:
    void runThread();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;  // guarded by mutex_
    bool stopping_ = false;                   // guarded by mutex_
    std::atomic<std::size_t> busy_{0};
    std::vector<std::thread> threads_;  // last: started after everything above exists
};

}  // namespace plexus::detail
