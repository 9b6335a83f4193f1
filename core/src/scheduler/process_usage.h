#pragma once

#include <chrono>
#include <cstdint>

#include "plexus/messages.h"

namespace plexus::detail {

/// This process's CPU and memory use, measured as Scaler's scheduler reports them to its monitor
/// (psutil's Process.cpu_percent(), Process.memory_info().rss, virtual_memory().available).
/// Reads /proc; a value it cannot read is 0. Not thread-safe: one owner calls sample().
class ProcessUsage {
  public:
    struct Sample {
        /// cpu: percent x10 of one core since the previous sample (over 1000 when several
        /// threads were busy; 0 at the first sample); rss: resident bytes.
        Resource process;
        std::uint64_t memoryAvailable = 0;  ///< bytes the machine can still give (MemAvailable)
    };

    Sample sample();

  private:
    bool sampled_ = false;
    std::chrono::steady_clock::time_point lastWall_;
    std::chrono::nanoseconds lastCpu_{0};
};

}  // namespace plexus::detail
