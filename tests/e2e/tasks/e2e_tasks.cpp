// Functions the end-to-end tests run on real workers.

#include <chrono>
#include <cstdint>
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

}  // namespace

PLEXUS_TASK_LIBRARY("e2e") {
    registry.add("e2e.square", &square);
    registry.add("e2e.add", &add);
    registry.add("e2e.increment", &increment);
    registry.add("e2e.sleep_ms", &sleepMs);
    registry.add("e2e.fail", &fail);
    registry.add("e2e.fail_after", &failAfter);
}
