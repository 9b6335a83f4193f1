#include "worker/executor_pool.h"

#include "plexus/log.h"

namespace plexus::detail {

ExecutorPool::ExecutorPool(std::size_t threads) {
    threads_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { runThread(); });
}

ExecutorPool::~ExecutorPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        busy_.fetch_sub(jobs_.size(), std::memory_order_acq_rel);
        jobs_.clear();
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void ExecutorPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        busy_.fetch_add(1, std::memory_order_acq_rel);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void ExecutorPool::runThread() {
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();  // jobs catch what task code throws; this is only a last resort
        } catch (const std::exception& e) {
            logger().error("executor: a job threw: {}", e.what());
        } catch (...) {
            logger().error("executor: a job threw an unknown exception");
        }
        job = nullptr;  // release the job's state before the pool counts it done
        busy_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace plexus::detail
