#include "runtime/event_loop.h"

#include <atomic>
#include <cassert>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "plexus/log.h"
#include "plexus/transport.h"
#include "runtime/timers.h"

namespace plexus::detail {

struct EventLoop::Impl {
    std::mutex mutex;
    std::condition_variable changed;
    Transport* host = nullptr;                // guarded by mutex
    std::vector<std::function<void()>> held;  // guarded by mutex: posted before the loop began
    bool startCalled = false;                 // guarded by mutex
    bool began = false;                       // guarded by mutex: tasks now go to the host
    bool stopRequested = false;               // guarded by mutex
    bool finished = false;                    // guarded by mutex: no task runs or will run
    // Read without the lock by every task and by inline delivery: began and not stopped.
    std::atomic<bool> live{false};
    std::atomic<std::thread::id> thread{};  // the host's I/O thread, once the loop began there
    std::unique_ptr<Timers> timers;         // guarded by mutex; made by the first every()

    static void invoke(std::function<void()>& task) noexcept {
        try {
            task();
        } catch (const std::exception& error) {
            logger().error("event loop: a task threw: {}", error.what());
        } catch (...) {
            logger().error("event loop: a task threw an unknown exception");
        }
    }

    // Host thread: the loop's first task. Runs what was posted before, in order.
    void begin() {
        std::vector<std::function<void()>> first;
        {
            std::lock_guard lock(mutex);
            if (stopRequested) return;
            thread = std::this_thread::get_id();
            began = true;
            live = true;
            first.swap(held);
        }
        for (auto& task : first) {
            if (!live) return;
            invoke(task);
        }
    }

    // Makes `finished` true and wakes waitStopped(). Lock held.
    void markFinished() {
        live = false;
        finished = true;
        changed.notify_all();
    }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() {
    std::unique_ptr<Timers> timers;
    {
        std::lock_guard lock(impl_->mutex);
        assert((impl_->host == nullptr || impl_->finished) &&
               "an EventLoop must be stopped or unhosted before it is destroyed");
        timers = std::move(impl_->timers);
    }
    timers.reset();  // joins the timer thread, which may be posting (taking the lock) meanwhile
}

void EventLoop::host(Transport& transport) {
    std::lock_guard lock(impl_->mutex);
    assert(impl_->host == nullptr && !impl_->startCalled &&
           "host() is called once, before start()");
    impl_->host = &transport;
}

void EventLoop::unhost() {
    std::vector<std::function<void()>> dropped;
    {
        std::lock_guard lock(impl_->mutex);
        impl_->host = nullptr;
        impl_->stopRequested = true;
        dropped.swap(impl_->held);
        impl_->markFinished();
    }
    // `dropped` is destroyed here, outside the lock: a task's captures may post on destruction.
}

void EventLoop::post(std::function<void()> task) {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopRequested) return;
    if (!impl_->began || impl_->host == nullptr) {
        impl_->held.push_back(std::move(task));
        return;
    }
    // Under the lock, so unhost() cannot let the transport go while it is being posted to.
    impl_->host->post([impl = impl_.get(), task = std::move(task)]() mutable {
        if (impl->live.load(std::memory_order_acquire)) Impl::invoke(task);
    });
}

void EventLoop::every(std::chrono::milliseconds interval, std::function<void()> task) {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->timers) {
        impl_->timers =
            std::make_unique<Timers>([this](std::function<void()> run) { post(std::move(run)); });
    }
    impl_->timers->every(interval, std::move(task));
}

void EventLoop::start() {
    std::lock_guard lock(impl_->mutex);
    assert(impl_->host != nullptr && "start() needs a host");
    if (impl_->startCalled || impl_->stopRequested || impl_->host == nullptr) return;
    impl_->startCalled = true;
    impl_->host->post([impl = impl_.get()] { impl->begin(); });
}

void EventLoop::run() {
    start();
    waitStopped();
}

void EventLoop::stop() {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopRequested) return;
    impl_->stopRequested = true;
    impl_->live = false;
    if (!impl_->startCalled || impl_->host == nullptr) {
        impl_->markFinished();
        return;
    }
    // Behind the task that may be running now: once this runs, none runs or will.
    impl_->host->post([impl = impl_.get()] {
        std::lock_guard lock(impl->mutex);
        impl->markFinished();
    });
}

void EventLoop::waitStopped() {
    assert(!isLoopThread() && "waitStopped() on the loop thread would wait for itself");
    std::unique_lock lock(impl_->mutex);
    impl_->changed.wait(lock, [this] { return impl_->finished; });
}

bool EventLoop::isLoopThread() const {
    return impl_->thread.load() == std::this_thread::get_id();
}

bool EventLoop::canRunInline() const {
    return impl_->live.load(std::memory_order_acquire) && isLoopThread();
}

}  // namespace plexus::detail
