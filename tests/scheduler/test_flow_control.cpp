// Flow control in the scheduler's logic: clients that do not read (a congested link) or, having
// said they fetch eagerly, leave their results unfetched are held, workers with a congested link
// get nothing new, and a peer the transport cut off for not reading is gone. Driven with a fake
// clock and a recording outbox.

#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

const std::string kSlow = "1|Client|slow";
const std::string kOther = "2|Client|other";
const std::string kW1 = "3|Agent|w1";
const std::string kW2 = "4|Agent|w2";

const Error kGone{ErrorKind::Disconnected, "peer closed the connection"};
const Error kCutOff{ErrorKind::Overloaded, "100 bytes queued toward a peer that does not read"};

class FlowControlTest : public SchedulerCoreTest {
  protected:
    static SchedulerSettings tuned() {
        SchedulerSettings s;
        s.perWorkerQueueSize = 2;
        s.unfetchedResultsHighBytes = 100;
        s.unfetchedResultsLowBytes = 40;
        return s;
    }

    void in(const std::string& peer, Message message) {
        flow.onMessage(PeerAddress{0, peer}, std::move(message), Buffer(), now);
    }
    /// What a plexus client sends after each heartbeat.
    static ClientCapabilities eager() {
        return ClientCapabilities{ClientCapabilities::kFetchesResultsEagerly,
                                  kPlexusProtocolVersion};
    }
    void congest(const std::string& peer, bool congested) {
        flow.onPeerBackpressure(PeerAddress{0, peer}, congested, now);
    }
    /// Task ids sent to `worker`, in order.
    std::vector<std::string> tasksAt(const std::string& worker) const {
        std::vector<std::string> ids;
        for (const auto* m : sentTo(worker, MessageKind::task))
            ids.push_back(std::get<Task>(*m).taskId);
        return ids;
    }
    /// A worker storing a result object of `bytes` bytes for `client`, then answering `taskId`.
    void finish(const std::string& worker, const std::string& taskId, const std::string& client,
                std::size_t bytes) {
        const std::string resultId = "r-" + taskId;
        ObjectInstruction create{ObjectInstructionType::create, client, {}};
        create.objectContent.ids.push_back(resultId);
        create.objectContent.types.push_back(ObjectType::object);
        create.objectContent.names.push_back("result");
        std::vector<Buffer> chunks;
        chunks.push_back(Buffer::copyOf(std::string(bytes, 'r')));
        create.objectContent.payloads.push_back(std::move(chunks));
        in(worker, std::move(create));
        in(worker, result(taskId, TaskStatus::success, {resultId}));
    }

    SchedulerCore flow{tuned(), outbox};
};

TEST_F(FlowControlTest, CongestedClientHasItsQueuedTasksHeldWhileOthersRun) {
    in(kSlow, ClientHeartbeat{});
    in(kOther, ClientHeartbeat{});
    in(kW1, WorkerHeartbeat{});
    for (int i = 0; i < 5; ++i) in(kSlow, task("s" + std::to_string(i), kSlow));
    ASSERT_EQ(tasksAt(kW1), (std::vector<std::string>{"s0", "s1"}));  // capacity 2

    congest(kSlow, true);
    EXPECT_TRUE(flow.tasks().clientHeld(kSlow));
    finish(kW1, "s0", kSlow, 8);
    // Its running task's result still goes to it, but its queued tasks stay queued...
    EXPECT_EQ(sentTo(kSlow, MessageKind::taskResult).size(), 1u);
    EXPECT_EQ(tasksAt(kW1).size(), 2u);
    EXPECT_EQ(flow.tasks().queuedCount(), 3u);
    // ...while another client's task, submitted after them, runs at once.
    in(kOther, task("o0", kOther));
    EXPECT_EQ(tasksAt(kW1), (std::vector<std::string>{"s0", "s1", "o0"}));

    congest(kSlow, false);
    EXPECT_FALSE(flow.tasks().clientHeld(kSlow));
    finish(kW1, "s1", kSlow, 8);
    finish(kW1, "o0", kOther, 8);
    // Released: its tasks run in the order they were submitted.
    EXPECT_EQ(tasksAt(kW1), (std::vector<std::string>{"s0", "s1", "o0", "s2", "s3"}));
}

