// The task channel: dispatch, capacity, queueing, results, cancel, and peers that leave.

#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

const std::string kClient = "1|Client|c";
const std::string kW1 = "2|Agent|w1";
const std::string kW2 = "3|Agent|w2";

class TaskChannelTest : public SchedulerCoreTest {
  protected:
    void SetUp() override { receive(kClient, ClientHeartbeat{}); }
    // The worker each task id was last dispatched to.
    std::string workerOf(const std::string& taskId) const {
        std::string worker;
        for (const auto& sent : outbox.sent) {
            if (sent.kind == MessageKind::task && std::get<Task>(sent.message).taskId == taskId)
                worker = sent.to.peer;
        }
        return worker;
    }
};

TEST_F(TaskChannelTest, QueuesWithoutWorkersAndDispatchesWhenOneJoins) {
    receive(kClient, task("t1", kClient));
    EXPECT_EQ(count(MessageKind::task), 0u);
    EXPECT_EQ(core.tasks().queuedCount(), 1u);
    receive(kW1, WorkerHeartbeat{});
    EXPECT_EQ(workerOf("t1"), kW1);
    EXPECT_EQ(core.tasks().queuedCount(), 0u);
}

TEST_F(TaskChannelTest, AssignsToTheLeastLoadedWorker) {
    receive(kW1, WorkerHeartbeat{});
    receive(kW2, WorkerHeartbeat{});
    for (int i = 0; i < 10; ++i) receive(kClient, task("t" + std::to_string(i), kClient));
    EXPECT_EQ(sentTo(kW1, MessageKind::task).size(), 5u);
    EXPECT_EQ(sentTo(kW2, MessageKind::task).size(), 5u);
}

TEST_F(TaskChannelTest, RespectsPerWorkerCapacityAndRefillsOnResult) {
    settings.perWorkerQueueSize = 2;
    SchedulerCore small(settings, outbox);
    auto in = [&](const std::string& peer, Message m) {
        small.onMessage({0, peer}, std::move(m), Buffer(), now);
    };
    in(kClient, ClientHeartbeat{});
    in(kW1, WorkerHeartbeat{});
    for (int i = 0; i < 5; ++i) in(kClient, task("t" + std::to_string(i), kClient));
    EXPECT_EQ(sentTo(kW1, MessageKind::task).size(), 2u);
    EXPECT_EQ(small.tasks().queuedCount(), 3u);
    in(kW1, result("t0"));
    EXPECT_EQ(sentTo(kW1, MessageKind::task).size(), 3u);
    // Queue order is submission order.
    EXPECT_EQ(std::get<Task>(*sentTo(kW1, MessageKind::task)[2]).taskId, "t2");
}

TEST_F(TaskChannelTest, ResultGoesToTheOwningClientOnce) {
    receive(kW1, WorkerHeartbeat{});
    receive(kClient, task("t1", kClient));
    receive(kW1, result("t1", TaskStatus::success, {"r1"}));
    receive(kW1, result("t1", TaskStatus::success, {"r1"}));  // a duplicate is dropped
    auto results = sentTo(kClient, MessageKind::taskResult);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(std::get<TaskResult>(*results[0]).results, std::vector<Bytes>{"r1"});
    EXPECT_EQ(core.tasks().size(), 0u);
}

TEST_F(TaskChannelTest, TaskWhoseSourceIsNotTheSenderIsRefused) {
    receive(kW1, WorkerHeartbeat{});
    receive(kClient, task("t1", "someone else"));
    EXPECT_EQ(core.refusedMessages(), 1u);
    EXPECT_EQ(core.tasks().size(), 0u);
}

TEST_F(TaskChannelTest, WorkerThatTimesOutHasItsTasksRerunElsewhereExactlyOnce) {
    receive(kW1, WorkerHeartbeat{});
    for (int i = 0; i < 4; ++i) receive(kClient, task("t" + std::to_string(i), kClient));
    EXPECT_EQ(sentTo(kW1, MessageKind::task).size(), 4u);
    now += 30s;
    receive(kW2, WorkerHeartbeat{});
    receive(kClient, ClientHeartbeat{});
    now += 31s;  // w1 silent for 61 s
    core.onTick(now);
    EXPECT_EQ(core.workers().size(), 1u);
    EXPECT_EQ(sentTo(kW2, MessageKind::task).size(), 4u);
    // The presumed-dead worker wakes up and answers: dropped, the new assignee's answer counts.
    receive(kW1, result("t0", TaskStatus::success, {"stale"}));
    EXPECT_EQ(sentTo(kClient, MessageKind::taskResult).size(), 0u);
    receive(kW2, result("t0", TaskStatus::success, {"fresh"}));
    auto results = sentTo(kClient, MessageKind::taskResult);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(std::get<TaskResult>(*results[0]).results.front(), "fresh");
}

