// Load: 100 clients, each with its own link, submitting 1,000 tasks each at once to one
// scheduler with three workers. Every task must end once, with its own correct result, and the
// scheduler must hold nothing afterwards.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "e2e/cluster_fixture.h"
#include "plexus/future.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

TEST(Load, HundredClientsWithAThousandTasksEach) {
    constexpr int kClients = 100;
    constexpr int kTasksPerClient = 1000;
    InProcessScheduler scheduler;
    WorkerProcesses workers(scheduler.address(), 3);

    std::atomic<int> correct{0};
    std::atomic<int> connected{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
            auto client = connectClient(scheduler.address());
            if (!client) return;
            ++connected;
            // Inputs unique across clients, so a result delivered to the wrong client shows.
            std::vector<std::int64_t> inputs(kTasksPerClient);
            for (int i = 0; i < kTasksPerClient; ++i) inputs[i] = c * kTasksPerClient + i;
            auto futures = client->map("e2e.square", inputs);
            for (int i = 0; i < kTasksPerClient; ++i) {
                if (!futures[i].waitFor(120s)) {
                    ADD_FAILURE() << "client " << c << " task " << i << " did not finish";
                    return;
                }
                const auto value = futures[i].get<std::int64_t>();
                if (value == inputs[i] * inputs[i]) {
                    ++correct;
                } else {
                    ADD_FAILURE() << "client " << c << " task " << i << ": " << value;
                }
            }
        });
    }
    for (auto& thread : clients) thread.join();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(connected.load(), kClients);
    EXPECT_EQ(correct.load(), kClients * kTasksPerClient);
    // Every task ended exactly once at the scheduler: none is left, and no client is held.
    EXPECT_TRUE(waitUntil([&] { return scheduler.snapshot().tasks == 0; }, 30s))
        << scheduler.snapshot().tasks << " tasks left";
    EXPECT_EQ(scheduler.snapshot().heldClients, 0u);
    std::cout << "[ measured ] " << kClients * kTasksPerClient << " tasks from " << kClients
              << " clients in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

}  // namespace
}  // namespace plexus::test
