// `plexus scheduler` as a real process on loopback, spoken to by a peer using Scaler's TCP
// framing and Cap'n Proto encoding through the real plugins.

#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include <gtest/gtest.h>

#include "support/scheduler_process.h"
#include "support/test_peer.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

TEST(SchedulerProcess, EchoesClientHeartbeatsOverTcpCapnp) {
    SchedulerProcess scheduler;
    ASSERT_EQ(scheduler.address().rfind("tcp://127.0.0.1:", 0), 0u) << scheduler.address();
    TestPeer client("tcp", "capnp", "Client");
    client.connect(scheduler.address());
    for (int i = 0; i < 3; ++i) {  // ping-pong, as Scaler peers heartbeat
        client.send(ClientHeartbeat{Resource{12, 3456}, 100});
        ASSERT_TRUE(client.waitFor(MessageKind::clientHeartbeatEcho).has_value())
            << scheduler.process().output();
    }
}

TEST(SchedulerProcess, EchoesWorkerHeartbeatsAndServesSeveralPeers) {
    SchedulerProcess scheduler;
    TestPeer worker("tcp", "capnp", "Agent");
    TestPeer client("tcp", "capnp", "Client");
    worker.connect(scheduler.address());
    client.connect(scheduler.address());
    worker.send(WorkerHeartbeat{});
    client.send(ClientHeartbeat{});
    EXPECT_TRUE(worker.waitFor(MessageKind::workerHeartbeatEcho).has_value());
    EXPECT_TRUE(client.waitFor(MessageKind::clientHeartbeatEcho).has_value());
    // Each peer gets only its own echo.
    EXPECT_FALSE(worker.waitFor(MessageKind::clientHeartbeatEcho, 200ms).has_value());
}

TEST(SchedulerProcess, GarbageFromOnePeerDoesNotHurtAnother) {
    SchedulerProcess scheduler;
    TestPeer rogue("tcp", "capnp", "Client");
    TestPeer client("tcp", "capnp", "Client");
    rogue.connect(scheduler.address());
    client.connect(scheduler.address());
    rogue.sendRaw(Buffer::copyOf(std::string_view("this is not a capnp message")));
    rogue.send(ClientHeartbeatEcho{});  // valid encoding, but not something a scheduler accepts
    client.send(ClientHeartbeat{});
    EXPECT_TRUE(client.waitFor(MessageKind::clientHeartbeatEcho).has_value());
    // The rogue peer's link survives a bad frame: its next valid heartbeat is still echoed.
    rogue.send(ClientHeartbeat{});
    EXPECT_TRUE(rogue.waitFor(MessageKind::clientHeartbeatEcho).has_value());
    EXPECT_TRUE(scheduler.process().running());
}

TEST(SchedulerProcess, ShutdownFromAClientStopsTheScheduler) {
    SchedulerProcess scheduler;
    TestPeer worker("tcp", "capnp", "Agent");
    TestPeer client("tcp", "capnp", "Client");
    worker.connect(scheduler.address());
    client.connect(scheduler.address());
    worker.send(WorkerHeartbeat{});
    ASSERT_TRUE(worker.waitFor(MessageKind::workerHeartbeatEcho).has_value());
    client.send(ClientHeartbeat{});
    ASSERT_TRUE(client.waitFor(MessageKind::clientHeartbeatEcho).has_value());
    client.send(ClientDisconnect{DisconnectType::shutdown});
    auto response = client.waitFor(MessageKind::clientShutdownResponse);
    ASSERT_TRUE(response.has_value());
    EXPECT_TRUE(std::get<ClientShutdownResponse>(*response).accepted);
    EXPECT_TRUE(worker.waitFor(MessageKind::clientDisconnect).has_value());
    const int status = scheduler.process().waitExit(10s);
    ASSERT_NE(status, -1) << "scheduler did not exit";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << scheduler.process().output();
}

TEST(SchedulerProcess, StopsCleanlyOnSigterm) {
    SchedulerProcess scheduler;
    scheduler.process().signal(SIGTERM);
    const int status = scheduler.process().waitExit(10s);
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << scheduler.process().output();
}

TEST(SchedulerProcess, BadConfigFailsWithFileLineAndKey) {
    TempDir dir;
    const auto config = dir.write(
        "bad.yaml", "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n  colour: blue\n");
    ChildProcess process(plexusBinary(), {"scheduler", "--config", config.string()});
    const int status = process.waitExit(10s);
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    const std::string output = process.output();
    EXPECT_NE(output.find(config.string() + ":4:"), std::string::npos) << output;
    EXPECT_NE(output.find("scheduler.colour"), std::string::npos) << output;
}

TEST(SchedulerProcess, MissingPluginListsEveryPathTried) {
    TempDir dir;
    const auto config = dir.write("s.yaml",
                                  "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n    "
                                  "  transport: carrier-pigeon\n"
                                  "  plugin_dir: " +
                                      dir.path().string() + "\n");
    ChildProcess process(plexusBinary(), {"scheduler", "--config", config.string()});
    const int status = process.waitExit(10s);
    ASSERT_NE(status, -1);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    const std::string output = process.output();
    EXPECT_NE(output.find((dir.path() / "plexus_transport_carrier-pigeon.so").string()),
              std::string::npos)
        << output;
    EXPECT_NE(output.find("s.yaml:4:"), std::string::npos) << output;
}

}  // namespace
}  // namespace plexus::test
