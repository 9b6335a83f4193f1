// Estimates pi with 100 Monte-Carlo tasks spread over a plexus cluster.
//
//   plexus up --config config/local.yaml -- build/examples/plexus_example_pi
//
// The scheduler address comes from the first argument or $PLEXUS_SCHEDULER_ADDRESS (which
// `plexus up` sets for the command it runs).

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <numbers>
#include <tuple>
#include <vector>

#include <plexus/client.h>

int main(int argc, char** argv) {
    const char* address = argc > 1 ? argv[1] : std::getenv("PLEXUS_SCHEDULER_ADDRESS");
    if (address == nullptr) {
        std::cerr << "usage: " << argv[0]
                  << " tcp://HOST:PORT  (or set PLEXUS_SCHEDULER_ADDRESS)\n";
        return EXIT_FAILURE;
    }
    constexpr std::uint64_t kTasks = 100;
    constexpr std::uint64_t kSamplesPerTask = 1'000'000;

    plexus::ClientOptions options;
    options.address = address;
    auto client = plexus::Client::connect(options);
    if (!client) {
        std::cerr << "cannot connect to " << address << ": " << client.error().describe() << "\n";
        return EXIT_FAILURE;
    }

    const auto start = std::chrono::steady_clock::now();
    std::vector<std::tuple<std::uint64_t, std::uint64_t>> work;
    for (std::uint64_t seed = 1; seed <= kTasks; ++seed) work.emplace_back(seed, kSamplesPerTask);
    std::vector<plexus::Future> futures = (*client)->map("pi.sample", work);

    std::uint64_t inside = 0;
    try {
        for (auto& future : futures) inside += future.get<std::uint64_t>();
    } catch (const std::exception& e) {
        std::cerr << "a task failed: " << e.what() << "\n";
        return EXIT_FAILURE;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double estimate =
        4.0 * static_cast<double>(inside) / static_cast<double>(kTasks * kSamplesPerTask);

    std::cout << "pi ~= " << estimate << " from " << kTasks * kSamplesPerTask << " samples in "
              << kTasks << " tasks (" << seconds << " s); error "
              << std::abs(estimate - std::numbers::pi) << "\n";
    (*client)->disconnect();
    // With 10^8 samples the standard error is ~1.6e-4: anything far off means a task went wrong.
    return std::abs(estimate - std::numbers::pi) < 0.01 ? EXIT_SUCCESS : EXIT_FAILURE;
}
