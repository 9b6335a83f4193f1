#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plexus/config.h"
#include "runtime/endpoint.h"

namespace plexus::detail {

/// Where task code runs.
enum class Isolation {
    /// On the worker's executor threads: fastest; a task that crashes takes the worker down.
    thread,
    /// Each executor runs its tasks in a task process of its own (`plexus task-host`): a task
    /// that crashes fails alone, and its process is replaced.
    process,
};

/// The `worker:` section of a configuration file. Defaults are Scaler 1.9.9's where it has one.
struct WorkerConfig {
    /// The scheduler to connect to (one endpoint: address, transport, codec and their options).
    EndpointConfig scheduler;
    std::optional<std::filesystem::path> pluginDir;
    /// Task libraries to load, resolved against the configuration file's folder, in file order.
    std::vector<std::filesystem::path> taskLibraries;
    /// Threads that run task functions. Defaults to the machine's hardware threads.
    std::uint32_t executors = 1;
    Isolation isolation = Isolation::thread;
    /// Heartbeats are ping-pong: the next one goes out at the first interval tick after the echo
    /// of the previous one (Scaler: 2 s).
    std::chrono::milliseconds heartbeatInterval{std::chrono::seconds(2)};
    /// With no echo for this long the worker gives up and exits non-zero (Scaler: 300 s).
    std::chrono::milliseconds deathTimeout{std::chrono::seconds(300)};
    /// Largest frame accepted from the scheduler; bounds the largest argument object (1 GiB).
    std::size_t maxFrameBytes = std::size_t{1} << 30;
    std::string logLevel = "info";
    /// Optional readable prefix of the worker's identity ("<name>|<pid>|Worker|<hex>").
    std::string name;
};

/// A worker name (config `name`, `plexus worker --name`) is non-empty printable ASCII without
/// spaces or '|' (it becomes the first field of the identity).
bool isValidWorkerName(std::string_view name);
inline constexpr std::string_view kWorkerNameRule =
    "must be non-empty printable ASCII without spaces or '|'";

/// Parses the `worker` section of `root` (after checking the root's sections). Relative paths
/// (plugin_dir, task_libraries) are resolved against the configuration file's folder. Throws
/// ConfigError naming file, line and key.
///
/// `schedulerAddress` (from `plexus worker --scheduler-address`, as the local cluster starts its
/// workers) replaces the configured address; with it, the `scheduler` key may be left out (the
/// endpoint then uses the tcp transport and capnp codec, parseEndpointConfig's defaults).
WorkerConfig parseWorkerConfig(const ConfigNode& root,
                               const std::optional<std::string>& schedulerAddress = {});

}  // namespace plexus::detail
