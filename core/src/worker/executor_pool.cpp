#include "worker/executor_pool.h"

#include <algorithm>

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
    }
    discardQueued();
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void ExecutorPool::submit(std::function<void()> job) {
    std::vector<Job> jobs;
    jobs.push_back(Job{std::move(job), {}});
    submit(std::move(jobs));
}

void ExecutorPool::submit(std::vector<Job> jobs) {
    const std::size_t count = jobs.size();
    if (count == 0) return;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        busy_.fetch_add(count, std::memory_order_acq_rel);
        for (auto& job : jobs) jobs_.push_back(std::move(job));
    }
    // A thread that finishes a job takes the next from the queue by itself; waking more
    // threads than there are jobs would only have them find the queue empty.
    for (std::size_t i = 0; i < std::min(count, threads_.size()); ++i) wake_.notify_one();
}

bool ExecutorPool::withdraw(std::string_view key) {
    Job withdrawn;  // destroyed outside the lock
    {
        std::lock_guard lock(mutex_);
        auto it = std::find_if(jobs_.begin(), jobs_.end(),
                               [&](const Job& job) { return !job.key.empty() && job.key == key; });
        if (it == jobs_.end()) return false;
        withdrawn = std::move(*it);
        jobs_.erase(it);
        busy_.fetch_sub(1, std::memory_order_acq_rel);
    }
    return true;
}

void ExecutorPool::discardQueued() {
    std::deque<Job> dropped;  // destroyed outside the lock
    {
        std::lock_guard lock(mutex_);
        dropped.swap(jobs_);
        busy_.fetch_sub(dropped.size(), std::memory_order_acq_rel);
    }
}

void ExecutorPool::runThread() {
    while (true) {
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (stopping_) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job.run();  // jobs catch what task code throws; this is only a last resort
        } catch (const std::exception& e) {
            logger().error("executor: a job threw: {}", e.what());
        } catch (...) {
            logger().error("executor: a job threw an unknown exception");
        }
        job = Job{};  // release the job's state before the pool counts it done
        busy_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace plexus::detail
