// Workers that die (silent past the worker timeout) or leave, under each RequeuePolicy: which of
// their tasks count as executing, the retry cap, workerDied results, and a hung worker that
// comes back. Driven with a fake clock.

#include <map>

#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

const std::string kClient = "1|Client|c";
const std::string kW1 = "2|Agent|w1";
const std::string kW2 = "3|Agent|w2";
const std::string kW3 = "4|Agent|w3";

class WorkerDeathTest : public SchedulerCoreTest {
  protected:
    void start(RequeuePolicy::OnWorkerDeath onDeath, std::uint32_t maxRetries) {
        settings.workerTimeout = 10s;
        settings.requeue = RequeuePolicy{onDeath, maxRetries};
        scheduler = std::make_unique<SchedulerCore>(settings, outbox);
        in(kClient, ClientHeartbeat{});
    }
    void in(const std::string& peer, Message message) {
        scheduler->onMessage(PeerAddress{0, peer}, std::move(message), Buffer(), now);
    }
    // A stock worker runs one task per processor it reports in its heartbeat.
    void stockWorker(const std::string& id, std::size_t processors) {
        WorkerHeartbeat heartbeat;
        heartbeat.processors.resize(processors);
        in(id, heartbeat);
    }
    // A plexus worker announces its executors (and functions) before its heartbeat.
    void plexusWorker(const std::string& id, std::uint32_t executors) {
        in(id, WorkerCapabilities{{"f", "g"}, executors, kPlexusProtocolVersion});
        in(id, WorkerHeartbeat{});
    }
    void submit(const std::string& taskId, const std::string& function = "fn") {
        in(kClient, task(taskId, kClient, {}, function));
    }
    // `dead` stays silent past the timeout while `alive` and the client keep heartbeating.
    void timeOut(const std::vector<std::string>& alive) {
        now += 11s;
        for (const auto& worker : alive) in(worker, WorkerHeartbeat{});
        in(kClient, ClientHeartbeat{});
        scheduler->onTick(now);
    }
    // Task ids sent to `worker`, in order.
    std::vector<std::string> tasksSentTo(const std::string& worker) const {
        std::vector<std::string> ids;
        for (const auto* message : sentTo(worker, MessageKind::task))
            ids.push_back(std::get<Task>(*message).taskId);
        return ids;
    }
    std::vector<std::string> cancelsSentTo(const std::string& worker) const {
        std::vector<std::string> ids;
        for (const auto* message : sentTo(worker, MessageKind::taskCancel))
            ids.push_back(std::get<TaskCancel>(*message).taskId);
        return ids;
    }
    // Every TaskResult the client received, by task id (a second one for an id fails the test).
    std::map<std::string, TaskResult> clientResults() const {
        std::map<std::string, TaskResult> results;
        for (const auto* message : sentTo(kClient, MessageKind::taskResult)) {
            const auto& result = std::get<TaskResult>(*message);
            EXPECT_TRUE(results.emplace(result.taskId, result).second)
                << "two results for " << result.taskId;
        }
        return results;
    }
    // The text of the result object of a workerDied result.
    std::string reasonOf(const TaskResult& result) const {
        EXPECT_EQ(result.status, TaskStatus::workerDied);
        if (result.results.size() != 1) return "<no result object>";
        const auto* object = scheduler->objects().find(result.results.front());
        if (object == nullptr) return "<result object missing>";
        EXPECT_EQ(object->owner, kClient);
        std::string text;
        for (const auto& chunk : object->chunks) text += chunk.view();
        return text;
    }

    std::unique_ptr<SchedulerCore> scheduler;
};

