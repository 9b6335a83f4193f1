#pragma once

#include <string>

namespace plexus::detail {

struct SchedulerOptions {
    std::string configFile;
    std::string addressFile;
    std::string logLevel;
};
/// `plexus scheduler`: returns the process exit code.
int runScheduler(const SchedulerOptions& options);

struct WorkerOptions {
    std::string configFile;
    std::string logLevel;
    std::string schedulerAddress;  ///< replaces worker.scheduler.address when not empty
};
/// `plexus worker`: returns the process exit code.
int runWorker(const WorkerOptions& options);

struct PluginsOptions {
    std::string pluginDir;
};
/// `plexus plugins`: returns the process exit code.
int listPlugins(const PluginsOptions& options);

}  // namespace plexus::detail