TEST_F(FlowControlTest, UnfetchedResultsHoldAClientUntilItFetchesOrDeletesThem) {
    in(kSlow, ClientHeartbeat{});
    in(kSlow, eager());
    in(kOther, ClientHeartbeat{});
    in(kOther, eager());
    in(kW1, WorkerHeartbeat{});
    in(kSlow, task("s0", kSlow));
    in(kSlow, task("s1", kSlow));
    finish(kW1, "s0", kSlow, 60);
    EXPECT_FALSE(flow.tasks().clientHeld(kSlow));  // 60 unfetched bytes, under 100
    EXPECT_EQ(flow.objects().unfetchedBytes(kSlow), 60u);
    finish(kW1, "s1", kSlow, 60);
    EXPECT_TRUE(flow.tasks().clientHeld(kSlow));  // 120
    in(kSlow, task("s2", kSlow));
    EXPECT_EQ(tasksAt(kW1).size(), 2u);  // s2 waits
    // Another client is not affected.
    in(kOther, task("o0", kOther));
    EXPECT_EQ(tasksAt(kW1).back(), "o0");
    finish(kW1, "o0", kOther, 10);
    EXPECT_FALSE(flow.tasks().clientHeld(kOther));

    in(kSlow, ObjectRequest{ObjectRequestType::get, {"r-s0"}});
    EXPECT_EQ(flow.objects().unfetchedBytes(kSlow), 60u);
    EXPECT_TRUE(flow.tasks().clientHeld(kSlow));  // 60: not yet down to 40
    ObjectInstruction drop{ObjectInstructionType::del, kSlow, {}};
    drop.objectContent.ids.push_back("r-s1");
    in(kSlow, std::move(drop));  // deleted unread: no longer waiting either
    EXPECT_EQ(flow.objects().unfetchedBytes(kSlow), 0u);
    EXPECT_FALSE(flow.tasks().clientHeld(kSlow));
    EXPECT_EQ(tasksAt(kW1).back(), "s2");
}

// A stock client fetches a result only when its user asks for it: one waiting on its last task
// leaves every earlier result unfetched. Holding it for them would hold that task for ever.
TEST_F(FlowControlTest, AClientThatDoesNotFetchEagerlyIsNeverHeldForUnfetchedResults) {
    in(kSlow, ClientHeartbeat{});
    in(kW1, WorkerHeartbeat{});
    for (int i = 0; i < 6; ++i) in(kSlow, task("s" + std::to_string(i), kSlow));
    for (int i = 0; i < 5; ++i) finish(kW1, "s" + std::to_string(i), kSlow, 60);  // 300 bytes
    EXPECT_FALSE(flow.tasks().clientHeld(kSlow));
    EXPECT_EQ(flow.objects().unfetchedBytes(kSlow), 0u);  // not even counted
    finish(kW1, "s5", kSlow, 60);
    EXPECT_EQ(sentTo(kSlow, MessageKind::taskResult).size(), 6u);  // its last task ran too

    // A congested link still holds it: that is released as soon as it reads.
    in(kSlow, task("s6", kSlow));
    congest(kSlow, true);
    in(kSlow, task("s7", kSlow));
    EXPECT_TRUE(flow.tasks().clientHeld(kSlow));
    EXPECT_EQ(tasksAt(kW1).back(), "s6");
    congest(kSlow, false);
    EXPECT_EQ(tasksAt(kW1).back(), "s7");
}

