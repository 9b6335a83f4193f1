// A good task library for the worker tests: typed and raw functions, functions that throw, and
// one that waits for a file so a test can hold an executor busy for as long as it needs.

#include <chrono>
#include <filesystem>
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

// Returns once the file named by argument 0 exists (polling; gives up after 60 s so a broken
// test cannot leave a worker busy forever).
std::string waitForFile(const plexus::TaskArguments& args) {
    const std::filesystem::path file(args.bytes(0));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(file)) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("gate never opened");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return "opened";
}

}  // namespace

PLEXUS_TASK_LIBRARY("maths") {
    registry.add("square", &square);
    registry.addRaw("concat", &concat);
    registry.addRaw("fail", &fail);
    registry.addRaw("throw_int", &throwInt);
    registry.addRaw("wait_for_file", &waitForFile);
}
