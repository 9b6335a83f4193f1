// Whole clusters doing real work: a scheduler, `plexus worker` processes running the e2e task
// library, and C++ clients, all on loopback.

#include <signal.h>

#include <atomic>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "e2e/cluster_fixture.h"
#include "plexus/future.h"
#include "support/test_peer.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

TEST(Cluster, TenThousandTasksWithOneWorker) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    runSquares(*client, 10'000);
}

TEST(Cluster, TenThousandTasksWithFourWorkers) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 4);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    runSquares(*client, 10'000);
}

TEST(Cluster, MapOverArgumentTuplesAndObjectReferences) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 2);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    std::vector<std::tuple<std::int64_t, std::int64_t>> pairs;
    for (std::int64_t i = 0; i < 100; ++i) pairs.emplace_back(i, 1000 * i);
    auto futures = client->map("e2e.add", pairs);
    for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(futures[i].get<std::int64_t>(), 1001 * i);
    // An object put once and used by many tasks.
    ObjectRef seven = client->put(std::int64_t{7});
    std::vector<Future> uses;
    for (std::int64_t i = 0; i < 20; ++i) uses.push_back(client->submit("e2e.add", seven, i));
    for (std::int64_t i = 0; i < 20; ++i) EXPECT_EQ(uses[i].get<std::int64_t>(), 7 + i);
}

TEST(Cluster, ThrowingTaskRaisesTheRemoteMessage) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    Future failing = client->submit("e2e.fail", std::string("the answer was not 42"));
    Future fine = client->submit("e2e.square", std::int64_t{6});
    try {
        failing.get();
        FAIL() << "a failed task must throw";
    } catch (const TaskFailed& e) {
        EXPECT_NE(std::string(e.what()).find("the answer was not 42"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(fine.get<std::int64_t>(), 36);  // the worker carries on
}

TEST(Cluster, UnknownFunctionWaitsForAWorkerThatHasIt) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    Future nobodyHasIt = client->submit("e2e.no_such_function", std::int64_t{1});
    EXPECT_EQ(client->submit("e2e.square", std::int64_t{3}).get<std::int64_t>(), 9);
    EXPECT_FALSE(nobodyHasIt.waitFor(300ms));  // queued: no worker announced it
    EXPECT_TRUE(nobodyHasIt.cancel());
}

TEST(Cluster, CancelledTasksNeverRunAndOthersFinish) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1, /*executors=*/1);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    Future busy = client->submit("e2e.sleep_ms", std::int64_t{500});
    std::vector<Future> queued;
    for (int i = 0; i < 5; ++i) queued.push_back(client->submit("e2e.sleep_ms", std::int64_t{400}));
    for (auto& f : queued) EXPECT_TRUE(f.cancel());
    Future after = client->submit("e2e.square", std::int64_t{12});
    EXPECT_EQ(after.get<std::int64_t>(), 144);
    EXPECT_EQ(busy.get<std::int64_t>(), 500);
    for (auto& f : queued) EXPECT_THROW(f.get(), TaskCanceled);
}

// A client that leaves with many tasks pending sends no TaskCancel per task: its ClientDisconnect
// cancels them all, on the scheduler and on the worker, so none of them runs.
TEST(Cluster, DisconnectWithManyPendingTasksCancelsThemAll) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 1, /*executors=*/1);
    {
        auto client = connectClient(scheduler.address());
        ASSERT_TRUE(client);
        Future busy = client->submit("e2e.sleep_ms", std::int64_t{200});
        // 2,000 x 100 ms: more than three minutes on the one executor if they were not cancelled.
        std::vector<std::tuple<std::int64_t>> work(2'000, std::tuple<std::int64_t>{100});
        auto pending = client->map("e2e.sleep_ms", work);
        ASSERT_TRUE(busy.waitFor(60s));
        client->disconnect();
        for (auto& f : pending) EXPECT_THROW(f.get(), ClientDisconnected);
    }
    auto later = connectClient(scheduler.address());
    ASSERT_TRUE(later);
    Future after = later->submit("e2e.square", std::int64_t{12});
    ASSERT_TRUE(after.waitFor(60s)) << "the left client's tasks still occupy the worker";
    EXPECT_EQ(after.get<std::int64_t>(), 144);
}

