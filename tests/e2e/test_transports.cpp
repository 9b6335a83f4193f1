// The same job over every transport and codec, chosen only in YAML with the same binaries; and a
// live cluster moving its workers from ZeroMQ to TCP by configuration alone.

#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include <gtest/gtest.h>

#include "e2e/cluster_fixture.h"
#include "plexus/future.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

struct EndpointSpec {
    std::string transport;
    std::string codec;
};

// `plexus scheduler` listening on one endpoint per spec (port 0 each); addresses in spec order.
class SchedulerWithEndpoints {
  public:
    explicit SchedulerWithEndpoints(const std::vector<EndpointSpec>& specs) {
        std::string config = "scheduler:\n  endpoints:\n";
        for (const auto& spec : specs) {
            config += "    - {address: 'tcp://127.0.0.1:0', transport: " + spec.transport +
                      ", codec: " + spec.codec + "}\n";
        }
        config += "  worker_timeout_seconds: 5\n  plugin_dir: " + buildPluginDir().string() + "\n";
        const auto file = dir_.write("scheduler.yaml", config);
        const auto addressFile = dir_.path() / "addresses";
        process_ = std::make_unique<ChildProcess>(
            plexusBinary(), std::vector<std::string>{"scheduler", "--config", file.string(),
                                                     "--address-file", addressFile.string()});
        if (!waitUntil(
                [&] { return std::filesystem::exists(addressFile) || !process_->running(); }) ||
            !std::filesystem::exists(addressFile)) {
            throw std::runtime_error("scheduler did not start:\n" + process_->output());
        }
        std::ifstream in(addressFile);
        for (std::string line; std::getline(in, line);) addresses_.push_back(line);
    }
    const std::string& address(std::size_t i) const { return addresses_.at(i); }
    ChildProcess& process() { return *process_; }

  private:
    TempDir dir_;
    std::unique_ptr<ChildProcess> process_;
    std::vector<std::string> addresses_;
};

class TransportCodecMatrix : public ::testing::TestWithParam<EndpointSpec> {};

TEST_P(TransportCodecMatrix, SameJobPasses) {
    const auto& spec = GetParam();
    SchedulerWithEndpoints scheduler({spec});
    WorkerProcesses workers(scheduler.address(0), 2, 2, spec.transport, spec.codec);
    auto client = connectClient(scheduler.address(0), spec.transport, spec.codec);
    ASSERT_TRUE(client);
    std::vector<std::int64_t> inputs(2000);
    for (std::int64_t i = 0; i < 2000; ++i) inputs[i] = i;
    auto futures = client->map("e2e.square", inputs);
    for (std::int64_t i = 0; i < 2000; ++i) ASSERT_EQ(futures[i].get<std::int64_t>(), i * i);
    // A 4 MiB object through the whole path, and a failure's text.
    ObjectRef big = client->put(std::string(4 << 20, 'z'));
    EXPECT_EQ(client->get(big).size(), std::size_t{4} << 20);
    EXPECT_THROW(client->submit("e2e.fail", std::string("over " + spec.transport)).get(),
                 TaskFailed);
}

INSTANTIATE_TEST_SUITE_P(
    AllCombinations, TransportCodecMatrix,
    ::testing::Values(EndpointSpec{"tcp", "capnp"}, EndpointSpec{"tcp", "protobuf"},
                      EndpointSpec{"zmq", "capnp"}, EndpointSpec{"zmq", "protobuf"}),
    [](const auto& info) { return info.param.transport + "_" + info.param.codec; });

// Peers on different endpoints (and codecs) are routed to each other: a client on one endpoint,
// workers on the others.
TEST(MultipleEndpoints, ClientAndWorkersOnDifferentTransportsAndCodecs) {
    SchedulerWithEndpoints scheduler({{"zmq", "capnp"}, {"tcp", "capnp"}, {"tcp", "protobuf"}});
    WorkerProcesses zmqWorkers(scheduler.address(0), 1, 2, "zmq", "capnp");
    WorkerProcesses pbWorkers(scheduler.address(2), 1, 2, "tcp", "protobuf");
    auto client = connectClient(scheduler.address(1), "tcp", "capnp");
    ASSERT_TRUE(client);
    std::vector<std::int64_t> inputs(1000);
    for (std::int64_t i = 0; i < 1000; ++i) inputs[i] = i;
    auto futures = client->map("e2e.square", inputs);
    for (std::int64_t i = 0; i < 1000; ++i) ASSERT_EQ(futures[i].get<std::int64_t>(), i * i);
}

// A cluster running a long stream of tasks with workers on ZeroMQ; workers on TCP are added by
// configuration, then the ZeroMQ workers are stopped: every task completes exactly once, and
// nothing is rebuilt or restarted but the workers.
TEST(Migration, FromZeroMqToTcpWhileTasksFlow) {
    SchedulerWithEndpoints scheduler({{"zmq", "capnp"}, {"tcp", "capnp"}});
    auto oldWorkers = std::make_unique<WorkerProcesses>(scheduler.address(0), 2, 2, "zmq", "capnp");
    auto client = connectClient(scheduler.address(1), "tcp", "capnp");
    ASSERT_TRUE(client);
    constexpr std::int64_t kTasks = 3000;
    std::vector<Future> futures;
    for (std::int64_t i = 0; i < kTasks; ++i)
        futures.push_back(client->submit("e2e.sleep_ms", std::int64_t{1}));
    ASSERT_TRUE(waitUntil([&] { return futures[kTasks / 10].done(); }, 60s));
    WorkerProcesses newWorkers(scheduler.address(1), 2, 2, "tcp", "capnp");
    ASSERT_TRUE(waitUntil([&] { return futures[kTasks / 5].done(); }, 60s));
    for (std::size_t i = 0; i < oldWorkers->size(); ++i)
        oldWorkers->at(i).signal(SIGTERM);  // graceful leave
    for (std::size_t i = 0; i < oldWorkers->size(); ++i) {
        const int status = oldWorkers->at(i).waitExit(30s);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << oldWorkers->output(i);
    }
    for (std::int64_t i = 0; i < kTasks; ++i) {
        ASSERT_TRUE(futures[i].waitFor(120s)) << "task " << i;
        EXPECT_EQ(futures[i].get<std::int64_t>(), 1);
    }
    EXPECT_TRUE(scheduler.process().running());
}

}  // namespace
}  // namespace plexus::test
