#pragma once

#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/event_loop.h"

namespace plexus::detail {

/// Items handed to an event loop in batches: the push that finds the inbox empty posts one
/// drain, and later pushes join that batch until the loop takes it, so a burst costs one
/// wake-up of the loop thread, not one per item. Items reach `consume` in push order.
///
/// Thread-safety: push() from any thread; `consume` runs on the loop thread. The owner outlives
/// the loop's tasks (it stops the loop before it goes). If the loop has stopped, items stay.
template <class T>
class LoopInbox {
  public:
    using Consumer = std::function<void(std::vector<T>& batch)>;

    LoopInbox(EventLoop& loop, Consumer consume) : loop_(loop), consume_(std::move(consume)) {}
    LoopInbox(const LoopInbox&) = delete;
    LoopInbox& operator=(const LoopInbox&) = delete;

    void push(T item) {
        bool wasEmpty = false;
        {
            std::lock_guard lock(mutex_);
            wasEmpty = items_.empty();
            items_.push_back(std::move(item));
        }
        if (wasEmpty) loop_.post([this] { drain(); });
    }

  private:
    void drain() {
        {
            std::lock_guard lock(mutex_);
            draining_.swap(items_);  // items_ gets the previous batch's (empty) storage back
        }
        struct Clear {  // even if `consume` throws, so no item is delivered twice
            std::vector<T>& batch;
            ~Clear() { batch.clear(); }
        } clear{draining_};
        consume_(draining_);
    }

    EventLoop& loop_;
    const Consumer consume_;
    std::mutex mutex_;
    std::vector<T> items_;     // guarded by mutex_
    std::vector<T> draining_;  // loop thread only
};

}  // namespace plexus::detail
