// The worker's configuration: defaults, the example under config/, and errors that name the
// file, the line and the key.

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "worker/worker_config.h"

namespace plexus::detail {
namespace {

WorkerConfig parse(const std::string& text) {
    return parseWorkerConfig(parseConfigText(text, "w.yaml"));
}

// The ConfigError message of parsing `text`, or "" if it parsed.
std::string errorOf(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

const std::string kMinimal =
    "worker:\n"
    "  scheduler:\n"
    "    address: tcp://127.0.0.1:2345\n"
    "  task_libraries: [libmaths.so]\n";

TEST(WorkerConfig, Defaults) {
    const WorkerConfig config = parse(kMinimal);
    EXPECT_EQ(config.scheduler.address, "tcp://127.0.0.1:2345");
    EXPECT_EQ(config.scheduler.transport, "tcp");
    EXPECT_EQ(config.scheduler.codec, "capnp");
    ASSERT_EQ(config.taskLibraries.size(), 1u);
    EXPECT_EQ(config.taskLibraries[0].filename(), "libmaths.so");
    EXPECT_GE(config.executors, 1u);
    EXPECT_EQ(config.heartbeatInterval, std::chrono::seconds(2));
    EXPECT_EQ(config.deathTimeout, std::chrono::seconds(300));
    EXPECT_EQ(config.maxFrameBytes, std::size_t{1} << 30);
    EXPECT_EQ(config.logLevel, "info");
    EXPECT_TRUE(config.name.empty());
    EXPECT_FALSE(config.pluginDir.has_value());
    EXPECT_EQ(config.isolation, Isolation::thread);
}

TEST(WorkerConfig, EveryKey) {
    const WorkerConfig config = parse(
        "scheduler:\n  endpoints: []\n"  // other roles' sections may share the file
        "worker:\n"
        "  scheduler:\n"
        "    address: tcp://10.0.0.1:9000\n"
        "    transport: zmq\n"
        "    codec: protobuf\n"
        "    transport_options: {a: 1}\n"
        "  plugin_dir: /opt/plugins\n"
        "  task_libraries: [/abs/liba.so, rel/libb.so]\n"
        "  executors: 3\n"
        "  isolation: process\n"
        "  heartbeat_interval_seconds: 0.5\n"
        "  death_timeout_seconds: 10\n"
        "  max_frame_bytes: 4096\n"
        "  log_level: debug\n"
        "  name: box-1\n");
    EXPECT_EQ(config.scheduler.transport, "zmq");
    EXPECT_EQ(config.scheduler.codec, "protobuf");
    EXPECT_TRUE(config.scheduler.transportOptions.isMap());
    EXPECT_EQ(*config.pluginDir, "/opt/plugins");
    ASSERT_EQ(config.taskLibraries.size(), 2u);
    EXPECT_EQ(config.taskLibraries[0], "/abs/liba.so");
    EXPECT_EQ(config.taskLibraries[1],
              std::filesystem::path("rel/libb.so"));  // relative to w.yaml's folder
    EXPECT_EQ(config.executors, 3u);
    EXPECT_EQ(config.isolation, Isolation::process);
    EXPECT_EQ(config.heartbeatInterval, std::chrono::milliseconds(500));
    EXPECT_EQ(config.deathTimeout, std::chrono::seconds(10));
    EXPECT_EQ(config.maxFrameBytes, 4096u);
    EXPECT_EQ(config.logLevel, "debug");
    EXPECT_EQ(config.name, "box-1");
}

TEST(WorkerConfig, RelativePathsAreRelativeToTheFile) {
    test::TempDir dir;
    const auto file = dir.write("w.yaml",
                                "worker:\n  scheduler: {address: 'tcp://127.0.0.1:1'}\n"
                                "  plugin_dir: plugins\n  task_libraries: [tasks/libx.so]\n");
    const WorkerConfig config = parseWorkerConfig(loadConfigFile(file));
    EXPECT_EQ(*config.pluginDir, dir.path() / "plugins");
    EXPECT_EQ(config.taskLibraries.at(0), dir.path() / "tasks/libx.so");
}

TEST(WorkerConfig, ErrorsNameFileLineAndKey) {
    std::string error = errorOf(kMinimal + "  colour: blue\n");
    EXPECT_NE(error.find("w.yaml:5:"), std::string::npos) << error;
    EXPECT_NE(error.find("worker.colour"), std::string::npos) << error;

    error = errorOf(kMinimal + "  executors: many\n");
    EXPECT_NE(error.find("w.yaml:5:"), std::string::npos) << error;
    EXPECT_NE(error.find("worker.executors"), std::string::npos) << error;

    error = errorOf(kMinimal + "  executors: 0\n");
    EXPECT_NE(error.find("worker.executors"), std::string::npos) << error;

    error = errorOf(kMinimal + "  isolation: container\n");
    EXPECT_NE(error.find("w.yaml:5:"), std::string::npos) << error;
    EXPECT_NE(error.find("worker.isolation"), std::string::npos) << error;
    EXPECT_NE(error.find("expected thread or process"), std::string::npos) << error;

    error = errorOf(kMinimal + "  heartbeat_interval_seconds: -1\n");
    EXPECT_NE(error.find("worker.heartbeat_interval_seconds"), std::string::npos) << error;

    error =
        errorOf(kMinimal + "  death_timeout_seconds: 1\n");  // not longer than the 2 s heartbeat
    EXPECT_NE(error.find("worker.death_timeout_seconds"), std::string::npos) << error;

    error = errorOf(kMinimal + "  log_level: loud\n");
    EXPECT_NE(error.find("worker.log_level"), std::string::npos) << error;

    error = errorOf(kMinimal + "  name: 'a|b'\n");
    EXPECT_NE(error.find("worker.name"), std::string::npos) << error;

    error = errorOf(
        "worker:\n  scheduler:\n    address: tcp://127.0.0.1:1\n    colour: red\n  task_libraries: "
        "[x.so]\n");
    EXPECT_NE(error.find("w.yaml:4:"), std::string::npos) << error;
    EXPECT_NE(error.find("worker.scheduler.colour"), std::string::npos) << error;

    error = errorOf("worker:\n  scheduler:\n    transport: tcp\n  task_libraries: [x.so]\n");
    EXPECT_NE(error.find("address"), std::string::npos) << error;

    error = errorOf("worker:\n  task_libraries: [x.so]\n");
    EXPECT_NE(error.find("scheduler"), std::string::npos) << error;

    error = errorOf(
        "worker:\n  scheduler: {address: 'tcp://127.0.0.1:1'}\n  task_libraries: libx.so\n");
    EXPECT_NE(error.find("worker.task_libraries"), std::string::npos) << error;

    error = errorOf("worker:\n  scheduler: {address: 'tcp://127.0.0.1:1'}\n  task_libraries: []\n");
    EXPECT_NE(error.find("task_libraries"), std::string::npos) << error;

    error = errorOf("scheduler:\n  endpoints: []\n");
    EXPECT_NE(error.find("worker"), std::string::npos) << error;

    error = errorOf("wroker:\n  scheduler: {}\n");
    EXPECT_NE(error.find("w.yaml:1:"), std::string::npos) << error;
}

TEST(WorkerConfig, SchedulerAddressFromTheCommandLine) {
    // Replaces the configured address, keeping the transport and codec.
    WorkerConfig config =
        parseWorkerConfig(parseConfigText("worker:\n  scheduler: {address: 'tcp://a:1', codec: "
                                          "protobuf}\n  task_libraries: [x.so]\n",
                                          "w.yaml"),
                          std::string("tcp://b:2"));
    EXPECT_EQ(config.scheduler.address, "tcp://b:2");
    EXPECT_EQ(config.scheduler.codec, "protobuf");
    // Makes the scheduler key optional.
    config = parseWorkerConfig(parseConfigText("worker:\n  task_libraries: [x.so]\n", "w.yaml"),
                               std::string("tcp://b:2"));
    EXPECT_EQ(config.scheduler.address, "tcp://b:2");
    EXPECT_EQ(config.scheduler.transport, "tcp");
    EXPECT_EQ(config.scheduler.codec, "capnp");
}

// Every example under config/ that has a worker section must load.
TEST(WorkerConfig, EveryExampleConfigLoads) {
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(test::sourceDir() / "config")) {
        if (entry.path().extension() != ".yaml") continue;
        SCOPED_TRACE(entry.path().string());
        ConfigNode root = loadConfigFile(entry.path());
        if (root.has("worker")) {
            // A cluster file leaves the scheduler address to `plexus up`, which passes the
            // address the scheduler bound, as --scheduler-address does.
            if (root.has("cluster")) {
                EXPECT_NO_THROW(parseWorkerConfig(root, std::string("tcp://127.0.0.1:1")));
            } else {
                EXPECT_NO_THROW(parseWorkerConfig(root));
            }
            ++checked;
        }
    }
    EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace plexus::detail
