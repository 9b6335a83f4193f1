#include "scheduler/process_usage.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>

namespace plexus::detail {
namespace {

std::chrono::nanoseconds processCpuTime() {
    timespec now{};
    if (::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now) != 0) return {};
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

std::uint64_t residentBytes() {
    // /proc/self/statm: size, resident, ... in pages.
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::uint64_t memoryAvailable() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
        if (key == "MemAvailable:") return kib * 1024;
    }
    return 0;
}

}  // namespace

ProcessUsage::Sample ProcessUsage::sample() {
    const auto wall = std::chrono::steady_clock::now();
    const auto cpu = processCpuTime();
    Sample sample;
    if (sampled_ && wall > lastWall_) {
        const double permille = 1000.0 * static_cast<double>((cpu - lastCpu_).count()) /
                                static_cast<double>((wall - lastWall_).count());
        sample.process.cpu = static_cast<std::uint16_t>(std::clamp(
            permille, 0.0, static_cast<double>(std::numeric_limits<std::uint16_t>::max())));
    }
    sampled_ = true;
    lastWall_ = wall;
    lastCpu_ = cpu;
    sample.process.rss = residentBytes();
    sample.memoryAvailable = memoryAvailable();
    return sample;
}

}  // namespace plexus::detail
