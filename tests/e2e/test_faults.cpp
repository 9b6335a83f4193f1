// Faults with real processes on loopback: a task that kills its workers, a worker hung with
// SIGSTOP past its timeout and then resumed, a client killed with tasks in flight, and the
// scheduler killed and restarted under load. docs/reliability.md lists what each one proves.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "e2e/cluster_fixture.h"
#include "plexus/future.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

// A TCP port nobody listens on right now (bound to port 0 and released).
int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

std::size_t linesOf(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
}

// Runs e2e.worker_pid tasks until each of `pids` has answered one (every worker has run work
// sent after this call, so it has handled everything the scheduler sent it before). Returns the
// number of tasks it ran, or 0 if some worker never answered within the deadline.
std::size_t runOnEveryWorker(Client& client, std::set<std::int64_t> pids) {
    std::size_t ran = 0;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
        std::vector<Future> batch;
        for (int i = 0; i < 4; ++i) batch.push_back(client.submit("e2e.worker_pid"));
        for (auto& f : batch) {
            if (!f.waitFor(60s)) return 0;
            pids.erase(f.get<std::int64_t>());
            ++ran;
        }
    }
    return pids.empty() ? ran : 0;
}

// A task that takes down every worker it runs on: re-run once (max_task_retries 1), then ended
// as workerDied with the reason; the other tasks and the last worker are unharmed.
TEST(Faults, TaskThatKillsItsWorkersEndsAsWorkerDiedAtTheRetryCap) {
    InProcessScheduler scheduler("  worker_timeout_seconds: 2\n  max_task_retries: 1\n");
    WorkerProcesses workers(scheduler.address(), 3, /*executors=*/1);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().workers == 3; }, 30s));
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    Future poison = client->submit("e2e.kill_worker", std::int64_t{0});
    std::vector<Future> squares;
    for (std::int64_t i = 0; i < 50; ++i) squares.push_back(client->submit("e2e.square", i));
    for (std::int64_t i = 0; i < 50; ++i) {
        ASSERT_TRUE(squares[i].waitFor(60s)) << "task " << i;
        EXPECT_EQ(squares[i].get<std::int64_t>(), i * i);
    }
    ASSERT_TRUE(poison.waitFor(60s));
    try {
        poison.get();
        FAIL() << "a task whose workers die must not succeed";
    } catch (const TaskLost& error) {
        EXPECT_EQ(error.status(), TaskStatus::workerDied);
        const std::string what = error.what();
        EXPECT_NE(what.find("2 time(s) and max_task_retries is 1"), std::string::npos) << what;
    }
    std::size_t alive = 0;
    for (std::size_t i = 0; i < workers.size(); ++i) alive += workers.at(i).running();
    EXPECT_EQ(alive, 1u) << "it ran twice, on two workers";
    EXPECT_EQ(scheduler.snapshot().workers, 1u);
    // The reason object was fetched and deleted: only the client's session marker is left.
    EXPECT_TRUE(waitUntil([&] { return scheduler.snapshot().objects == 1; }, 10s))
        << scheduler.snapshot().objects;
}

// A worker stopped mid-task (SIGSTOP) past the worker timeout: its tasks run on the other worker
// and every future resolves once, with its value. Resumed (SIGCONT), it registers again as a
// new worker, drops what it held, and runs new work; what it still answers for its old tasks
// reaches nobody, and their result objects are not kept.
TEST(Faults, HungWorkerIsReplacedThenComesBackCleanly) {
    InProcessScheduler scheduler("  worker_timeout_seconds: 2\n");
    WorkerProcesses workers(scheduler.address(), 2, /*executors=*/1);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().workers == 2; }, 30s));
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    constexpr std::int64_t kTasks = 40;
    std::vector<Future> futures;
    for (std::int64_t i = 0; i < kTasks; ++i)
        futures.push_back(client->submit("e2e.sleep_ms", std::int64_t{100} + i));
    ASSERT_TRUE(waitUntil([&] { return futures[3].done(); }, 60s));  // both workers are busy
    ChildProcess& hung = workers.at(0);
    hung.signal(SIGSTOP);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().workers == 1; }, 30s))
        << "the stopped worker is declared dead";
    for (std::int64_t i = 0; i < kTasks; ++i) {
        ASSERT_TRUE(futures[i].waitFor(60s)) << "task " << i;
        EXPECT_EQ(futures[i].get<std::int64_t>(), 100 + i) << "task " << i;
    }
    EXPECT_EQ(scheduler.snapshot().resultsDelivered, static_cast<std::uint64_t>(kTasks));

    hung.signal(SIGCONT);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().workers == 2; }, 30s))
        << "the resumed worker registers again";
    // Once it has run new work, everything it sent before (stale results) has been handled.
    const std::size_t fence = runOnEveryWorker(*client, {hung.pid(), workers.at(1).pid()});
    ASSERT_GT(fence, 0u) << "the resumed worker runs new tasks";
    EXPECT_TRUE(hung.running());
    EXPECT_EQ(scheduler.snapshot().resultsDelivered, kTasks + fence)
        << "one result per task reached the client";
    // The client deletes what it fetched; a stale result object would stay behind.
    EXPECT_TRUE(waitUntil([&] { return scheduler.snapshot().objects == 1; }, 10s))
        << scheduler.snapshot().objects << " objects; only the client's session marker expected";
    EXPECT_EQ(scheduler.snapshot().tasks, 0u);
}