TEST_F(TaskChannelTest, WorkerLeavingGracefullyRequeuesAtOnceInOrder) {
    settings.perWorkerQueueSize = 10;
    receive(kW1, WorkerHeartbeat{});
    for (int i = 0; i < 3; ++i) receive(kClient, task("t" + std::to_string(i), kClient));
    receive(kW1, DisconnectRequest{kW1});
    EXPECT_EQ(core.tasks().queuedCount(), 3u);
    receive(kW2, WorkerHeartbeat{});
    auto sent = sentTo(kW2, MessageKind::task);
    ASSERT_EQ(sent.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(std::get<Task>(*sent[i]).taskId, "t" + std::to_string(i));
}

TEST_F(TaskChannelTest, CancelOfAQueuedTaskAnswersAtOnce) {
    receive(kClient, task("t1", kClient));
    receive(kClient, TaskCancel{"t1", false, false});
    auto results = sentTo(kClient, MessageKind::taskResult);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(std::get<TaskResult>(*results[0]).status, TaskStatus::canceled);
    receive(kW1, WorkerHeartbeat{});
    EXPECT_EQ(count(MessageKind::task), 0u);  // never dispatched
}

TEST_F(TaskChannelTest, CancelOfAnAssignedTaskGoesThroughItsWorker) {
    receive(kW1, WorkerHeartbeat{});
    receive(kClient, task("t1", kClient));
    receive(kClient, TaskCancel{"t1", true, false});
    auto cancels = sentTo(kW1, MessageKind::taskCancel);
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_TRUE(std::get<TaskCancel>(*cancels[0]).force);
    receive(kW1, result("t1", TaskStatus::canceled));
    auto results = sentTo(kClient, MessageKind::taskResult);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(std::get<TaskResult>(*results[0]).status, TaskStatus::canceled);
    EXPECT_EQ(core.tasks().size(), 0u);
}

TEST_F(TaskChannelTest, WorkerGivingBackAnUncancelledTaskHasItRequeued) {
    receive(kW1, WorkerHeartbeat{});
    receive(kW2, WorkerHeartbeat{});
    receive(kClient, task("t1", kClient));
    const std::string first = workerOf("t1");
    receive(first, result("t1", TaskStatus::canceled));
    EXPECT_EQ(sentTo(kClient, MessageKind::taskResult).size(), 0u);
    EXPECT_EQ(core.tasks().size(), 1u);
    EXPECT_FALSE(workerOf("t1").empty());
}

TEST_F(TaskChannelTest, ClientThatLeavesHasItsTasksCancelledAndObjectsDropped) {
    receive(kW1, WorkerHeartbeat{});
    receive(kClient, objects(kClient, {"o1", "o2"}));
    receive(kClient, task("t1", kClient, {"o1"}));
    receive(kClient, task("t2", kClient));
    receive(kW1, ObjectRequest{ObjectRequestType::get, {"o1"}});
    EXPECT_EQ(core.objects().count(), 2u);
    receive(kClient, ClientDisconnect{DisconnectType::disconnect});
    EXPECT_EQ(core.objects().count(), 0u);
    EXPECT_EQ(sentTo(kW1, MessageKind::taskCancel).size(), 2u);
    // The worker fetched o1, so it is told to drop it; it never saw o2.
    auto notices = sentTo(kW1, MessageKind::objectInstruction);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(std::get<ObjectInstruction>(*notices[0]).objectContent.ids, std::vector<Bytes>{"o1"});
    // The worker's late answers go nowhere, and its slots are free again.
    receive(kW1, result("t1", TaskStatus::canceled));
    receive(kW1, result("t2", TaskStatus::success, {"r2"}));
    receive(kW1, objects(kClient, {"r2"}));
    EXPECT_EQ(core.tasks().size(), 0u);
    EXPECT_EQ(core.objects().count(), 0u);
    EXPECT_EQ(core.pool().workers().at(kW1).outstanding, 0u);
}

TEST_F(TaskChannelTest, ClientTimeoutActsLikeADisconnect) {
    receive(kClient, objects(kClient, {"o1"}));
    receive(kClient, task("t1", kClient));
    now += 61s;
    core.onTick(now);
    EXPECT_EQ(core.clients().size(), 0u);
    EXPECT_EQ(core.objects().count(), 0u);
    EXPECT_EQ(core.tasks().size(), 0u);
}

TEST(WorkerPool, NativeTasksGoOnlyToWorkersWithTheFunction) {
    WorkerPool pool(10);
    pool.add({0, "stock"});
    pool.add({0, "native-a"});
    pool.add({0, "native-b"});
    pool.announce("native-a", {"square"});
    pool.announce("native-b", {"cube"});
    EXPECT_EQ(routingKeyOf("plexus:fn:square"), "square");
    EXPECT_EQ(routingKeyOf("\x01\x02python-object-id"), "");
    EXPECT_EQ(pool.pick("square")->address.peer, "native-a");
    EXPECT_EQ(pool.pick("cube")->address.peer, "native-b");
    EXPECT_EQ(pool.pick("")->address.peer, "stock");  // Python tasks never reach plexus workers
    EXPECT_EQ(pool.pick("sqrt"), nullptr);
    EXPECT_FALSE(pool.anyCanRun("sqrt"));
}

}  // namespace
}  // namespace plexus::detail