// The announcement is what makes the difference, and the last one counts: a client that stops
// announcing the feature (it never does, but a restarted one might be another program) is
// released at once.
TEST_F(FlowControlTest, TheUnfetchedHoldFollowsTheAnnouncedFeatures) {
    in(kSlow, ClientHeartbeat{});
    in(kSlow, eager());
    in(kW1, WorkerHeartbeat{});
    for (int i = 0; i < 4; ++i) in(kSlow, task("s" + std::to_string(i), kSlow));
    finish(kW1, "s0", kSlow, 60);                 // s2 takes its place
    finish(kW1, "s1", kSlow, 60);                 // 120 of 100 unfetched
    EXPECT_TRUE(flow.tasks().clientHeld(kSlow));  // so s3 waits
    EXPECT_EQ(tasksAt(kW1), (std::vector<std::string>{"s0", "s1", "s2"}));
    in(kSlow, ClientCapabilities{0, kPlexusProtocolVersion});
    EXPECT_FALSE(flow.tasks().clientHeld(kSlow));
    EXPECT_EQ(tasksAt(kW1).back(), "s3");
}

TEST_F(FlowControlTest, CongestedWorkerGetsNoNewTasks) {
    in(kSlow, ClientHeartbeat{});
    in(kW1, WorkerHeartbeat{});
    in(kW2, WorkerHeartbeat{});
    congest(kW1, true);
    for (int i = 0; i < 3; ++i) in(kSlow, task("t" + std::to_string(i), kSlow));
    EXPECT_TRUE(tasksAt(kW1).empty());
    EXPECT_EQ(tasksAt(kW2), (std::vector<std::string>{"t0", "t1"}));
    congest(kW1, false);
    EXPECT_EQ(tasksAt(kW1), std::vector<std::string>{"t2"});
}

TEST_F(FlowControlTest, LinkGoingDownEndsItsCongestion) {
    in(kSlow, ClientHeartbeat{});
    in(kW1, WorkerHeartbeat{});
    congest(kSlow, true);
    in(kSlow, task("t0", kSlow));
    EXPECT_TRUE(tasksAt(kW1).empty());
    flow.onPeerDisconnected(PeerAddress{0, kSlow}, kGone, now);
    EXPECT_EQ(tasksAt(kW1), std::vector<std::string>{"t0"});
    EXPECT_TRUE(flow.clients().contains(kSlow));  // a dropped link alone is not leaving
}

TEST_F(FlowControlTest, ReliefCountsAsHearingFromThePeer) {
    in(kSlow, ClientHeartbeat{});
    congest(kSlow, true);
    now += 50s;  // its heartbeats wait unread: the transport stopped reading it
    congest(kSlow, false);
    now += 50s;  // 100 s after its last heartbeat, 50 s after it proved it reads
    flow.onTick(now);
    EXPECT_TRUE(flow.clients().contains(kSlow));
    now += 11s;
    flow.onTick(now);
    EXPECT_FALSE(flow.clients().contains(kSlow));
}

TEST_F(FlowControlTest, PeerCutOffForNotReadingIsGoneWithItsTasksAndObjects) {
    in(kSlow, ClientHeartbeat{});
    in(kW1, WorkerHeartbeat{});
    in(kSlow, objects(kSlow, {"arg"}));
    for (int i = 0; i < 3; ++i) in(kSlow, task("t" + std::to_string(i), kSlow, {"arg"}));
    flow.onPeerDisconnected(PeerAddress{0, kSlow}, kCutOff, now);
    EXPECT_FALSE(flow.clients().contains(kSlow));
    EXPECT_EQ(flow.objects().count(), 0u);
    EXPECT_EQ(sentTo(kW1, MessageKind::taskCancel).size(), 2u);  // the two it was running
    EXPECT_EQ(flow.tasks().queuedCount(), 0u);

    flow.onPeerDisconnected(PeerAddress{0, kW1}, kCutOff, now);
    EXPECT_FALSE(flow.workers().contains(kW1));
}

}  // namespace
}  // namespace plexus::detail
