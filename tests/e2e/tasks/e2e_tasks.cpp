// Functions the end-to-end tests run on real workers.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
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
// Creates the file `path` (so a test knows the task is running), then sleeps like sleepMs.
std::int64_t touchAndSleep(std::string path, std::int64_t ms) {
    { std::ofstream(path) << "started"; }
    return sleepMs(ms);
}
// `size` bytes that depend on `seed`: a large result whose every byte a test can check.
std::string blob(std::int64_t size, std::int64_t seed) {
    std::string bytes(static_cast<std::size_t>(size), '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((static_cast<std::uint64_t>(seed) * 131 + i * 7) & 0xff);
    return bytes;
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
// Ways to end the process a task runs in (for workers with isolation: process). A crash in a
// test must not leave a core file behind.
void noCoreDump() {
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
}
std::int64_t segfault() {
    noCoreDump();
    volatile int* volatile nowhere = nullptr;  // neither the pointer nor the store optimised out
    *nowhere = 1;
    return 0;
}
std::int64_t abortTask() {
    noCoreDump();
    std::abort();
}
std::int64_t exitWith(std::int64_t code) {
    std::exit(static_cast<int>(code));
}
// The process that started the one running the task: the worker, under isolation: process.
std::int64_t parentPid() {
    return ::getppid();
}
std::int64_t length(std::string bytes) {
    return static_cast<std::int64_t>(bytes.size());
}
// `size` bytes of a pattern a test can check: byte i is 'a' + i % 26.
std::string makeBytes(std::int64_t size) {
    std::string out(static_cast<std::size_t>(size), '\0');
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>('a' + i % 26);
    return out;
}

}  // namespace

PLEXUS_TASK_LIBRARY("e2e") {
    registry.add("e2e.square", &square);
    registry.add("e2e.add", &add);
    registry.add("e2e.increment", &increment);
    registry.add("e2e.sleep_ms", &sleepMs);
    registry.add("e2e.touch_and_sleep", &touchAndSleep);
    registry.add("e2e.blob", &blob);
    registry.add("e2e.fail", &fail);
    registry.add("e2e.fail_after", &failAfter);
    registry.add("e2e.kill_worker", &killWorker);
    registry.add("e2e.worker_pid", &workerPid);
    registry.add("e2e.log_and_sleep", &logAndSleep);
    registry.add("e2e.segfault", &segfault);
    registry.add("e2e.abort", &abortTask);
    registry.add("e2e.exit", &exitWith);
    registry.add("e2e.parent_pid", &parentPid);
    registry.add("e2e.length", &length);
    registry.add("e2e.make_bytes", &makeBytes);
}
