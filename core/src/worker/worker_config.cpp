#include "worker/worker_config.h"

#include <algorithm>
#include <thread>

#include "plexus/log.h"
#include "scheduler/scheduler_config.h"

namespace plexus::detail {

namespace {

std::chrono::milliseconds seconds(const ConfigNode& section, std::string_view key,
                                  std::chrono::milliseconds fallback) {
    if (!section.has(key)) return fallback;
    const double value = section[key].as<double>();
    if (!(value > 0)) throw section[key].error("must be a positive number of seconds");
    return std::chrono::milliseconds(
        std::max<std::int64_t>(1, static_cast<std::int64_t>(value * 1000)));
}

}  // namespace

bool isValidWorkerName(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(),
                                        [](char c) { return c > 0x20 && c < 0x7f && c != '|'; });
}

WorkerConfig parseWorkerConfig(const ConfigNode& root,
                               const std::optional<std::string>& schedulerAddress) {
    checkConfigRoot(root);
    const ConfigNode section = root["worker"];
    if (!section.isDefined()) throw root.error("missing the 'worker' section");
    section.allowOnly({"scheduler", "plugin_dir", "task_libraries", "executors", "isolation",
                       "heartbeat_interval_seconds", "death_timeout_seconds", "max_frame_bytes",
                       "log_level", "name"});
    WorkerConfig config;
    if (section.has("scheduler")) {
        const ConfigNode scheduler = section["scheduler"];
        if (!scheduler.isMap())
            throw scheduler.error("expected a map with address, transport and codec");
        config.scheduler = parseEndpointConfig(scheduler);
        if (schedulerAddress) config.scheduler.address = *schedulerAddress;
    } else if (schedulerAddress) {
        config.scheduler.address = *schedulerAddress;
        config.scheduler.transport = "tcp";
        config.scheduler.codec = "capnp";
        config.scheduler.node = section;
    } else {
        throw section.error("missing 'scheduler' (the endpoint to connect to)");
    }
    if (section.has("plugin_dir")) {
        config.pluginDir = resolveConfigPath(section, section["plugin_dir"].as<std::string>());
    }
    const ConfigNode libraries = section["task_libraries"];
    for (const auto& library : libraries.elements()) {
        const auto path = library.as<std::string>();
        if (path.empty()) throw library.error("must not be empty");
        config.taskLibraries.push_back(resolveConfigPath(library, path));
    }
    if (config.taskLibraries.empty())
        throw section.error("'task_libraries' must list at least one task library");

    config.executors = std::max(1u, std::thread::hardware_concurrency());
    config.executors = section.get<std::uint32_t>("executors", config.executors);
    if (config.executors == 0) throw section["executors"].error("must be at least 1");
    const auto isolation = section.get<std::string>("isolation", "thread");
    if (isolation == "process") {
        config.isolation = Isolation::process;
    } else if (isolation != "thread") {
        throw section["isolation"].error("expected thread or process");
    }
    config.heartbeatInterval =
        seconds(section, "heartbeat_interval_seconds", config.heartbeatInterval);
    config.deathTimeout = seconds(section, "death_timeout_seconds", config.deathTimeout);
    if (config.deathTimeout <= config.heartbeatInterval) {
        throw section["death_timeout_seconds"].error(
            "must be longer than heartbeat_interval_seconds");
    }
    config.maxFrameBytes = section.get<std::uint64_t>("max_frame_bytes", config.maxFrameBytes);
    if (config.maxFrameBytes < 1024)
        throw section["max_frame_bytes"].error("must be at least 1024");
    config.logLevel = section.get<std::string>("log_level", config.logLevel);
    if (!isLogLevelName(config.logLevel)) {
        throw section["log_level"].error(
            "expected one of trace, debug, info, warn, error, critical, off");
    }
    config.name = section.get<std::string>("name", config.name);
    if (section.has("name") && !isValidWorkerName(config.name)) {
        throw section["name"].error(kWorkerNameRule);
    }
    return config;
}

}  // namespace plexus::detail