TEST_F(WorkerDeathTest, TheOldestSentTasksAreTheExecutingOnesAndOnlyTheyCountARetry) {
    start(RequeuePolicy::OnWorkerDeath::requeue, 0);
    stockWorker(kW1, 2);  // runs two at a time
    for (int i = 0; i < 5; ++i) submit("t" + std::to_string(i));
    ASSERT_EQ(tasksSentTo(kW1), (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
    stockWorker(kW2, 2);
    timeOut({kW2});

    // t0 and t1 were executing: with max_task_retries 0 they end; the rest were only waiting.
    auto results = clientResults();
    ASSERT_EQ(results.size(), 2u);
    for (const auto* id : {"t0", "t1"}) {
        ASSERT_TRUE(results.count(id)) << id;
        const std::string reason = reasonOf(results.at(id));
        EXPECT_NE(reason.find("max_task_retries is 0"), std::string::npos) << reason;
        EXPECT_NE(reason.find(kW1), std::string::npos) << reason;
    }
    EXPECT_EQ(tasksSentTo(kW2), (std::vector<std::string>{"t2", "t3", "t4"}));

    // The reason objects are the client's, deleted like any result object.
    EXPECT_EQ(scheduler->objects().count(), 2u);
    ObjectInstruction del{ObjectInstructionType::del, kClient, {}};
    del.objectContent.ids = {results.at("t0").results.front(), results.at("t1").results.front()};
    in(kClient, std::move(del));
    EXPECT_EQ(scheduler->objects().count(), 0u);
}

TEST_F(WorkerDeathTest, RetriesAccumulateAcrossDeathsAndWaitingNeverCounts) {
    start(RequeuePolicy::OnWorkerDeath::requeue, 1);
    plexusWorker(kW1, 1);
    submit("t0", "plexus:fn:f");
    submit("t1", "plexus:fn:f");
    plexusWorker(kW2, 1);
    timeOut({kW2});  // t0 was executing: retry 1 of 1; t1 was waiting
    EXPECT_TRUE(clientResults().empty());
    ASSERT_EQ(tasksSentTo(kW2), (std::vector<std::string>{"t0", "t1"}));

    plexusWorker(kW3, 1);
    timeOut({kW3});  // t0 executing again: over the cap; t1 still only waiting
    auto results = clientResults();
    ASSERT_EQ(results.size(), 1u);
    const std::string reason = reasonOf(results.at("t0"));
    EXPECT_NE(reason.find("2 time(s)"), std::string::npos) << reason;
    EXPECT_EQ(tasksSentTo(kW3), std::vector<std::string>{"t1"});

    // Now t1 is the one executing; its first count keeps it within the cap.
    plexusWorker(kW1, 1);
    timeOut({kW1});
    EXPECT_EQ(clientResults().size(), 1u);
    EXPECT_EQ(tasksSentTo(kW1).back(), "t1");
    in(kW1, result("t1", TaskStatus::success));
    EXPECT_EQ(clientResults().at("t1").status, TaskStatus::success);
    EXPECT_EQ(scheduler->tasks().size(), 0u);
}

TEST_F(WorkerDeathTest, RequeuedTasksKeepTheirOrderAcrossFunctions) {
    // Native tasks wait in one queue per function; re-queued ones still go out oldest first, so
    // the task that was executing is executing again on the next worker (and counted again).
    start(RequeuePolicy::OnWorkerDeath::requeue, 1);
    plexusWorker(kW1, 1);
    submit("crash", "plexus:fn:g");
    for (int i = 0; i < 3; ++i) submit("t" + std::to_string(i), "plexus:fn:f");
    submit("late", "plexus:fn:f");
    plexusWorker(kW2, 1);
    timeOut({kW2});
    EXPECT_EQ(tasksSentTo(kW2), (std::vector<std::string>{"crash", "t0", "t1", "t2", "late"}));
    plexusWorker(kW3, 1);
    timeOut({kW3});
    auto results = clientResults();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results.begin()->first, "crash");
    EXPECT_EQ(tasksSentTo(kW3), (std::vector<std::string>{"t0", "t1", "t2", "late"}));
}

TEST_F(WorkerDeathTest, AWorkerThatNeverReportedItsExecutorsRunsOne) {
    start(RequeuePolicy::OnWorkerDeath::requeue, 0);
    in(kW1, WorkerHeartbeat{});  // no processors listed, no capabilities
    submit("t0");
    submit("t1");
    in(kW2, WorkerHeartbeat{});
    timeOut({kW2});
    auto results = clientResults();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results.begin()->first, "t0");
    EXPECT_EQ(tasksSentTo(kW2), std::vector<std::string>{"t1"});
}

TEST_F(WorkerDeathTest, FailPolicyEndsEveryTaskTheWorkerHeld) {
    start(RequeuePolicy::OnWorkerDeath::fail, 3);
    stockWorker(kW1, 1);
    for (int i = 0; i < 3; ++i) submit("t" + std::to_string(i));
    stockWorker(kW2, 1);
    timeOut({kW2});
    auto results = clientResults();
    ASSERT_EQ(results.size(), 3u);
    for (const auto& [id, result] : results) {
        const std::string reason = reasonOf(result);
        EXPECT_NE(reason.find("on_worker_death is 'fail'"), std::string::npos) << reason;
    }
    EXPECT_TRUE(tasksSentTo(kW2).empty());  // never sent to a second worker
    EXPECT_EQ(scheduler->tasks().size(), 0u);
}

