#include "cli/signals.h"

#include <pthread.h>
#include <signal.h>

namespace plexus::detail {
namespace {

sigset_t watchedSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2);  // used only to wake the watcher at destruction
    return set;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> onSignal) {
    sigset_t set = watchedSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([set, onSignal = std::move(onSignal)] {
        while (true) {
            int signal = 0;
            if (sigwait(&set, &signal) != 0 || signal == SIGUSR2) return;
            onSignal(signal);
        }
    });
}

SignalWatcher::~SignalWatcher() {
    pthread_kill(thread_.native_handle(), SIGUSR2);
    thread_.join();
}

}  // namespace plexus::detail