// A client process SIGKILLed with 1,000 tasks in flight: after the client timeout the scheduler
// cancels its tasks and drops its objects, the workers stop running its work, and a client
// working at the same time gets all its results.
TEST(Faults, KilledClientsWorkIsCancelledWhileAnotherClientCarriesOn) {
    InProcessScheduler scheduler("  client_timeout_seconds: 2\n");
    WorkerProcesses workers(scheduler.address(), 2, /*executors=*/1);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().workers == 2; }, 30s));
    TempDir dir;
    const auto runs = dir.path() / "runs.log";
    ChildProcess victim(PLEXUS_E2E_FAULT_CLIENT, {scheduler.address(), buildPluginDir().string(),
                                                  "1000", "20", runs.string()});
    ASSERT_TRUE(
        waitUntil([&] { return victim.output().find("running") != std::string::npos; }, 60s))
        << victim.output();
    auto survivor = connectClient(scheduler.address());
    ASSERT_TRUE(survivor);
    std::vector<Future> squares;
    for (std::int64_t i = 0; i < 100; ++i) squares.push_back(survivor->submit("e2e.square", i));

    victim.signal(SIGKILL);
    ASSERT_NE(victim.waitExit(10s), -1);
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().clients == 1; }, 30s))
        << "the killed client times out";
    for (std::int64_t i = 0; i < 100; ++i) {
        ASSERT_TRUE(squares[i].waitFor(60s)) << "task " << i;
        EXPECT_EQ(squares[i].get<std::int64_t>(), i * i);
    }
    // Its tasks are gone and so are its objects (the 1 MiB put, the arguments): what is left
    // is the survivor's session marker.
    EXPECT_TRUE(waitUntil(
        [&] {
            const auto s = scheduler.snapshot();
            return s.tasks == 0 && s.objects == 1;
        },
        30s))
        << scheduler.snapshot().tasks << " tasks, " << scheduler.snapshot().objects << " objects";
    // Each worker runs what it holds in order: once both have run the survivor's later tasks,
    // any of the killed client's tasks still queued on them would have run before.
    ASSERT_GT(runOnEveryWorker(*survivor, {workers.at(0).pid(), workers.at(1).pid()}), 0u);
    const std::size_t ran = linesOf(runs);
    EXPECT_LT(ran, 1000u) << "its queued tasks were cancelled, not run";
    ASSERT_GT(runOnEveryWorker(*survivor, {workers.at(0).pid(), workers.at(1).pid()}), 0u);
    EXPECT_EQ(linesOf(runs), ran) << "no task of the killed client ran after it was dropped";
}

// The scheduler SIGKILLed with tasks in flight and a new one started on the same address: the
// workers reconnect and register by themselves; the client sees each task either finish (if it
// did before the kill) or fail with TaskLost(notFound) promptly once it has reconnected, and
// new submissions run on every worker.
TEST(Faults, SchedulerRestartedUnderLoad) {
    const std::string address = "tcp://127.0.0.1:" + std::to_string(freePort());
    auto first = std::make_unique<SchedulerProcess>("", address);
    WorkerProcesses workers(address, 2, /*executors=*/2);
    auto client = connectClient(address);
    ASSERT_TRUE(client);
    constexpr std::int64_t kTasks = 200;
    std::vector<Future> futures;
    for (std::int64_t i = 0; i < kTasks; ++i)
        futures.push_back(client->submit("e2e.sleep_ms", std::int64_t{30} + i % 5));
    ASSERT_TRUE(waitUntil([&] { return futures[10].done(); }, 60s));

    first->process().signal(SIGKILL);
    ASSERT_NE(first->process().waitExit(10s), -1);
    const auto restartedAt = std::chrono::steady_clock::now();
    SchedulerProcess second("", address);

    std::size_t finished = 0;
    std::size_t lost = 0;
    for (std::int64_t i = 0; i < kTasks; ++i) {
        ASSERT_TRUE(futures[i].waitFor(60s)) << "task " << i << " hangs";
        try {
            EXPECT_EQ(futures[i].get<std::int64_t>(), 30 + i % 5);
            ++finished;
        } catch (const TaskLost& error) {
            EXPECT_EQ(error.status(), TaskStatus::notFound);
            EXPECT_NE(std::string(error.what()).find("restarted"), std::string::npos)
                << error.what();
            ++lost;
        }
    }
    const auto settled = std::chrono::steady_clock::now() - restartedAt;
    EXPECT_GT(lost, 0u) << "some tasks were in flight";
    EXPECT_EQ(finished + lost, static_cast<std::size_t>(kTasks));
    EXPECT_LT(settled, 30s);
    std::cout << "in-flight tasks failed "
              << std::chrono::duration_cast<std::chrono::milliseconds>(settled).count()
              << " ms after the new scheduler started (" << lost << " lost, " << finished
              << " finished before the kill)\n";

    // The same client carries on, on both workers.
    EXPECT_GT(runOnEveryWorker(*client, {workers.at(0).pid(), workers.at(1).pid()}), 0u);
    auto squares = client->map("e2e.square", std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
    for (std::int64_t i = 0; i < 8; ++i)
        EXPECT_EQ(squares[i].get<std::int64_t>(), (i + 1) * (i + 1));
}

}  // namespace
}  // namespace plexus::test
