#include "scheduler/scheduler_config.h"

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

EndpointConfig parseEndpointConfig(const ConfigNode& node) {
    node.allowOnly({"address", "transport", "codec", "transport_options", "codec_options"});
    EndpointConfig endpoint;
    endpoint.node = node;
    endpoint.address = node.require<std::string>("address");
    endpoint.transport = node.get<std::string>("transport", "tcp");
    endpoint.codec = node.get<std::string>("codec", "capnp");
    endpoint.transportOptions = node["transport_options"];
    endpoint.codecOptions = node["codec_options"];
    endpoint.transportOptions.expectMap();
    endpoint.codecOptions.expectMap();
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

}  // namespace

SchedulerConfig parseSchedulerConfig(const ConfigNode& root) {
    checkConfigRoot(root);
    const ConfigNode section = root["scheduler"];
    if (!section.isDefined()) throw root.error("missing the 'scheduler' section");
    section.allowOnly({"endpoints", "plugin_dir", "client_timeout_seconds",
                       "worker_timeout_seconds", "per_worker_queue_size", "protected",
                       "max_frame_bytes", "log_level"});
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
    config.maxFrameBytes = section.get<std::uint64_t>("max_frame_bytes", config.maxFrameBytes);
    if (config.maxFrameBytes < 1024)
        throw section["max_frame_bytes"].error("must be at least 1024");
    config.logLevel = section.get<std::string>("log_level", config.logLevel);
    if (!isLogLevelName(config.logLevel)) {
        throw section["log_level"].error(
            "expected one of trace, debug, info, warn, error, critical, off");
    }
    return config;
}

}  // namespace plexus::detail
