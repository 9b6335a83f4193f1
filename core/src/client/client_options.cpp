#include "plexus/client.h"
#include "scheduler/scheduler_config.h"

namespace plexus {
namespace {

std::chrono::milliseconds seconds(const ConfigNode& section, std::string_view key,
                                  std::chrono::milliseconds fallback) {
    if (!section.has(key)) return fallback;
    const double value = section[key].as<double>();
    // At least a millisecond: the client's timers work in milliseconds.
    if (!(value >= 0.001)) throw section[key].error("must be a number of seconds, at least 0.001");
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * 1000));
}

}  // namespace

ClientOptions ClientOptions::fromConfig(const ConfigNode& root) {
    detail::checkConfigRoot(root);
    const ConfigNode section = root["client"];
    if (!section.isDefined()) throw root.error("missing the 'client' section");
    section.allowOnly({"scheduler", "plugin_dir", "heartbeat_interval_seconds", "timeout_seconds",
                       "max_frame_bytes"});
    const ConfigNode schedulerNode = section["scheduler"];
    if (!schedulerNode.isDefined())
        throw section.error("missing 'scheduler' (the scheduler's endpoint)");
    const detail::EndpointConfig endpoint = detail::parseEndpointConfig(schedulerNode);

    ClientOptions options;
    options.address = endpoint.address;
    options.transport = endpoint.transport;
    options.codec = endpoint.codec;
    options.transportOptions = endpoint.transportOptions;
    options.codecOptions = endpoint.codecOptions;
    options.endpointNode = endpoint.node;
    if (section.has("plugin_dir")) {
        options.pluginDir =
            detail::resolveConfigPath(section, section["plugin_dir"].as<std::string>());
    }
    options.heartbeatInterval =
        seconds(section, "heartbeat_interval_seconds", options.heartbeatInterval);
    options.timeout = seconds(section, "timeout_seconds", options.timeout);
    if (options.timeout <= options.heartbeatInterval) {
        throw section[section.has("timeout_seconds") ? "timeout_seconds"
                                                     : "heartbeat_interval_seconds"]
            .error("timeout_seconds must be longer than heartbeat_interval_seconds");
    }
    options.maxFrameBytes = section.get<std::uint64_t>("max_frame_bytes", options.maxFrameBytes);
    if (options.maxFrameBytes < 1024)
        throw section["max_frame_bytes"].error("must be at least 1024");
    return options;
}

}  // namespace plexus