// A worker killed with SIGKILL in the middle of a batch: its tasks are re-run elsewhere, and the
// client sees every task finish exactly once with the right result.
TEST(Cluster, WorkerKilledMidBatchLosesNoTask) {
    SchedulerProcess scheduler("  worker_timeout_seconds: 2\n");
    WorkerProcesses workers(scheduler.address(), 2, /*executors=*/2);
    auto client = connectClient(scheduler.address());
    ASSERT_TRUE(client);
    constexpr std::int64_t kTasks = 400;
    std::vector<std::tuple<std::int64_t>> work;
    for (std::int64_t i = 0; i < kTasks; ++i) work.emplace_back(5 + i % 3);  // 5-7 ms each
    auto futures = client->map("e2e.sleep_ms", work);
    // Kill one worker once a fair part of the batch is done (so it surely holds tasks).
    ASSERT_TRUE(waitUntil([&] { return futures[kTasks / 4].done(); }, 60s));
    workers.at(0).signal(SIGKILL);
    std::size_t finished = 0;
    for (std::int64_t i = 0; i < kTasks; ++i) {
        ASSERT_TRUE(futures[i].waitFor(60s)) << "task " << i << " never finished";
        EXPECT_EQ(futures[i].get<std::int64_t>(), 5 + i % 3);
        ++finished;
    }
    EXPECT_EQ(finished, static_cast<std::size_t>(kTasks));
    EXPECT_TRUE(workers.at(1).running()) << workers.output(1);
}

TEST(Cluster, ClientThatDisconnectsLeavesNoObjectsBehind) {
    InProcessScheduler scheduler;
    WorkerProcesses workers(scheduler.address(), 2, /*executors=*/2);
    auto clean = [&] {
        const auto s = scheduler.snapshot();
        return s.objects == 0 && s.tasks == 0 && s.clients == 0;
    };
    {
        auto client = connectClient(scheduler.address());
        ASSERT_TRUE(client);
        ObjectRef big = client->put(std::string(1 << 20, 'x'));
        std::vector<Future> futures;
        for (std::int64_t i = 0; i < 200; ++i) futures.push_back(client->submit("e2e.square", i));
        futures.push_back(client->submit("e2e.fail", std::string("failing leaves objects too")));
        for (std::int64_t i = 0; i < 200; ++i) EXPECT_EQ(futures[i].get<std::int64_t>(), i * i);
        EXPECT_THROW(futures.back().get(), TaskFailed);
        EXPECT_GE(scheduler.snapshot().objects, 1u);  // the put object is still there
        // Tasks still running at disconnect: their results arrive for a client that left.
        for (int i = 0; i < 4; ++i) client->submit("e2e.sleep_ms", std::int64_t{50});
        client->disconnect();
    }
    EXPECT_TRUE(waitUntil(clean, 10s)) << "objects " << scheduler.snapshot().objects;
    // Occupy every executor with a later task: each worker answers in order on its one link, so
    // once these are done the late results (and result objects) of the first client have been
    // received, and must have been dropped.
    {
        auto later = connectClient(scheduler.address());
        ASSERT_TRUE(later);
        std::vector<Future> fence;
        for (int i = 0; i < 4; ++i)
            fence.push_back(later->submit("e2e.sleep_ms", std::int64_t{100}));
        for (auto& f : fence) EXPECT_EQ(f.get<std::int64_t>(), 100);
        later->disconnect();
    }
    EXPECT_TRUE(waitUntil(clean, 10s))
        << "objects " << scheduler.snapshot().objects << ", tasks " << scheduler.snapshot().tasks;
}

