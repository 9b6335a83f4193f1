// The scheduler's configuration: defaults, every example under config/, and errors that name the
// file, the line and the key.

#include <gtest/gtest.h>

#include "scheduler/scheduler_config.h"
#include "support/test_support.h"

namespace plexus::detail {
namespace {

SchedulerConfig parse(const std::string& text) {
    return parseSchedulerConfig(parseConfigText(text, "test.yaml"));
}

std::string errorOf(const std::string& text) {
    try {
        parse(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

TEST(SchedulerConfig, MinimalConfigGetsScalerDefaults) {
    auto config = parse("scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n");
    ASSERT_EQ(config.endpoints.size(), 1u);
    EXPECT_EQ(config.endpoints[0].transport, "tcp");
    EXPECT_EQ(config.endpoints[0].codec, "capnp");
    EXPECT_EQ(config.clientTimeout, std::chrono::seconds(60));
    EXPECT_EQ(config.workerTimeout, std::chrono::seconds(60));
    EXPECT_EQ(config.perWorkerQueueSize, 1000u);
    EXPECT_FALSE(config.protectedMode);
}

TEST(SchedulerConfig, SeveralEndpointsKeepTheirOrderAndOptions) {
    auto config = parse(
        "scheduler:\n"
        "  endpoints:\n"
        "    - {address: 'tcp://127.0.0.1:1', transport: tcp, codec: capnp}\n"
        "    - address: tcp://127.0.0.1:2\n"
        "      transport: other\n"
        "      transport_options: {reconnect_max_ms: 10}\n"
        "  client_timeout_seconds: 1.5\n");
    ASSERT_EQ(config.endpoints.size(), 2u);
    EXPECT_EQ(config.endpoints[1].transport, "other");
    EXPECT_TRUE(config.endpoints[1].transportOptions.isDefined());
    EXPECT_EQ(config.clientTimeout, std::chrono::milliseconds(1500));
}

TEST(SchedulerConfig, UnknownKeyNamesFileLineAndKey) {
    const auto error = errorOf(
        "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n      trasnport: tcp\n");
    EXPECT_NE(error.find("test.yaml:4:"), std::string::npos) << error;
    EXPECT_NE(error.find("scheduler.endpoints[0].trasnport"), std::string::npos) << error;
}

TEST(SchedulerConfig, WrongTypeNamesFileLineAndKey) {
    const auto error = errorOf(
        "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n  per_worker_queue_size: "
        "lots\n");
    EXPECT_NE(error.find("test.yaml:4:"), std::string::npos) << error;
    EXPECT_NE(error.find("scheduler.per_worker_queue_size"), std::string::npos) << error;
}

TEST(SchedulerConfig, MissingSectionAndEmptyEndpointsAreErrors) {
    EXPECT_NE(errorOf("worker: {}\n").find("missing the 'scheduler' section"), std::string::npos);
    EXPECT_NE(errorOf("scheduler:\n  endpoints: []\n").find("at least one endpoint"),
              std::string::npos);
    EXPECT_NE(errorOf("scheduler:\n  endpoints:\n    - transport: tcp\n").find("address"),
              std::string::npos);
    EXPECT_NE(errorOf("schedular: {}\n").find("schedular"), std::string::npos);
}

TEST(SchedulerConfig, InvalidValuesAreRefused) {
    const std::string head = "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n";
    EXPECT_NE(errorOf(head + "  worker_timeout_seconds: 0\n").find("worker_timeout_seconds"),
              std::string::npos);
    EXPECT_NE(errorOf(head + "  per_worker_queue_size: 0\n").find("per_worker_queue_size"),
              std::string::npos);
    EXPECT_NE(errorOf(head + "  log_level: loud\n").find("log_level"), std::string::npos);
    EXPECT_NE(errorOf(head + "  protected: maybe\n").find("protected"), std::string::npos);
}

TEST(SchedulerConfig, PluginDirIsRelativeToTheConfigFile) {
    test::TempDir dir;
    const auto file = dir.write(
        "s.yaml",
        "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n  plugin_dir: plugins\n");
    auto config = parseSchedulerConfig(loadConfigFile(file));
    ASSERT_TRUE(config.pluginDir.has_value());
    EXPECT_EQ(*config.pluginDir, dir.path() / "plugins");
}

// Every example under config/ must load (the scheduler section, where the file has one).
TEST(SchedulerConfig, EveryExampleConfigLoads) {
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(test::sourceDir() / "config")) {
        if (entry.path().extension() != ".yaml") continue;
        SCOPED_TRACE(entry.path().string());
        ConfigNode root = loadConfigFile(entry.path());
        checkConfigRoot(root);
        if (root.has("scheduler")) {
            EXPECT_NO_THROW(parseSchedulerConfig(root));
            ++checked;
        }
    }
    EXPECT_GE(checked, 1);
}

}  // namespace
}  // namespace plexus::detail
