#include "runtime/timers.h"

#include <vector>

namespace plexus::detail {

Timers::Timers(Post post) : post_(std::move(post)) {
    thread_ = std::thread([this] { runThread(); });
}

Timers::~Timers() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void Timers::every(std::chrono::milliseconds interval, std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        timers_.push_back(Timer{interval, std::move(task), Clock::now() + interval});
    }
    changed_.notify_all();
}

void Timers::finished(Timer& timer) {
    {
        std::lock_guard lock(mutex_);
        timer.running = false;
        timer.due = Clock::now() + timer.interval;
    }
    changed_.notify_all();
}

void Timers::runThread() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto now = Clock::now();
        auto next = Clock::time_point::max();
        std::vector<Timer*> due;
        for (Timer& timer : timers_) {
            if (timer.running) continue;
            if (timer.due <= now) {
                timer.running = true;
                due.push_back(&timer);
            } else if (timer.due < next) {
                next = timer.due;
            }
        }
        if (!due.empty()) {
            lock.unlock();  // post_ takes the loop's lock; never call it holding ours
            for (Timer* timer : due) {
                post_([this, timer] {
                    // Re-armed even if the task throws (the loop logs and carries on).
                    struct Rearm {
                        Timers& timers;
                        Timer& timer;
                        ~Rearm() { timers.finished(timer); }
                    } rearm{*this, *timer};
                    timer->task();
                });
            }
            lock.lock();
            continue;
        }
        if (next == Clock::time_point::max()) {
            changed_.wait(lock);
        } else {
            changed_.wait_until(lock, next);
        }
    }
}

}  // namespace plexus::detail
