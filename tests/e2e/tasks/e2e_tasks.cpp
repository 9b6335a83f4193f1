// Functions the end-to-end tests run on real workers.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <plexus/task_library.h>

namespace {

std::int64_t square(std::int64_t x) {
    return x * x;
}
std::int64_t add(std::int64_t a, std::int64_t b) {
    return a + b;
}
std::int64_t increment(std::int64_t x) {
    return x + 1;
}
// Sleeps, then returns its argument: long enough tasks to cancel or to be caught by a kill.
std::int64_t sleepMs(std::int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
}
std::string fail(std::string message) {
    throw std::runtime_error(message);
}
// Fails once its input (a graph dependency) is there: a failure in the middle of a graph.
std::int64_t failAfter(std::int64_t, std::string message) {
    throw std::runtime_error(message);
}

// Takes down the worker process running it (a task that crashes its worker), after `ms`.
std::int64_t killWorker(std::int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ::raise(SIGKILL);
    return 0;
}
// The id of the worker process running it: which worker ran a task.
std::int64_t workerPid() {
    return ::getpid();
}
// Appends a line to the file `path` (a record of every run), then sleeps `ms`.
std::int64_t logAndSleep(std::string path, std::int64_t ms) {
    std::ofstream(path, std::ios::app) << "ran\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return ms;
}

}  // namespace

PLEXUS_TASK_LIBRARY("e2e") {
    registry.add("e2e.square", &square);
    registry.add("e2e.add", &add);
    registry.add("e2e.increment", &increment);
    registry.add("e2e.sleep_ms", &sleepMs);
    registry.add("e2e.fail", &fail);
    registry.add("e2e.fail_after", &failAfter);
    registry.add("e2e.kill_worker", &killWorker);
    registry.add("e2e.worker_pid", &workerPid);
    registry.add("e2e.log_and_sleep", &logAndSleep);
}
