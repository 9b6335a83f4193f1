// The scheduler's logic driven directly: messages in, a recording outbox out, a fake clock.

#include <gtest/gtest.h>

#include "scheduler/scheduler_core.h"
#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

TEST_F(SchedulerCoreTest, EchoesEveryClientHeartbeatAndRegistersTheClient) {
    for (int i = 0; i < 3; ++i) receive("1|Client|a", ClientHeartbeat{});
    ASSERT_EQ(outbox.sent.size(), 3u);
    for (const auto& sent : outbox.sent) {
        EXPECT_EQ(sent.kind, MessageKind::clientHeartbeatEcho);
        EXPECT_EQ(sent.to.peer, "1|Client|a");
    }
    EXPECT_EQ(core.clients().size(), 1u);
    EXPECT_EQ(core.workers().size(), 0u);
}

TEST_F(SchedulerCoreTest, EchoesEveryWorkerHeartbeatOnTheEndpointItCameFrom) {
    receive("2|Agent|b", WorkerHeartbeat{}, 1);
    receive("2|Agent|b", WorkerHeartbeat{}, 1);
    ASSERT_EQ(outbox.sent.size(), 2u);
    EXPECT_EQ(outbox.sent[1].kind, MessageKind::workerHeartbeatEcho);
    EXPECT_EQ(outbox.sent[1].to, (PeerAddress{1, "2|Agent|b"}));
    EXPECT_EQ(core.workers().size(), 1u);
}

TEST_F(SchedulerCoreTest, ForgetsPeersSilentPastTheTimeout) {
    receive("1|Client|a", ClientHeartbeat{});
    receive("2|Agent|b", WorkerHeartbeat{});
    now += 59s;
    core.onTick(now);
    EXPECT_EQ(core.clients().size(), 1u);
    receive("1|Client|a", ClientHeartbeat{});  // the client keeps heartbeating, the worker does not
    now += 2s;
    core.onTick(now);
    EXPECT_EQ(core.clients().size(), 1u);
    EXPECT_EQ(core.workers().size(), 0u);
    now += 61s;
    core.onTick(now);
    EXPECT_EQ(core.clients().size(), 0u);
}

TEST_F(SchedulerCoreTest, WorkerLeavingIsForgottenAtOnce) {
    receive("2|Agent|b", WorkerHeartbeat{});
    receive("2|Agent|b", DisconnectRequest{"2|Agent|b"});
    EXPECT_EQ(core.workers().size(), 0u);
}

TEST_F(SchedulerCoreTest, ClientDisconnectForgetsTheClient) {
    receive("1|Client|a", ClientHeartbeat{});
    receive("1|Client|a", ClientDisconnect{DisconnectType::disconnect});
    EXPECT_EQ(core.clients().size(), 0u);
    EXPECT_FALSE(outbox.stopRequested);
}

TEST_F(SchedulerCoreTest, ShutdownIsAcceptedAndSentToEveryWorker) {
    receive("1|Client|a", ClientHeartbeat{});
    receive("2|Agent|b", WorkerHeartbeat{});
    receive("3|Agent|c", WorkerHeartbeat{});
    outbox.sent.clear();
    receive("1|Client|a", ClientDisconnect{DisconnectType::shutdown});
    ASSERT_EQ(outbox.sent.size(), 3u);
    EXPECT_EQ(outbox.sent[0].kind, MessageKind::clientShutdownResponse);
    EXPECT_TRUE(std::get<ClientShutdownResponse>(outbox.sent[0].message).accepted);
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(outbox.sent[i].kind, MessageKind::clientDisconnect);
        EXPECT_EQ(std::get<ClientDisconnect>(outbox.sent[i].message).disconnectType,
                  DisconnectType::shutdown);
    }
    EXPECT_TRUE(outbox.stopRequested);
}

TEST_F(SchedulerCoreTest, ProtectedModeRefusesShutdown) {
    settings.protectedMode = true;
    SchedulerCore guarded(settings, outbox);
    guarded.onMessage({0, "1|Client|a"}, ClientHeartbeat{}, Buffer(), now);
    outbox.sent.clear();
    guarded.onMessage({0, "1|Client|a"}, ClientDisconnect{DisconnectType::shutdown}, Buffer(), now);
    ASSERT_EQ(outbox.sent.size(), 1u);
    EXPECT_FALSE(std::get<ClientShutdownResponse>(outbox.sent[0].message).accepted);
    EXPECT_FALSE(outbox.stopRequested);
}

TEST_F(SchedulerCoreTest, RefusesMessagesAWorkerMayNotSend) {
    receive("2|Agent|b", WorkerHeartbeat{});
    outbox.sent.clear();
    receive("2|Agent|b", ClientHeartbeat{});
    receive("2|Agent|b", Task{});
    EXPECT_EQ(core.refusedMessages(), 2u);
    EXPECT_TRUE(outbox.sent.empty());
    EXPECT_EQ(core.clients().size(), 0u);
}

TEST_F(SchedulerCoreTest, RefusesMessagesASchedulerNeverReceives) {
    receive("1|Client|a", ClientHeartbeatEcho{});
    receive("1|Client|a", StateTask{});
    receive("1|Client|a", ProcessorInitialized{});
    EXPECT_EQ(core.refusedMessages(), 3u);
    EXPECT_TRUE(outbox.sent.empty());
}

}  // namespace
}  // namespace plexus::detail
