#include "runtime/event_loop.h"

#include <atomic>
#include <list>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace plexus::detail {

namespace asio = boost::asio;

struct EventLoop::Impl {
    asio::io_context context{1};  // concurrency hint 1: one thread runs it, so asio can skip locks
    asio::executor_work_guard<asio::io_context::executor_type> work{context.get_executor()};
    std::list<asio::steady_timer> timers;
    std::atomic<std::thread::id> loopThread{};

    void schedule(asio::steady_timer& timer, std::chrono::milliseconds interval,
                  std::shared_ptr<std::function<void()>> task) {
        timer.expires_after(interval);
        timer.async_wait([this, &timer, interval, task](const boost::system::error_code& ec) {
            if (ec) return;  // cancelled at shutdown
            (*task)();
            schedule(timer, interval, task);
        });
    }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}
EventLoop::~EventLoop() = default;

void EventLoop::post(std::function<void()> task) {
    asio::post(impl_->context, std::move(task));
}

void EventLoop::every(std::chrono::milliseconds interval, std::function<void()> task) {
    auto& timer = impl_->timers.emplace_back(impl_->context);
    impl_->schedule(timer, interval, std::make_shared<std::function<void()>>(std::move(task)));
}

void EventLoop::run() {
    impl_->loopThread = std::this_thread::get_id();
    impl_->context.run();
    impl_->loopThread = std::thread::id{};
}

void EventLoop::stop() {
    impl_->work.reset();
    impl_->context.stop();
}

bool EventLoop::isLoopThread() const {
    return impl_->loopThread.load() == std::this_thread::get_id();
}

}  // namespace plexus::detail
