// `plexus up`: a whole cluster on this machine from one configuration file, optionally running a
// command against it and tearing it down when the command ends.

#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "cli/commands.h"
#include "cli/signals.h"
#include "cluster/local_cluster.h"
#include "plexus/log.h"
#include "scheduler/scheduler_config.h"

namespace plexus::detail {

namespace {

std::filesystem::path selfExecutable() {
    return std::filesystem::read_symlink("/proc/self/exe");
}

}  // namespace

int runCluster(const ClusterOptions& options) {
    ClusterConfig config;
    try {
        const ConfigNode root = loadConfigFile(options.configFile);
        checkConfigRoot(root);
        parseSchedulerConfig(root);  // fail here, with file/line/key, rather than in a child
        config = parseClusterConfig(root);
    } catch (const ConfigError& e) {
        logger().error("{}", e.what());
        return EXIT_FAILURE;
    }
    if (options.workers) config.workers = *options.workers;
    if (!options.logLevel.empty()) setLogLevel(options.logLevel);

    std::mutex mutex;
    std::condition_variable wake;
    std::atomic<bool> stopRequested{false};
    SignalWatcher signals([&](int signal) {
        logger().info("signal {} received; stopping the cluster", signal);
        stopRequested = true;
        wake.notify_all();
    });

    LocalCluster cluster(selfExecutable(), options.configFile, config.workers, options.logLevel);
    auto address = cluster.start();
    if (!address) {
        logger().error("{}", address.error().message);
        return EXIT_FAILURE;
    }

    std::optional<ChildProcess> command;
    if (!options.command.empty()) {
        command = ChildProcess::spawn(options.command, {"PLEXUS_SCHEDULER_ADDRESS=" + *address});
        if (!command) {
            logger().error("cannot start {}", options.command.front());
            return EXIT_FAILURE;
        }
    } else {
        logger().info("local cluster up: scheduler at {} with {} worker(s); Ctrl-C stops it",
                      *address, config.workers);
    }

    int exitCode = EXIT_SUCCESS;
    while (!stopRequested) {
        if (!cluster.supervise()) {
            logger().error("the scheduler exited; stopping the cluster");
            exitCode = command ? EXIT_FAILURE : EXIT_SUCCESS;
            break;
        }
        if (command) {
            if (auto status = command->poll()) {
                exitCode = WIFEXITED(*status) ? WEXITSTATUS(*status) : EXIT_FAILURE;
                if (exitCode != 0)
                    logger().warn("{} {}", options.command.front(), describeExit(*status));
                break;
            }
        }
        std::unique_lock lock(mutex);
        wake.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (command && !command->poll()) command->signal(SIGTERM);
    cluster.stop();
    return exitCode;
}

}  // namespace plexus::detail
