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
    EXPECT_EQ(config.requeue.onWorkerDeath, RequeuePolicy::OnWorkerDeath::requeue);
    EXPECT_EQ(config.requeue.maxTaskRetries, 3u);
}

TEST(SchedulerConfig, WorkerDeathPolicy) {
    const std::string head = "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n";
    auto config = parse(head + "  on_worker_death: fail\n  max_task_retries: 0\n");
    EXPECT_EQ(config.requeue.onWorkerDeath, RequeuePolicy::OnWorkerDeath::fail);
    EXPECT_EQ(config.requeue.maxTaskRetries, 0u);
    config = parse(head + "  on_worker_death: requeue\n  max_task_retries: 10\n");
    EXPECT_EQ(config.requeue.onWorkerDeath, RequeuePolicy::OnWorkerDeath::requeue);
    EXPECT_EQ(config.requeue.maxTaskRetries, 10u);

    auto error = errorOf(head + "  on_worker_death: retry\n");
    EXPECT_NE(error.find("test.yaml:4:"), std::string::npos) << error;
    EXPECT_NE(error.find("scheduler.on_worker_death"), std::string::npos) << error;
    EXPECT_NE(error.find("requeue, fail"), std::string::npos) << error;
    error = errorOf(head + "  max_task_retries: -1\n");
    EXPECT_NE(error.find("scheduler.max_task_retries"), std::string::npos) << error;
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

TEST(SchedulerConfig, FlowControlDefaultsAndKeys) {
    const std::string head = "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n";
    auto defaults = parse(head);
    EXPECT_EQ(defaults.endpoints[0].sendLimits.highWatermarkBytes, 64u << 20);
    EXPECT_EQ(defaults.endpoints[0].sendLimits.lowWatermarkBytes, 16u << 20);
    EXPECT_EQ(defaults.endpoints[0].sendLimits.hardLimitBytes, 0u);
    EXPECT_EQ(defaults.unfetchedResultsHighBytes, 64u << 20);
    EXPECT_EQ(defaults.unfetchedResultsLowBytes, 16u << 20);

    auto tuned = parse(head +
                       "      send_high_watermark_bytes: 4000\n"
                       "      send_hard_limit_bytes: 9000\n"
                       "  unfetched_results_high_watermark_bytes: 0\n");
    EXPECT_EQ(tuned.endpoints[0].sendLimits.highWatermarkBytes, 4000u);
    EXPECT_EQ(tuned.endpoints[0].sendLimits.lowWatermarkBytes, 1000u);  // a quarter, unless given
    EXPECT_EQ(tuned.endpoints[0].sendLimits.hardLimitBytes, 9000u);
    EXPECT_EQ(tuned.unfetchedResultsHighBytes, 0u);  // off
}

TEST(SchedulerConfig, InconsistentFlowControlValuesNameTheirKey) {
    const std::string head = "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n";
    auto expectError = [&](const std::string& extra, const std::string& key, int line) {
        const auto error = errorOf(head + extra);
        EXPECT_NE(error.find(key), std::string::npos) << error;
        EXPECT_NE(error.find("test.yaml:" + std::to_string(line) + ":"), std::string::npos)
            << error;
    };
    expectError("      send_low_watermark_bytes: 5000\n      send_high_watermark_bytes: 4000\n",
                "scheduler.endpoints[0].send_low_watermark_bytes", 4);
    expectError("      send_high_watermark_bytes: 0\n",
                "scheduler.endpoints[0].send_high_watermark_bytes", 4);
    expectError("      send_hard_limit_bytes: 1000\n",
                "scheduler.endpoints[0].send_hard_limit_bytes", 4);
    expectError("      send_high_watermark_bytes: lots\n",
                "scheduler.endpoints[0].send_high_watermark_bytes", 4);
    expectError(
        "  unfetched_results_low_watermark_bytes: 200\n"
        "  unfetched_results_high_watermark_bytes: 100\n",
        "scheduler.unfetched_results_low_watermark_bytes", 4);
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

TEST(SchedulerConfig, MonitorDefaultsToTheFirstZmqEndpointsPortPlusTwo) {
    auto config = parse(
        "scheduler:\n"
        "  endpoints:\n"
        "    - {address: 'tcp://127.0.0.1:2345', transport: tcp}\n"
        "    - {address: 'tcp://0.0.0.0:6378', transport: zmq}\n"
        "    - {address: 'tcp://127.0.0.1:7000', transport: zmq}\n");
    EXPECT_TRUE(config.monitor.enabled);
    EXPECT_EQ(config.monitor.address, "tcp://0.0.0.0:6380");
    EXPECT_EQ(config.monitor.transport, "zmq");
    EXPECT_EQ(config.monitor.codec, "capnp");
    EXPECT_EQ(config.monitor.interval, std::chrono::seconds(1));
}

TEST(SchedulerConfig, NoMonitorWithoutAZmqEndpointUnlessGivenAnAddress) {
    const std::string head = "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:2345\n";
    EXPECT_FALSE(parse(head).monitor.enabled);
    auto config = parse(head +
                        "  monitor:\n    address: tcp://127.0.0.1:9000\n    interval_seconds: "
                        "0.25\n    codec: protobuf\n");
    EXPECT_TRUE(config.monitor.enabled);
    EXPECT_EQ(config.monitor.address, "tcp://127.0.0.1:9000");
    EXPECT_EQ(config.monitor.interval, std::chrono::milliseconds(250));
    EXPECT_EQ(config.monitor.codec, "protobuf");
    EXPECT_FALSE(parse(head + "  monitor:\n    address: tcp://127.0.0.1:9000\n    enabled: no\n")
                     .monitor.enabled);

    config = parse(head);
    overrideMonitorAddress(config, "tcp://127.0.0.1:9100");
    EXPECT_TRUE(config.monitor.enabled);
    EXPECT_EQ(config.monitor.address, "tcp://127.0.0.1:9100");
}

TEST(SchedulerConfig, MonitorMistakesNameFileLineAndKey) {
    const std::string head = "scheduler:\n  endpoints:\n    - address: tcp://127.0.0.1:0\n";
    auto error = errorOf(head + "  monitor:\n    enabled: true\n");
    EXPECT_NE(error.find("test.yaml:5:"), std::string::npos) << error;
    EXPECT_NE(error.find("scheduler.monitor.enabled"), std::string::npos) << error;
    error = errorOf(head + "  monitor:\n    adress: tcp://127.0.0.1:1\n");
    EXPECT_NE(error.find("test.yaml:5:"), std::string::npos) << error;
    EXPECT_NE(error.find("scheduler.monitor.adress"), std::string::npos) << error;
    error =
        errorOf(head + "  monitor:\n    address: tcp://127.0.0.1:1\n    interval_seconds: -1\n");
    EXPECT_NE(error.find("test.yaml:6:"), std::string::npos) << error;
    EXPECT_NE(error.find("scheduler.monitor.interval_seconds"), std::string::npos) << error;
    EXPECT_NE(errorOf(head + "  monitor: yes\n").find("scheduler.monitor"), std::string::npos);
    EXPECT_NE(errorOf(head + "  monitor:\n    enabled: often\n").find("scheduler.monitor.enabled"),
              std::string::npos);
    EXPECT_NE(errorOf(head + "  monitor:\n    address: ''\n").find("scheduler.monitor.address"),
              std::string::npos);
}

TEST(SchedulerConfig, DefaultMonitorAddressIsPortPlusTwoOnTheSameHost) {
    EXPECT_EQ(defaultMonitorAddress("tcp://127.0.0.1:2345"), "tcp://127.0.0.1:2347");
    EXPECT_EQ(defaultMonitorAddress("tcp://[::1]:2345"), "tcp://[::1]:2347");
    EXPECT_EQ(defaultMonitorAddress("tcp://*:65533"), "tcp://*:65535");
    EXPECT_EQ(defaultMonitorAddress("tcp://127.0.0.1:0"), "tcp://127.0.0.1:0");  // a free port
    for (const char* bad : {"tcp://127.0.0.1:65534", "tcp://127.0.0.1", "tcp://127.0.0.1:",
                            "tcp://127.0.0.1:x1", "ipc:///tmp/sock:1", "tcp://:-1"}) {
        EXPECT_EQ(defaultMonitorAddress(bad), std::nullopt) << bad;
    }
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
