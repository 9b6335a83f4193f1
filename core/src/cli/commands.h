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

struct PluginsOptions {
    std::string pluginDir;
};
/// `plexus plugins`: returns the process exit code.
int listPlugins(const PluginsOptions& options);

}  // namespace plexus::detail
