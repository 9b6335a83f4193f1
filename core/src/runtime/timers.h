#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <mutex>
#include <thread>

namespace plexus::detail {

/// Periodic tasks for an event loop that has no timers of its own: one thread sleeps until the
/// next task is due and hands it to `post` (the loop's post). A task is handed over again only
/// once its previous run has finished, one interval after that run ended, so a slow loop never
/// piles up runs of the same task. A run that is dropped (the loop stopped) ends that timer.
///
/// Thread-safety: every() may be called from any thread. The destructor joins the thread; a run
/// handed to `post` must not start after the destructor has begun (the loop's owner ensures that
/// by stopping the loop first).
class Timers {
  public:
    using Post = std::function<void(std::function<void()>)>;

    explicit Timers(Post post);
    ~Timers();
    Timers(const Timers&) = delete;
    Timers& operator=(const Timers&) = delete;

    /// Calls `task` through `post` every `interval`, first after one interval.
    void every(std::chrono::milliseconds interval, std::function<void()> task);

  private:
    using Clock = std::chrono::steady_clock;
    struct Timer {
        std::chrono::milliseconds interval;
        std::function<void()> task;
        Clock::time_point due;
        bool running = false;  // handed to `post` and not finished yet
    };

    void runThread();
    void finished(Timer& timer);  // on the loop thread, after a run

    const Post post_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::list<Timer> timers_;  // guarded by mutex_; a list, so runs can hold a Timer&
    bool stopping_ = false;    // guarded by mutex_
    std::thread thread_;       // last: started once everything above exists
};

}  // namespace plexus::detail
