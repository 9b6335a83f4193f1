#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/signals.h"
#include "plexus/log.h"
#include "worker/worker.h"

namespace plexus::detail {

int runWorker(const WorkerOptions& options) {
    WorkerConfig config;
    try {
        std::optional<std::string> schedulerAddress;
        if (!options.schedulerAddress.empty()) schedulerAddress = options.schedulerAddress;
        config = parseWorkerConfig(loadConfigFile(options.configFile), schedulerAddress);
    } catch (const ConfigError& e) {
        logger().error("{}", e.what());
        return EXIT_FAILURE;
    }
    if (!options.name.empty()) {
        if (!isValidWorkerName(options.name)) {
            logger().error("--name '{}': {}", options.name, kWorkerNameRule);
            return EXIT_FAILURE;
        }
        config.name = options.name;
    }
    if (!setLogLevel(options.logLevel.empty() ? config.logLevel : options.logLevel)) {
        logger().error("unknown log level '{}'", options.logLevel);
        return EXIT_FAILURE;
    }

    // Task processes are this very binary (even if the file was replaced since) in its hidden
    // `task-host` mode; argv[0] is the real path, for ps.
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    TaskHostCommand taskHost{"/proc/self/exe", {ec ? "plexus" : self.string(), "task-host"}};

    // The worker starts no thread before start(), so the watcher, constructed first, blocks the
    // signals in every thread the worker creates.
    Worker worker(std::move(config), std::move(taskHost));
    SignalWatcher signals([&worker](int signal) {
        logger().info("signal {} received; leaving", signal);
        worker.leave();
    });
    auto started = worker.start();
    if (!started) {
        logger().error("{}", started.error().message);
        return EXIT_FAILURE;
    }
    const int exitCode = worker.run();
    if (worker.tasksStillRunning()) {
        // Task code cannot be interrupted, and the scheduler has re-queued those tasks already:
        // end the process rather than wait for them (destructors would join the executors).
        logger().warn("exiting with task code still running");
        logger().flush();
        std::_Exit(exitCode);
    }
    logger().info("worker stopped");
    return exitCode;
}

}  // namespace plexus::detail
