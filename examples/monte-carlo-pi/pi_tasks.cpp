// A task library for the Monte-Carlo estimate of pi: each task throws `samples` random darts at
// the unit square and counts those inside the quarter circle. The worker loads this library and
// runs `pi.sample` wherever the scheduler sends it.

#include <cstdint>
#include <random>

#include <plexus/task_library.h>

namespace {

// Darts inside the quarter circle, out of `samples`, from a generator seeded with `seed` (so a
// task gives the same answer wherever and however often it runs).
std::uint64_t sampleInside(std::uint64_t seed, std::uint64_t samples) {
    std::mt19937_64 generator(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uint64_t inside = 0;
    for (std::uint64_t i = 0; i < samples; ++i) {
        const double x = unit(generator);
        const double y = unit(generator);
        inside += (x * x + y * y <= 1.0) ? 1 : 0;
    }
    return inside;
}

}  // namespace

PLEXUS_TASK_LIBRARY("monte-carlo-pi") {
    registry.add("pi.sample", &sampleInside);
}
