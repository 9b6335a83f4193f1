// A real job over uds: `plexus scheduler` listening on a Unix socket, a `plexus worker`
// connecting to it, both naming the transport in their YAML config, and a client in this process
// submitting tasks over the same transport.
#include <signal.h>
#include <sys/wait.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <plexus/client.h>

#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

TEST(UdsJob, SchedulerWorkerAndClientOverUnixSockets) {
    TempDir dir;
    const std::string address = "unix://" + (dir.path() / "scheduler.sock").string();
    const std::string plugins = buildPluginDir().string();

    const auto schedulerConfig = dir.write("scheduler.yaml",
                                           "scheduler:\n"
                                           "  endpoints:\n"
                                           "    - address: " +
                                               address +
                                               "\n"
                                               "      transport: uds\n"
                                               "      codec: capnp\n"
                                               "      transport_options:\n"
                                               "        socket_mode: \"0600\"\n"
                                               "  plugin_dir: " +
                                               plugins +
                                               "\n"
                                               "  log_level: warn\n");
    const auto workerConfig = dir.write("worker.yaml",
                                        "worker:\n"
                                        "  scheduler:\n"
                                        "    address: " +
                                            address +
                                            "\n"
                                            "    transport: uds\n"
                                            "    codec: capnp\n"
                                            "  plugin_dir: " +
                                            plugins +
                                            "\n"
                                            "  task_libraries:\n"
                                            "    - " UDS_EXAMPLE_TASKS
                                            "\n"
                                            "  executors: 2\n"
                                            "  log_level: warn\n");

    const auto addressFile = dir.path() / "address";
    ChildProcess scheduler(PLEXUS_EXECUTABLE, {"scheduler", "--config", schedulerConfig.string(),
                                               "--address-file", addressFile.string()});
    ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(addressFile); }, 20s))
        << scheduler.output();
    ChildProcess worker(PLEXUS_EXECUTABLE, {"worker", "--config", workerConfig.string()});

    ClientOptions options;
    options.address = address;
    options.transport = "uds";
    options.codec = "capnp";
    options.pluginDir = buildPluginDir();
    options.timeout = 30s;
    auto client = Client::connect(options);
    ASSERT_TRUE(client) << client.error().describe();

    Future shout = (*client)->submit("text.upper", std::string("over a unix socket"));
    std::vector<std::tuple<std::uint64_t>> numbers;
    for (std::uint64_t i = 0; i < 100; ++i) numbers.emplace_back(i);
    std::vector<Future> squares = (*client)->map("math.square", numbers);

    EXPECT_EQ(shout.get<std::string>(), "OVER A UNIX SOCKET")
        << scheduler.output() << worker.output();
    for (std::uint64_t i = 0; i < squares.size(); ++i)
        EXPECT_EQ(squares[i].get<std::uint64_t>(), i * i);
    (*client)->disconnect();

    worker.signal(SIGTERM);
    scheduler.signal(SIGTERM);
    const int workerStatus = worker.waitExit(20s);
    const int schedulerStatus = scheduler.waitExit(20s);
    EXPECT_TRUE(WIFEXITED(workerStatus) && WEXITSTATUS(workerStatus) == 0) << worker.output();
    EXPECT_TRUE(WIFEXITED(schedulerStatus) && WEXITSTATUS(schedulerStatus) == 0)
        << scheduler.output();
    // The listener removed its socket file.
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "scheduler.sock"));
}

}  // namespace
}  // namespace plexus::test
