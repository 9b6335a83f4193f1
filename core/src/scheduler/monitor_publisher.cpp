#include "scheduler/monitor_publisher.h"

#include <exception>

#include "plexus/log.h"

namespace plexus::detail {

MonitorPublisher::MonitorPublisher(std::function<void(const Message&)> send, std::size_t maxBacklog)
    : send_(std::move(send)), maxBacklog_(maxBacklog), thread_([this] { run(); }) {}

MonitorPublisher::~MonitorPublisher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

bool MonitorPublisher::publish(std::vector<Message> batch) {
    if (batch.empty()) return true;
    {
        std::lock_guard lock(mutex_);
        if (queued_ > maxBacklog_) return false;
        queued_ += batch.size();
        queue_.push_back(std::move(batch));
    }
    wake_.notify_one();
    return true;
}

void MonitorPublisher::run() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        std::vector<Message> batch = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        for (const Message& message : batch) {
            try {
                send_(message);
            } catch (const std::exception& error) {
                logger().error("monitor: cannot publish {}: {}", messageKindName(kindOf(message)),
                               error.what());
            }
            if (stopping_) break;
        }
        lock.lock();
        queued_ -= batch.size();
    }
}

}  // namespace plexus::detail
