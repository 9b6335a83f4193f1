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
#include "scheduler/requeue_policy.h"

namespace plexus::detail {

/// The `scheduler.monitor` section: where the scheduler publishes Scaler's monitor stream
/// (StateScheduler, StateWorker, StateTask), which `scaler_top` and `scaler_ui` read.
struct MonitorConfig {
    bool enabled = false;
    /// Where to publish. Default (Scaler's): the first zmq endpoint's host with its port + 2, or
    /// port 0 (a free one) when that endpoint's port is 0; empty when there is no zmq endpoint.
    std::string address;
    std::string transport = "zmq";  ///< must offer a publishing pattern (zmq: `pattern: pub`)
    std::string codec = "capnp";    ///< Scaler's monitors read Cap'n Proto
    /// Between two StateScheduler messages (Scaler: 1 s; scaler_top redraws on each).
    std::chrono::milliseconds interval{std::chrono::seconds(1)};
    ConfigNode node;  ///< the section (absent if not written), for error messages
};

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
    /// The tasks of a worker that died: on_worker_death and max_task_retries.
    RequeuePolicy requeue;
    /// A client's queued tasks wait (are not given to workers) while the result objects the
    /// scheduler told it about and it has not fetched (nor deleted) reach the high mark, until
    /// they fall to the low one; 0 turns this off. The same marks as a link's send queue: what a
    /// client leaves unread at the scheduler costs memory whether it waits in its link or in the
    /// object store.
    std::size_t unfetchedResultsHighBytes = std::size_t{64} << 20;
    std::size_t unfetchedResultsLowBytes = std::size_t{16} << 20;
    /// Largest frame any endpoint accepts. Scaler 1.9.9 carries whole objects in one message, so
    /// this bounds the largest object a client can send; 1 GiB by default.
    std::size_t maxFrameBytes = std::size_t{1} << 30;
    std::string logLevel = "info";
    MonitorConfig monitor;
};

/// Parses the `scheduler` section of `root`. Relative paths (plugin_dir) are resolved against the
/// configuration file's folder. Throws ConfigError naming file, line and key.
SchedulerConfig parseSchedulerConfig(const ConfigNode& root);

/// Scaler's default monitor address for a scheduler bound at `endpointAddress`
/// ("tcp://HOST:PORT"): the same host with PORT + 2, or port 0 if PORT is 0. Nothing if the
/// address is not of that form or PORT + 2 is not a port.
std::optional<std::string> defaultMonitorAddress(std::string_view endpointAddress);

/// Publishes the monitor stream at `address` whatever the file says (`--monitor-address`).
void overrideMonitorAddress(SchedulerConfig& config, std::string address);

/// Parses one endpoint entry ({address, transport, codec, transport_options, codec_options}).
EndpointConfig parseEndpointConfig(const ConfigNode& node);

/// Checks the top level of a configuration file: only known role sections.
void checkConfigRoot(const ConfigNode& root);

/// Resolves `path` against the folder of the configuration file `node` came from.
std::filesystem::path resolveConfigPath(const ConfigNode& node, const std::string& path);

}  // namespace plexus::detail
