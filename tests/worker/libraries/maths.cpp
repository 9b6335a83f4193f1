// A good task library for the worker tests: typed and raw functions, functions that throw, and
// one that waits for a file so a test can hold an executor busy for as long as it needs.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <plexus/task_library.h>

namespace {

double square(double x) {
    return x * x;
}

std::string concat(const plexus::TaskArguments& args) {
    std::string out;
    for (std::size_t i = 0; i < args.size(); ++i) out += args.bytes(i);
    return out;
}

std::string fail(const plexus::TaskArguments& args) {
    throw std::runtime_error("boom: " + std::string(args.size() > 0 ? args.bytes(0) : ""));
}

std::string throwInt(const plexus::TaskArguments&) {
    throw 42;
}

// Returns once `file` exists (polling; gives up after 60 s so a broken test cannot leave a
// worker busy forever).
std::string waitFor(const std::filesystem::path& file) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(file)) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("gate never opened");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return "opened";
}

// Returns once the file named by argument 0 exists.
std::string waitForFile(const plexus::TaskArguments& args) {
    return waitFor(std::filesystem::path(args.bytes(0)));
}

// Creates the file named by argument 0 (so a test knows the task has started), then returns
// once the file named by argument 1 exists.
std::string markAndWaitForFile(const plexus::TaskArguments& args) {
    std::ofstream(std::filesystem::path(args.bytes(0))) << "started";
    return waitFor(std::filesystem::path(args.bytes(1)));
}

}  // namespace

PLEXUS_TASK_LIBRARY("maths") {
    registry.add("square", &square);
    registry.addRaw("concat", &concat);
    registry.addRaw("fail", &fail);
    registry.addRaw("throw_int", &throwInt);
    registry.addRaw("wait_for_file", &waitForFile);
    registry.addRaw("mark_and_wait_for_file", &markAndWaitForFile);
}