TEST_F(WorkerDeathTest, AWorkerThatLeavesGivesEverythingBackWithoutCounting) {
    start(RequeuePolicy::OnWorkerDeath::requeue, 0);
    stockWorker(kW1, 1);
    for (int i = 0; i < 3; ++i) submit("t" + std::to_string(i));
    stockWorker(kW2, 1);
    in(kW1, DisconnectRequest{kW1});
    EXPECT_TRUE(clientResults().empty());
    EXPECT_EQ(tasksSentTo(kW2), (std::vector<std::string>{"t0", "t1", "t2"}));
    // Even under `fail`, leaving is not dying.
    start(RequeuePolicy::OnWorkerDeath::fail, 0);
    outbox.sent.clear();
    stockWorker(kW1, 1);
    submit("u0");
    stockWorker(kW2, 1);
    in(kW1, DisconnectRequest{kW1});
    EXPECT_TRUE(clientResults().empty());
    EXPECT_EQ(tasksSentTo(kW2), std::vector<std::string>{"u0"});
}

TEST_F(WorkerDeathTest, HungWorkerThatComesBackDropsItsOldTasksAndItsStaleResults) {
    start(RequeuePolicy::OnWorkerDeath::requeue, 3);
    plexusWorker(kW1, 1);
    submit("t0", "plexus:fn:f");
    submit("t1", "plexus:fn:f");
    plexusWorker(kW2, 1);
    timeOut({kW2});
    ASSERT_EQ(tasksSentTo(kW2), (std::vector<std::string>{"t0", "t1"}));
    EXPECT_EQ(scheduler->workers().size(), 1u);

    // It resumes: the task it was running finishes, and its result arrives first (the object
    // before the TaskResult, as a worker sends them).
    in(kW1, objects(kClient, {"stale-r0"}));
    in(kW1, result("t0", TaskStatus::success, {"stale-r0"}));
    EXPECT_EQ(scheduler->workers().size(), 2u) << "registered again";
    EXPECT_EQ(cancelsSentTo(kW1), (std::vector<std::string>{"t0", "t1"}))
        << "told to drop what it held";
    EXPECT_TRUE(clientResults().empty()) << "its stale result is not delivered";
    EXPECT_EQ(scheduler->objects().find("stale-r0"), nullptr) << "nor kept";

    in(kW2, objects(kClient, {"fresh-r0"}));
    in(kW2, result("t0", TaskStatus::success, {"fresh-r0"}));
    auto results = clientResults();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results.at("t0").results, std::vector<Bytes>{"fresh-r0"});
    EXPECT_NE(scheduler->objects().find("fresh-r0"), nullptr);

    // Its answers to those cancels are stale too, and it gets new work like any worker.
    in(kW1, result("t1", TaskStatus::canceled));
    plexusWorker(kW1, 1);
    submit("t2", "plexus:fn:f");
    EXPECT_EQ(tasksSentTo(kW1).back(), "t2");  // the least loaded: kW2 still holds t1
    EXPECT_EQ(scheduler->tasks().find("t1")->workerId(), kW2);
}

TEST_F(WorkerDeathTest, AResultForATaskNobodyKnowsHasItsObjectsDeleted) {
    // What a worker that outlived a scheduler restart sends to the new scheduler.
    start(RequeuePolicy::OnWorkerDeath::requeue, 3);
    in(kW1, objects(kClient, {"r-old"}));
    in(kW1, result("from-before-the-restart", TaskStatus::success, {"r-old"}));
    EXPECT_EQ(scheduler->objects().count(), 0u);
    EXPECT_TRUE(clientResults().empty());
    EXPECT_EQ(scheduler->workers().size(), 1u);
}

TEST_F(WorkerDeathTest, GraphNodeLostWithItsWorkerEndsTheTargetsAsWorkerDied) {
    start(RequeuePolicy::OnWorkerDeath::requeue, 0);
    stockWorker(kW1, 1);
    GraphTask graph{"g", kClient, {"b"}, {}};
    graph.graph.push_back(Task{"a", kClient, {}, "fn", {}});
    graph.graph.push_back(Task{"b", kClient, {}, "fn", {Argument{ArgumentType::task, "a"}}});
    in(kClient, graph);
    ASSERT_EQ(tasksSentTo(kW1), std::vector<std::string>{"a"});
    timeOut({});
    auto results = clientResults();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results.at("g").status, TaskStatus::workerDied);
    const std::string reason = reasonOf(results.at("b"));  // a copy of a's reason, b's to delete
    EXPECT_NE(reason.find("max_task_retries is 0"), std::string::npos) << reason;
    EXPECT_EQ(scheduler->objects().count(), 1u);
    EXPECT_EQ(scheduler->graphs().size(), 0u);
}

}  // namespace
}  // namespace plexus::detail
