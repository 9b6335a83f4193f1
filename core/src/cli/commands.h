#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plexus::detail {

struct SchedulerOptions {
    std::string configFile;
    std::string addressFile;
    std::string logLevel;
    std::string monitorAddress;  ///< replaces scheduler.monitor.address when not empty
};
/// `plexus scheduler`: returns the process exit code.
int runScheduler(const SchedulerOptions& options);

struct WorkerOptions {
    std::string configFile;
    std::string logLevel;
    std::string schedulerAddress;  ///< replaces worker.scheduler.address when not empty
    std::string name;              ///< replaces worker.name when not empty
};
/// `plexus worker`: returns the process exit code.
int runWorker(const WorkerOptions& options);

struct ClusterOptions {
    std::string configFile;
    std::optional<std::uint32_t> workers;  ///< replaces cluster.workers when given
    std::string logLevel;
    std::vector<std::string> command;  ///< run against the cluster, then stop it
};
/// `plexus up`: returns the command's exit code, or the cluster's.
int runCluster(const ClusterOptions& options);

struct PluginsOptions {
    std::string pluginDir;
};
/// `plexus plugins`: returns the process exit code.
int listPlugins(const PluginsOptions& options);

}  // namespace plexus::detail
