#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace plexus {
class Transport;
}

namespace plexus::detail {

/// A single-threaded event loop: everything posted to it runs on one thread, in order, one task
/// at a time, so the state it drives needs no locks.
///
/// The loop has no thread of its own: it is hosted by a transport (host()) and its tasks run on
/// that transport's I/O thread, between the transport's own handler calls. So the endpoint of
/// that transport can hand frames to the loop's state inline (canRunInline()), and the loop's
/// sends through it cost no wake-up. Other threads only post().
///
/// Phases: tasks posted before start() are kept and run first, in order, once the loop starts
/// on the host thread; after stop() no task starts, and tasks posted are dropped. Timers
/// (every()) are kept by a timer thread of the loop, which posts each task when it is due.
///
/// Thread-safety: post(), every(), stop() and the queries are thread-safe. host() is called once
/// during setup, before start(); unhost() by the host's owner before the host is destroyed.
/// waitStopped() must not be called from the loop thread.
class EventLoop {
  public:
    EventLoop();
    /// Stops and joins the timer thread. The host must be gone (unhost()) or stopped.
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    /// Runs the loop's tasks on `transport`'s I/O thread (Transport::post), from start() on.
    void host(Transport& transport);
    /// The host is about to be destroyed: the loop stops, later posts are dropped. Idempotent.
    void unhost();

    /// Runs `task` on the loop thread after the tasks posted before it. A task that throws is
    /// logged; the loop carries on.
    void post(std::function<void()> task);
    /// Calls `task` on the loop thread every `interval` (measured from the end of its previous
    /// run), first after one interval.
    void every(std::chrono::milliseconds interval, std::function<void()> task);

    /// Starts running tasks on the host's thread and returns at once. Call once, after host().
    void start();
    /// start(), then blocks until stop() took effect.
    void run();
    /// No task starts after this; the task running now, if any, finishes. Idempotent; may be
    /// called from any thread, the loop thread included, and before start().
    void stop();
    /// Blocks until, after stop() (or unhost()), no task is running or will run.
    void waitStopped();

    /// True on the host's I/O thread once the loop has started there.
    bool isLoopThread() const;
    /// True on the loop thread while the loop runs (started, not stopped): work for the loop can
    /// be done right here rather than posted.
    bool canRunInline() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace plexus::detail
