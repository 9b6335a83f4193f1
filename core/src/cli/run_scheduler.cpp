#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "cli/signals.h"
#include "plexus/log.h"
#include "scheduler/scheduler.h"

namespace plexus::detail {

namespace {

// Written to a temporary name and renamed, so a reader never sees a partial file.
bool writeAddressFile(const std::string& file, const std::vector<std::string>& addresses) {
    const std::string temporary = file + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        for (const auto& address : addresses) out << address << '\n';
        if (!out) return false;
    }
    std::error_code ec;
    std::filesystem::rename(temporary, file, ec);
    return !ec;
}

}  // namespace

int runScheduler(const SchedulerOptions& options) {
    SchedulerConfig config;
    try {
        config = parseSchedulerConfig(loadConfigFile(options.configFile));
    } catch (const ConfigError& e) {
        logger().error("{}", e.what());
        return EXIT_FAILURE;
    }
    setLogLevel(options.logLevel.empty() ? config.logLevel : options.logLevel);
    if (!options.monitorAddress.empty()) overrideMonitorAddress(config, options.monitorAddress);

    Scheduler scheduler(std::move(config));
    SignalWatcher signals([&scheduler](int signal) {
        logger().info("signal {} received; stopping", signal);
        scheduler.stop();
    });
    auto bound = scheduler.start();
    if (!bound) {
        logger().error("{}", bound.error().message);
        return EXIT_FAILURE;
    }
    if (!options.addressFile.empty() && !writeAddressFile(options.addressFile, *bound)) {
        logger().error("cannot write the address file {}", options.addressFile);
        return EXIT_FAILURE;
    }
    scheduler.run();
    logger().info("scheduler stopped");
    return EXIT_SUCCESS;
}

}  // namespace plexus::detail
