// Workers with isolation: process in a real cluster: a `plexus scheduler` (or one in this
// process, to look inside), `plexus worker` processes running each executor's tasks in a task
// process, and a C++ client.

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "e2e/cluster_fixture.h"
#include "plexus/future.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

const std::string kProcessIsolation = "  isolation: process\n";

// The text a failed task raises in the client.
std::string failureOf(Future& future) {
    if (!future.waitFor(60s)) return "<did not finish>";
    try {
        future.get();
    } catch (const TaskFailed& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("<not a TaskFailed> ") + e.what();
    }
    return "<succeeded>";
}

/// Submits a task that sleeps ten minutes unless its task process is killed, and waits (60 s at
/// most) until it runs; the test has failed if it did not start.
Future startLongTask(Client& client, const TempDir& dir, WorkerProcesses& workers) {
    const auto started = dir.path() / "started";
    Future busy = client.submit("e2e.touch_and_sleep", started.string(), std::int64_t{600'000});
    EXPECT_TRUE(waitUntil([&] { return std::filesystem::exists(started); }, 60s))
        << workers.output(0);
    return busy;
}

TEST(Isolation, ACrashingTaskFailsItsFutureAndTheWorkerKeepsServing) {
    InProcessScheduler scheduler;
    WorkerProcesses workers(scheduler.address(), 1, /*executors=*/2, "tcp", "capnp",
                            kProcessIsolation);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    const pid_t workerPid = workers.at(0).pid();

    // Tasks run in task processes, children of the worker.
    EXPECT_EQ(client->submit("e2e.parent_pid").get<std::int64_t>(), workerPid);
    EXPECT_EQ(client->submit("e2e.square", std::int64_t{6}).get<std::int64_t>(), 36);

    // Crashes, with ordinary tasks around them on the same worker.
    Future segfault = client->submit("e2e.segfault");
    std::vector<Future> during;
    for (std::int64_t i = 0; i < 20; ++i) during.push_back(client->submit("e2e.square", i));
    Future aborting = client->submit("e2e.abort");
    Future exiting = client->submit("e2e.exit", std::int64_t{3});

    EXPECT_NE(failureOf(segfault).find("task 'e2e.segfault' killed by signal 11 (SIGSEGV) in its "
                                       "task process"),
              std::string::npos)
        << failureOf(segfault);
    EXPECT_NE(failureOf(aborting).find("killed by signal 6 (SIGABRT)"), std::string::npos)
        << failureOf(aborting);
    EXPECT_NE(failureOf(exiting).find("exited with code 3"), std::string::npos)
        << failureOf(exiting);
    for (std::int64_t i = 0; i < 20; ++i) {
        ASSERT_TRUE(during[i].waitFor(60s)) << i;
        EXPECT_EQ(during[i].get<std::int64_t>(), i * i);
    }

    // The same worker process (so the same identity: it holds the pid) carries on, and is still
    // the only worker the scheduler knows.
    EXPECT_EQ(client->submit("e2e.square", std::int64_t{7}).get<std::int64_t>(), 49);
    EXPECT_EQ(client->submit("e2e.parent_pid").get<std::int64_t>(), workerPid);
    EXPECT_TRUE(workers.at(0).running()) << workers.output(0);
    EXPECT_EQ(scheduler.snapshot().workers, 1u);

    // Two task processes again, and no zombie: every crashed one was reaped.
    EXPECT_TRUE(waitUntil([&] { return liveChildrenOf(workerPid).size() == 2; }));
    for (const auto& child : childrenOf(workerPid)) {
        EXPECT_NE(child.state, 'Z') << "zombie task process " << child.pid;
    }
}

TEST(Isolation, CancellingARunningTaskKillsItsProcessAndFreesTheExecutor) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1, /*executors=*/1, "tcp", "capnp",
                            kProcessIsolation);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    const pid_t workerPid = workers.at(0).pid();
    TempDir dir;
    Future busy = startLongTask(*client, dir, workers);  // on the one executor
    ASSERT_FALSE(HasFailure());
    const auto before = liveChildrenOf(workerPid);
    ASSERT_EQ(before.size(), 1u);
    busy.cancel();
    EXPECT_ANY_THROW(busy.get());

    Future after = client->submit("e2e.square", std::int64_t{12});
    ASSERT_TRUE(after.waitFor(60s)) << "the executor is still busy with the cancelled task";
    EXPECT_EQ(after.get<std::int64_t>(), 144);
    EXPECT_FALSE(processStatus(before[0]).has_value()) << "the killed process was not reaped";
    EXPECT_TRUE(workers.at(0).running()) << workers.output(0);
}

TEST(Isolation, LargeArgumentsAndResultsCrossTheTaskProcess) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1, /*executors=*/1, "tcp", "capnp",
                            kProcessIsolation);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    const std::int64_t argumentBytes = 40 << 20;
    ObjectRef big = client->put(std::string(static_cast<std::size_t>(argumentBytes), 'p'));
    Future length = client->submit("e2e.length", big);
    ASSERT_TRUE(length.waitFor(120s));
    EXPECT_EQ(length.get<std::int64_t>(), argumentBytes);

    const std::int64_t resultBytes = 24 << 20;
    Future made = client->submit("e2e.make_bytes", resultBytes);
    ASSERT_TRUE(made.waitFor(120s));
    const auto bytes = made.get<std::string>();
    ASSERT_EQ(bytes.size(), static_cast<std::size_t>(resultBytes));
    for (std::size_t i = 0; i < bytes.size(); i += 4099) {
        ASSERT_EQ(bytes[i], static_cast<char>('a' + i % 26)) << "byte " << i;
    }
}

// The ordinary e2e job, with every task in a task process.
TEST(Isolation, TenThousandTasksOnTwoWorkersInTaskProcesses) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 2, /*executors=*/2, "tcp", "capnp",
                            kProcessIsolation);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    runSquares(*client, 10'000);
}

// A worker stopped with SIGTERM ends its task processes (a running one included) and reaps them.
TEST(Isolation, AStoppedWorkerLeavesNoTaskProcessBehind) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1, /*executors=*/2, "tcp", "capnp",
                            kProcessIsolation);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    const pid_t workerPid = workers.at(0).pid();
    TempDir dir;
    Future busy = startLongTask(*client, dir, workers);
    ASSERT_FALSE(HasFailure());
    const auto children = liveChildrenOf(workerPid);
    ASSERT_EQ(children.size(), 2u);
    workers.at(0).signal(SIGTERM);
    const int status = workers.at(0).waitExit(30s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << workers.output(0);
    for (const pid_t child : children) EXPECT_FALSE(processStatus(child).has_value()) << child;
}

}  // namespace
}  // namespace plexus::test
