// Functions that end their process in every way a task can (for isolation: process), and
// well-behaved ones to run before and after them.

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <plexus/task_library.h>

namespace {

// A crash in a test must not leave a core file behind.
void noCoreDump() {
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
}

std::string segfault(const plexus::TaskArguments&) {
    noCoreDump();
    volatile int* volatile nowhere = nullptr;  // neither the pointer nor the store optimised out
    *nowhere = 1;
    return "unreachable";
}

std::string abortTask(const plexus::TaskArguments&) {
    noCoreDump();
    std::abort();
}

std::string exit3(const plexus::TaskArguments&) {
    std::exit(3);
}

std::string killSelf(const plexus::TaskArguments&) {
    ::kill(::getpid(), SIGKILL);
    std::this_thread::sleep_for(std::chrono::seconds(60));  // SIGKILL arrives first
    return "unreachable";
}

// Writes a frame header of an unknown type on the task process's channel to the worker (fd 3),
// as stray task code might, then sleeps: the worker must refuse it and kill the process.
std::string scribble(const plexus::TaskArguments&) {
    const std::uint32_t header[4] = {12345, 0, 0, 0};
    if (::write(3, header, sizeof(header)) != sizeof(header)) return "could not write";
    std::this_thread::sleep_for(std::chrono::seconds(60));
    return "unreachable";
}

// The process that runs it: tells tests which task process did the work.
std::string pid(const plexus::TaskArguments&) {
    return std::to_string(::getpid());
}

std::string echo(const plexus::TaskArguments& args) {
    return std::string(args.bytes(0));
}

std::string fail(const plexus::TaskArguments& args) {
    throw std::runtime_error("failed on purpose: " + std::string(args.bytes(0)));
}

// Argument 0: a size in decimal; returns that many bytes, a pattern the test can check.
std::string bytesOfSize(const plexus::TaskArguments& args) {
    const std::size_t size = std::stoull(std::string(args.bytes(0)));
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 26);
    return out;
}

// The total size and a checksum of every argument: "<bytes>:<sum of bytes mod 2^64>".
std::string measure(const plexus::TaskArguments& args) {
    std::uint64_t total = 0;
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        for (unsigned char c : args.bytes(i)) sum += c;
        total += args.bytes(i).size();
    }
    return std::to_string(total) + ":" + std::to_string(sum);
}

// Creates the file named by argument 0 (so a test knows the task is running), then returns its
// pid once the file named by argument 1 exists (giving up after 60 s, so a broken test cannot
// leave a process busy forever).
std::string startAndWait(const plexus::TaskArguments& args) {
    { std::ofstream(std::string(args.bytes(0))) << "started"; }
    const std::filesystem::path file(args.bytes(1));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(file)) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("gate never opened");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return std::to_string(::getpid());
}

}  // namespace

PLEXUS_TASK_LIBRARY("crashing") {
    registry.addRaw("segfault", &segfault);
    registry.addRaw("abort", &abortTask);
    registry.addRaw("exit3", &exit3);
    registry.addRaw("kill_self", &killSelf);
    registry.addRaw("scribble", &scribble);
    registry.addRaw("pid", &pid);
    registry.addRaw("echo", &echo);
    registry.addRaw("fail", &fail);
    registry.addRaw("bytes_of_size", &bytesOfSize);
    registry.addRaw("measure", &measure);
    registry.addRaw("start_and_wait", &startAndWait);
}
