#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace plexus::detail {

/// A single-threaded event loop: everything posted to it runs on its one thread, in order, so
/// the state it drives needs no locks. Other threads only post().
///
/// Thread-safety: post() and stop() are thread-safe; every() must be called before run() or from
/// the loop thread. run() blocks the calling thread, which becomes the loop thread, until stop().
class EventLoop {
  public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    void post(std::function<void()> task);
    /// Calls `task` on the loop thread every `interval`, first after one interval.
    void every(std::chrono::milliseconds interval, std::function<void()> task);
    void run();
    void stop();
    bool isLoopThread() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace plexus::detail