// A graph of 10 chains of 100 nodes; one node fails half-way along its chain. Sent as Scaler's
// GraphTask by a protocol-level peer (the C++ client has no graph API yet).
TEST(Cluster, ThousandNodeGraphWithAFailingNode) {
    SchedulerProcess scheduler;
    WorkerProcesses workers(scheduler.address(), 2);
    TestPeer client("tcp", "capnp", "Client");
    client.connect(scheduler.address());
    client.send(ClientHeartbeat{});
    ASSERT_TRUE(client.waitFor(MessageKind::clientHeartbeatEcho));
    const Bytes& me = client.identity();

    ObjectInstruction inputs{ObjectInstructionType::create, me, {}};
    auto addObject = [&](const Bytes& id, const std::string& bytes) {
        inputs.objectContent.ids.push_back(id);
        inputs.objectContent.types.push_back(ObjectType::object);
        inputs.objectContent.names.push_back(id);
        std::vector<Buffer> chunks;
        chunks.push_back(Buffer::copyOf(std::string_view(bytes)));
        inputs.objectContent.payloads.push_back(std::move(chunks));
    };
    addObject("message", "node 3/50 failed on purpose");
    GraphTask graph{"graph-1", me, {}, {}};
    auto nodeId = [](int chain, int k) {
        return "n-" + std::to_string(chain) + "-" + std::to_string(k);
    };
    for (int chain = 0; chain < 10; ++chain) {
        addObject("seed-" + std::to_string(chain), toBytes<std::int64_t>(chain * 1000));
        for (int k = 0; k < 100; ++k) {
            Task task{nodeId(chain, k), me, {}, "plexus:fn:e2e.increment", {}};
            if (k == 0) {
                task.functionArgs.push_back(
                    Argument{ArgumentType::objectID, "seed-" + std::to_string(chain)});
            } else {
                task.functionArgs.push_back(Argument{ArgumentType::task, nodeId(chain, k - 1)});
            }
            if (chain == 3 && k == 50) {
                task.funcObjectId = "plexus:fn:e2e.fail_after";
                task.functionArgs.push_back(Argument{ArgumentType::objectID, "message"});
            }
            graph.targets.push_back(task.taskId);
            graph.graph.push_back(std::move(task));
        }
    }
    client.send(Message(std::move(inputs)));
    client.send(Message(std::move(graph)));

    std::map<Bytes, TaskResult> results;
    std::optional<TaskResult> graphResult;
    while (!graphResult) {
        auto message = client.waitFor(MessageKind::taskResult, 60s);
        ASSERT_TRUE(message) << "graph did not finish; " << results.size()
                             << " node results so far";
        auto& result = std::get<TaskResult>(*message);
        if (result.taskId == "graph-1") {
            graphResult = result;
        } else {
            EXPECT_TRUE(results.emplace(result.taskId, result).second)
                << "two results for " << result.taskId;
        }
    }
    EXPECT_EQ(results.size(), 1000u) << "every target ends once";
    EXPECT_EQ(graphResult->status, TaskStatus::failed);
    for (int k = 0; k < 50; ++k)
        EXPECT_EQ(results.at(nodeId(3, k)).status, TaskStatus::success) << k;
    for (int k = 50; k < 100; ++k)
        EXPECT_EQ(results.at(nodeId(3, k)).status, TaskStatus::failed) << k;

    // A failed target's result object holds the failing node's error; a successful one its value.
    const auto& failed = results.at(nodeId(3, 99));
    ASSERT_EQ(failed.results.size(), 1u);
    const auto& succeeded = results.at(nodeId(3, 49));
    ASSERT_EQ(succeeded.results.size(), 1u);
    client.send(ObjectRequest{ObjectRequestType::get, {failed.results[0], succeeded.results[0]}});
    auto response = client.waitFor(MessageKind::objectResponse);
    ASSERT_TRUE(response);
    const auto& content = std::get<ObjectResponse>(*response).objectContent;
    ASSERT_EQ(content.ids, (std::vector<Bytes>{failed.results[0], succeeded.results[0]}));
    EXPECT_NE(content.payloads[0][0].view().find("node 3/50 failed on purpose"), std::string::npos);
    EXPECT_EQ(fromBytes<std::int64_t>(content.payloads[1][0].view()), 3000 + 50);
}

}  // namespace
}  // namespace plexus::test
