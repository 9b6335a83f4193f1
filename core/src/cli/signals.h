#pragma once

#include <functional>
#include <thread>

namespace plexus::detail {

/// Turns SIGINT and SIGTERM into a callback on a dedicated thread (not a signal handler, so the
/// callback may do anything). Construct it first in main(), before any other thread starts, so
/// every thread inherits the blocked signal mask.
class SignalWatcher {
  public:
    explicit SignalWatcher(std::function<void(int)> onSignal);
    ~SignalWatcher();
    SignalWatcher(const SignalWatcher&) = delete;
    SignalWatcher& operator=(const SignalWatcher&) = delete;

  private:
    std::thread thread_;
};

}  // namespace plexus::detail
