#include "scheduler/scheduler_config.h"

#include <charconv>

#include <fmt/format.h>

#include "plexus/log.h"

namespace plexus::detail {

void checkConfigRoot(const ConfigNode& root) {
    root.allowOnly({"scheduler", "worker", "client", "cluster"});
}

std::filesystem::path resolveConfigPath(const ConfigNode& node, const std::string& path) {
    std::filesystem::path p(path);
    if (p.is_absolute()) return p;
    return std::filesystem::path(node.file()).parent_path() / p;
}

namespace {

/// The send limits keys of an endpoint (see plexus::SendLimits). Refuses a low watermark above
/// the high one, and a hard limit below the high watermark (it would cut a peer off before it
/// was ever reported congested).
SendLimits parseSendLimits(const ConfigNode& node) {
    SendLimits limits;
    limits.highWatermarkBytes =
        node.get<std::uint64_t>("send_high_watermark_bytes", limits.highWatermarkBytes);
    // Unless given, the low mark is a quarter of the high one, as in the defaults.
    limits.lowWatermarkBytes =
        node.get<std::uint64_t>("send_low_watermark_bytes", limits.highWatermarkBytes / 4);
    limits.hardLimitBytes = node.get<std::uint64_t>("send_hard_limit_bytes", limits.hardLimitBytes);
    if (limits.highWatermarkBytes == 0)
        throw node["send_high_watermark_bytes"].error("must be at least 1");
    if (limits.lowWatermarkBytes > limits.highWatermarkBytes) {
        throw node["send_low_watermark_bytes"].error("must not exceed send_high_watermark_bytes");
    }
    if (limits.hardLimitBytes != 0 && limits.hardLimitBytes < limits.highWatermarkBytes) {
        throw node["send_hard_limit_bytes"].error(
            "must be 0 (no limit) or at least send_high_watermark_bytes");
    }
    return limits;
}

}  // namespace

EndpointConfig parseEndpointConfig(const ConfigNode& node) {
    node.allowOnly({"address", "transport", "codec", "transport_options", "codec_options",
                    "send_high_watermark_bytes", "send_low_watermark_bytes",
                    "send_hard_limit_bytes"});
    EndpointConfig endpoint;
    endpoint.node = node;
    endpoint.address = node.require<std::string>("address");
    endpoint.transport = node.get<std::string>("transport", "tcp");
    endpoint.codec = node.get<std::string>("codec", "capnp");
    endpoint.transportOptions = node["transport_options"];
    endpoint.codecOptions = node["codec_options"];
    endpoint.transportOptions.expectMap();
    endpoint.codecOptions.expectMap();
    endpoint.sendLimits = parseSendLimits(node);
    return endpoint;
}

namespace {

std::chrono::milliseconds seconds(const ConfigNode& section, std::string_view key,
                                  std::chrono::milliseconds fallback) {
    if (!section.has(key)) return fallback;
    const double value = section[key].as<double>();
    if (!(value > 0)) throw section[key].error("must be a positive number of seconds");
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000));
}

MonitorConfig parseMonitorConfig(const ConfigNode& section,
                                 const std::vector<EndpointConfig>& endpoints) {
    section.allowOnly({"enabled", "address", "transport", "codec", "interval_seconds"});
    MonitorConfig monitor;
    monitor.node = section;
    if (section.has("address")) {
        monitor.address = section["address"].as<std::string>();
        if (monitor.address.empty()) throw section["address"].error("must not be empty");
    } else {
        for (const auto& endpoint : endpoints) {
            if (endpoint.transport != "zmq") continue;
            monitor.address = defaultMonitorAddress(endpoint.address).value_or("");
            break;
        }
    }
    monitor.transport = section.get<std::string>("transport", monitor.transport);
    monitor.codec = section.get<std::string>("codec", monitor.codec);
    monitor.interval = seconds(section, "interval_seconds", monitor.interval);
    monitor.enabled = section.get<bool>("enabled", !monitor.address.empty());
    if (monitor.enabled && monitor.address.empty()) {
        throw section["enabled"].error(
            "no address to publish on: set 'address', or list a zmq endpoint (tcp://HOST:PORT) "
            "whose port + 2 is the default");
    }
    return monitor;
}

}  // namespace

