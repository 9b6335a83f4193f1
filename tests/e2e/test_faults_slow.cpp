// 100,000 tasks while worker processes are SIGKILLed one after another and replaced: every task
// completes exactly once from the client's view. Labelled `slow` (ctest -LE slow skips it), and
// part of the default run.

#include <signal.h>

#include <gtest/gtest.h>

#include "e2e/cluster_fixture.h"
#include "plexus/future.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

TEST(FaultsSlow, HundredThousandTasksWithRepeatedWorkerKills) {
    // A short timeout so the dead workers' tasks come back quickly. The retry cap is raised: the
    // test is about exactly-once delivery under churn, not about the cap (a task executing on
    // four workers in a row as each is killed would otherwise end as workerDied).
    InProcessScheduler scheduler("  worker_timeout_seconds: 2\n  max_task_retries: 1000\n");
    WorkerProcesses workers(scheduler.address(), 4, /*executors=*/2);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().workers == 4; }, 30s));
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);

    constexpr std::int64_t kTasks = 100'000;
    std::vector<std::int64_t> inputs(kTasks);
    for (std::int64_t i = 0; i < kTasks; ++i) inputs[i] = i;
    const auto started = std::chrono::steady_clock::now();
    auto futures = client->map("e2e.square", inputs);

    // Every 300 ms until all are done: SIGKILL the oldest live worker, start a replacement.
    std::size_t done = 0;
    auto allDone = [&] {
        while (done < futures.size() && futures[done].done()) ++done;
        return done == futures.size();
    };
    constexpr int kMaxKills = 60;  // then let the run finish undisturbed
    int kills = 0;
    std::size_t victim = 0;
    while (!waitUntil(allDone, 300ms) && kills < kMaxKills) {
        workers.at(victim).signal(SIGKILL);
        ASSERT_NE(workers.at(victim).waitExit(10s), -1);
        ++victim;
        workers.add();
        ++kills;
    }
    ASSERT_TRUE(waitUntil(allDone, 120s)) << done << " of " << kTasks << " done";
    const auto elapsed = std::chrono::steady_clock::now() - started;

    for (std::int64_t i = 0; i < kTasks; ++i) {
        ASSERT_EQ(futures[i].get<std::int64_t>(), i * i) << "task " << i;
    }
    EXPECT_GE(kills, 5) << "the run must see repeated kills";
    // Exactly once: the scheduler sent one TaskResult per task, no more.
    EXPECT_EQ(scheduler.snapshot().resultsDelivered, static_cast<std::uint64_t>(kTasks));
    EXPECT_EQ(scheduler.snapshot().tasks, 0u);
    std::cout << kTasks << " tasks with " << kills << " worker kills in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

}  // namespace
}  // namespace plexus::test
