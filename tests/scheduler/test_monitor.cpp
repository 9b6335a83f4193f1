// The monitor stream of a real scheduler (in this process, with the real plugins), read the way
// scaler_top reads it: a ZeroMQ SUB subscribed to everything, each frame one Cap'n Proto message.
// Workers and clients are protocol peers on the scheduler's tcp endpoint.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "plexus/codec.h"
#include "scheduler/scheduler.h"
#include "support/test_peer.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;
using detail::Scheduler;

// Generous: the machine running the tests may be loaded.
constexpr auto kDeadline = 30s;

/// A scheduler on its own thread, with a tcp endpoint and `monitorConfig` (YAML lines under
/// `scheduler:`) on loopback, port 0 everywhere.
class SchedulerThread {
  public:
    explicit SchedulerThread(const std::string& monitorConfig) {
        const std::string text =
            "scheduler:\n"
            "  endpoints:\n"
            "    - address: tcp://127.0.0.1:0\n"
            "  plugin_dir: " +
            buildPluginDir().string() + "\n" + monitorConfig;
        scheduler_ = std::make_unique<Scheduler>(
            detail::parseSchedulerConfig(parseConfigText(text, "monitor-test.yaml")));
        auto bound = scheduler_->start();
        if (!bound) throw std::runtime_error(bound.error().describe());
        address_ = bound->front();
        thread_ = std::thread([this] { scheduler_->run(); });
    }
    ~SchedulerThread() {
        scheduler_->stop();
        thread_.join();
    }
    const std::string& address() const { return address_; }
    const std::string& monitorAddress() const { return scheduler_->monitorAddress(); }

  private:
    std::unique_ptr<Scheduler> scheduler_;
    std::string address_;
    std::thread thread_;
};

/// scaler_top's side: a SUB socket on the monitor address, frames decoded with the capnp codec.
/// Test thread only.
class Subscriber {
  public:
    explicit Subscriber(const std::string& address) : registry_(makeBuildRegistry()) {
        auto factory = registry_->codec("capnp");
        if (!factory) throw std::runtime_error(factory.error().describe());
        auto codec = (*factory)->create(CodecContext{});
        if (!codec) throw std::runtime_error(codec.error().describe());
        codec_ = std::move(*codec);
        socket_.set(zmq::sockopt::linger, 0);
        socket_.set(zmq::sockopt::subscribe, "");
        socket_.connect(address);
    }

    /// The first message for which `wanted` holds, skipping others, or nothing by the deadline.
    std::optional<Message> waitFor(const std::function<bool(const Message&)>& wanted) {
        const auto deadline = std::chrono::steady_clock::now() + kDeadline;
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= 0ms) return std::nullopt;
            zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, left) <= 0) continue;
            zmq::message_t frame;
            if (!socket_.recv(frame, zmq::recv_flags::none)) continue;
            EXPECT_FALSE(frame.more()) << "a monitor message is one frame";
            auto message = codec_->decode(Buffer::copyOf(frame.to_string_view()));
            EXPECT_TRUE(message) << message.error().describe();
            if (message && wanted(*message)) return std::move(*message);
        }
    }

    /// The first StateScheduler for which `wanted` holds.
    std::optional<StateScheduler> state(const std::function<bool(const StateScheduler&)>& wanted) {
        auto found = waitFor([&](const Message& m) {
            const auto* state = std::get_if<StateScheduler>(&m);
            return state != nullptr && wanted(*state);
        });
        if (!found) return std::nullopt;
        return std::get<StateScheduler>(std::move(*found));
    }

    std::optional<StateWorker> worker(const Identity& id, const std::string& what) {
        auto found = waitFor([&](const Message& m) {
            const auto* state = std::get_if<StateWorker>(&m);
            return state != nullptr && state->workerId == id && state->message == what;
        });
        if (!found) return std::nullopt;
        return std::get<StateWorker>(std::move(*found));
    }

    std::optional<StateTask> task(const Bytes& id, TaskStatus status) {
        auto found = waitFor([&](const Message& m) {
            const auto* state = std::get_if<StateTask>(&m);
            return state != nullptr && state->taskId == id && state->status == status;
        });
        if (!found) return std::nullopt;
        return std::get<StateTask>(std::move(*found));
    }

  private:
    std::unique_ptr<PluginRegistry> registry_;
    std::unique_ptr<Codec> codec_;
    zmq::context_t context_;
    zmq::socket_t socket_{context_, zmq::socket_type::sub};
};

std::map<std::string, std::uint32_t> asMap(const std::vector<MessageCount>& counts) {
    std::map<std::string, std::uint32_t> out;
    for (const auto& count : counts) out[count.name] = count.number;
    return out;
}

Task pythonTask(const Bytes& id, const Identity& client) {
    return Task{id, client, {}, "function-object", {}};
}