std::optional<std::string> defaultMonitorAddress(std::string_view endpointAddress) {
    constexpr std::string_view kScheme = "tcp://";
    if (!endpointAddress.starts_with(kScheme)) return std::nullopt;
    const auto colon = endpointAddress.rfind(':');
    if (colon == std::string_view::npos || colon < kScheme.size()) return std::nullopt;
    const std::string_view digits = endpointAddress.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    if (port != 0) port += 2;  // port 0 asks for a free port: so does the monitor's
    if (port > 65535) return std::nullopt;
    return fmt::format("{}:{}", endpointAddress.substr(0, colon), port);
}

void overrideMonitorAddress(SchedulerConfig& config, std::string address) {
    config.monitor.address = std::move(address);
    config.monitor.enabled = true;
}

SchedulerConfig parseSchedulerConfig(const ConfigNode& root) {
    checkConfigRoot(root);
    const ConfigNode section = root["scheduler"];
    if (!section.isDefined()) throw root.error("missing the 'scheduler' section");
    section.allowOnly({"endpoints", "plugin_dir", "client_timeout_seconds",
                       "worker_timeout_seconds", "per_worker_queue_size", "protected",
                       "on_worker_death", "max_task_retries", "max_frame_bytes", "log_level",
                       "monitor", "unfetched_results_high_watermark_bytes",
                       "unfetched_results_low_watermark_bytes"});
    SchedulerConfig config;
    const auto endpoints = section["endpoints"].elements();
    if (endpoints.empty()) throw section.error("'endpoints' must list at least one endpoint");
    for (const auto& node : endpoints) config.endpoints.push_back(parseEndpointConfig(node));
    if (section.has("plugin_dir")) {
        config.pluginDir = resolveConfigPath(section, section["plugin_dir"].as<std::string>());
    }
    config.clientTimeout = seconds(section, "client_timeout_seconds", config.clientTimeout);
    config.workerTimeout = seconds(section, "worker_timeout_seconds", config.workerTimeout);
    config.perWorkerQueueSize =
        section.get<std::uint32_t>("per_worker_queue_size", config.perWorkerQueueSize);
    if (config.perWorkerQueueSize == 0)
        throw section["per_worker_queue_size"].error("must be at least 1");
    config.protectedMode = section.get<bool>("protected", config.protectedMode);
    const auto onDeath = section.get<std::string>("on_worker_death", "requeue");
    if (onDeath == "fail") {
        config.requeue.onWorkerDeath = RequeuePolicy::OnWorkerDeath::fail;
    } else if (onDeath != "requeue") {
        throw section["on_worker_death"].error("expected one of requeue, fail");
    }
    config.requeue.maxTaskRetries =
        section.get<std::uint32_t>("max_task_retries", config.requeue.maxTaskRetries);
    config.unfetchedResultsHighBytes = section.get<std::uint64_t>(
        "unfetched_results_high_watermark_bytes", config.unfetchedResultsHighBytes);
    config.unfetchedResultsLowBytes = section.get<std::uint64_t>(
        "unfetched_results_low_watermark_bytes", config.unfetchedResultsHighBytes / 4);
    if (config.unfetchedResultsLowBytes > config.unfetchedResultsHighBytes) {
        throw section["unfetched_results_low_watermark_bytes"].error(
            "must not exceed unfetched_results_high_watermark_bytes");
    }
    config.maxFrameBytes = section.get<std::uint64_t>("max_frame_bytes", config.maxFrameBytes);
    if (config.maxFrameBytes < 1024)
        throw section["max_frame_bytes"].error("must be at least 1024");
    config.logLevel = section.get<std::string>("log_level", config.logLevel);
    if (!isLogLevelName(config.logLevel)) {
        throw section["log_level"].error(
            "expected one of trace, debug, info, warn, error, critical, off");
    }
    config.monitor = parseMonitorConfig(section["monitor"], config.endpoints);
    return config;
}

}  // namespace plexus::detail
