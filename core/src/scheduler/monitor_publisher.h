#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "plexus/messages.h"

namespace plexus::detail {

/// Sends batches of messages on a thread of its own, so that whoever hands them over (the
/// scheduler's event loop) never pays for encoding them.
///
/// Threads: publish() may be called from any thread; `send` runs on the publisher's thread only,
/// one message at a time, in the order the messages were handed over. The destructor stops the
/// thread after the message being sent; messages still queued are dropped (a monitor stream has
/// no use for them once the scheduler stops).
class MonitorPublisher {
  public:
    MonitorPublisher(std::function<void(const Message&)> send, std::size_t maxBacklog);
    ~MonitorPublisher();
    MonitorPublisher(const MonitorPublisher&) = delete;
    MonitorPublisher& operator=(const MonitorPublisher&) = delete;

    /// Queues `batch`, unless more than `maxBacklog` messages already wait: then the batch is
    /// dropped, so a publisher that falls behind costs bounded memory, and false is returned.
    bool publish(std::vector<Message> batch);

  private:
    void run();

    const std::function<void(const Message&)> send_;
    const std::size_t maxBacklog_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::vector<Message>> queue_;  // guarded by mutex_
    std::size_t queued_ = 0;                  // messages in queue_; guarded by mutex_
    std::atomic<bool> stopping_ = false;      // set under mutex_ (for the wake-up)
    std::thread thread_;                      // last: starts once the members above exist
};

}  // namespace plexus::detail
