#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "plexus/config.h"
#include "runtime/endpoint.h"

namespace plexus::detail {

/// The `scheduler:` section of a configuration file. Defaults are Scaler 1.9.9's.
struct SchedulerConfig {
    std::vector<EndpointConfig> endpoints;
    std::optional<std::filesystem::path> pluginDir;
    /// A client or worker silent this long is gone (Scaler: 60 s both).
    std::chrono::milliseconds clientTimeout{std::chrono::seconds(60)};
    std::chrono::milliseconds workerTimeout{std::chrono::seconds(60)};
    /// Tasks one worker may hold at once (Scaler's per_worker_queue_size).
    std::uint32_t perWorkerQueueSize = 1000;
    /// Refuse ClientDisconnect(shutdown) from clients.
    bool protectedMode = false;
    /// Largest frame any endpoint accepts. Scaler 1.9.9 carries whole objects in one message, so
    /// this bounds the largest object a client can send; 1 GiB by default.
    std::size_t maxFrameBytes = std::size_t{1} << 30;
    std::string logLevel = "info";
};

/// Parses the `scheduler` section of `root`. Relative paths (plugin_dir) are resolved against the
/// configuration file's folder. Throws ConfigError naming file, line and key.
SchedulerConfig parseSchedulerConfig(const ConfigNode& root);

/// Parses one endpoint entry ({address, transport, codec, transport_options, codec_options}).
EndpointConfig parseEndpointConfig(const ConfigNode& node);

/// Checks the top level of a configuration file: only known role sections.
void checkConfigRoot(const ConfigNode& root);

/// Resolves `path` against the folder of the configuration file `node` came from.
std::filesystem::path resolveConfigPath(const ConfigNode& node, const std::string& path);

}  // namespace plexus::detail