TEST(Monitor, PublishesSchedulerWorkerAndTaskStatesAsTheyChange) {
    SchedulerThread scheduler(
        "  monitor:\n    address: tcp://127.0.0.1:0\n"
        "    interval_seconds: 0.2\n");
    ASSERT_FALSE(scheduler.monitorAddress().empty());
    Subscriber monitor(scheduler.monitorAddress());
    // The first state proves the subscription is in place (a SUB misses what came before).
    auto idle = monitor.state([](const StateScheduler& s) { return true; });
    ASSERT_TRUE(idle) << "no StateScheduler within the deadline";
    EXPECT_TRUE(idle->workerManager.workers.empty());
    EXPECT_GT(idle->scheduler.rss, 0u);  // this process's memory
    EXPECT_GT(idle->rssFree, 0u);

    TestPeer worker("tcp", "capnp", "Agent");
    worker.connect(scheduler.address());
    WorkerHeartbeat heartbeat;
    heartbeat.queuedTasks = 2;
    heartbeat.latencyUS = 1500;
    heartbeat.processors.push_back(
        ProcessorStatus{4242, true, true, false, Resource{250, 1 << 20}});
    worker.send(heartbeat);
    ASSERT_TRUE(monitor.worker(worker.identity(), "connected"));

    TestPeer client("tcp", "capnp", "Client");
    client.connect(scheduler.address());
    client.send(ClientHeartbeat{});
    ASSERT_TRUE(client.waitFor(MessageKind::clientHeartbeatEcho));
    ObjectContent function;
    function.ids = {"function-object"};
    function.types = {ObjectType::object};
    function.names = {"my_function"};
    function.payloads.emplace_back();
    function.payloads.back().push_back(Buffer::copyOf("pickled"));
    client.send(
        ObjectInstruction{ObjectInstructionType::create, client.identity(), std::move(function)});
    for (const char* id : {"task-1", "task-2", "task-3"})
        client.send(pythonTask(id, client.identity()));

    auto running = monitor.task("task-3", TaskStatus::running);
    ASSERT_TRUE(running);
    EXPECT_EQ(running->functionName, "my_function");
    EXPECT_EQ(running->worker, worker.identity());

    auto busy = monitor.state([](const StateScheduler& s) { return s.taskManager.running == 3; });
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->taskManager.unassigned, 0u);
    ASSERT_EQ(busy->workerManager.workers.size(), 1u);
    const WorkerStatus& status = busy->workerManager.workers[0];
    EXPECT_EQ(status.workerId, worker.identity());
    EXPECT_EQ(status.sent, 3u);
    EXPECT_EQ(status.free, 997u);  // Scaler's per-worker queue of 1000, less the three
    EXPECT_EQ(status.queued, 2u);  // these four as its heartbeat said
    EXPECT_EQ(status.lagUS, 1500u);
    EXPECT_EQ(status.itl, "110");
    ASSERT_EQ(status.processorStatuses.size(), 1u);
    EXPECT_EQ(status.processorStatuses[0].pid, 4242u);
    EXPECT_EQ(status.processorStatuses[0].resource, (Resource{250, 1 << 20}));
    ASSERT_EQ(busy->clientManager.clientToNumOfTask.size(), 1u);
    EXPECT_EQ(busy->clientManager.clientToNumOfTask[0].client, client.identity());
    EXPECT_EQ(busy->clientManager.clientToNumOfTask[0].numTask, 3u);
    EXPECT_EQ(busy->objectManager.numberOfObjects, 1u);
    const auto received = asMap(busy->binder.received), sent = asMap(busy->binder.sent);
    EXPECT_EQ(received.at("Task"), 3u);
    EXPECT_EQ(received.at("WorkerHeartbeat"), 1u);
    EXPECT_EQ(received.at("ObjectInstruction"), 1u);
    EXPECT_EQ(sent.at("Task"), 3u);
    EXPECT_EQ(sent.at("WorkerHeartbeatEcho"), 1u);

    worker.send(TaskResult{"task-1", TaskStatus::success, "profile-1", {}});
    worker.send(TaskResult{"task-2", TaskStatus::failed, {}, {}});
    auto done = monitor.task("task-1", TaskStatus::success);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->metadata, "profile-1");
    EXPECT_EQ(done->worker, worker.identity());
    auto later = monitor.state([](const StateScheduler& s) { return s.taskManager.running == 1; });
    ASSERT_TRUE(later);
    EXPECT_EQ(later->taskManager.success, 1u);
    EXPECT_EQ(later->taskManager.failed, 1u);
    EXPECT_EQ(later->workerManager.workers.at(0).sent, 1u);

    // The worker leaves: it is reported gone and its task waits for another.
    worker.send(DisconnectRequest{worker.identity()});
    ASSERT_TRUE(monitor.worker(worker.identity(), "disconnected"));
    auto queued = monitor.task("task-3", TaskStatus::inactive);
    ASSERT_TRUE(queued);
    EXPECT_EQ(queued->worker, "");
    auto waiting =
        monitor.state([](const StateScheduler& s) { return s.workerManager.workers.empty(); });
    ASSERT_TRUE(waiting);
    EXPECT_EQ(waiting->taskManager.unassigned, 1u);
    EXPECT_EQ(waiting->taskManager.running, 0u);
}

TEST(Monitor, NoMonitorWithoutAZmqEndpointOrAnAddress) {
    SchedulerThread scheduler("");
    EXPECT_TRUE(scheduler.monitorAddress().empty());
}

TEST(Monitor, DisabledMonitorPublishesNothing) {
    SchedulerThread scheduler("  monitor:\n    address: tcp://127.0.0.1:0\n    enabled: false\n");
    EXPECT_TRUE(scheduler.monitorAddress().empty());
}

TEST(Monitor, ATransportThatCannotPublishIsRefusedAtStart) {
    const std::string text =
        "scheduler:\n"
        "  endpoints:\n"
        "    - address: tcp://127.0.0.1:0\n"
        "  plugin_dir: " +
        buildPluginDir().string() +
        "\n"
        "  monitor:\n"
        "    address: tcp://127.0.0.1:0\n"
        "    transport: tcp\n";
    Scheduler scheduler(detail::parseSchedulerConfig(parseConfigText(text, "monitor-test.yaml")));
    auto started = scheduler.start();
    ASSERT_FALSE(started);
    EXPECT_NE(started.error().message.find("monitor"), std::string::npos)
        << started.error().message;
    EXPECT_NE(started.error().message.find("pattern"), std::string::npos)
        << started.error().message;
}

}  // namespace
}  // namespace plexus::test
