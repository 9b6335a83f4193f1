// The `plexus` executable: one binary, one subcommand per role, each driven by a YAML file.

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "plexus/version.h"
#include "worker/task_host.h"

int main(int argc, char** argv) {
    CLI::App app{"plexus: a distributed task runtime that speaks Scaler's protocol"};
    app.set_version_flag("--version", std::string("plexus ") + PLEXUS_VERSION);
    app.require_subcommand(1);

    plexus::detail::SchedulerOptions scheduler;
    auto* schedulerCommand =
        app.add_subcommand("scheduler", "Run a scheduler from the 'scheduler' section of a config");
    schedulerCommand->add_option("-c,--config", scheduler.configFile, "YAML configuration file")
        ->required();
    schedulerCommand->add_option(
        "--address-file", scheduler.addressFile,
        "Write the bound addresses (one per line) to this file once listening");
    schedulerCommand->add_option("--log-level", scheduler.logLevel,
                                 "Override the configured log level");
    schedulerCommand->add_option(
        "--monitor-address", scheduler.monitorAddress,
        "Publish the monitor stream (for scaler_top) here instead of the configured address");

    plexus::detail::WorkerOptions worker;
    auto* workerCommand =
        app.add_subcommand("worker", "Run a worker from the 'worker' section of a config");
    workerCommand->add_option("-c,--config", worker.configFile, "YAML configuration file")
        ->required();
    workerCommand->add_option("--log-level", worker.logLevel, "Override the configured log level");
    workerCommand->add_option("--scheduler-address", worker.schedulerAddress,
                              "Connect to this address instead of the configured one");
    workerCommand->add_option("--name", worker.name,
                              "Name this worker (the first field of its identity) instead of "
                              "the configured name");

    // Started by a worker with isolation: process, one per executor; not for people (no group,
    // so --help does not list it).
    auto* taskHostCommand = app.add_subcommand("task-host", "A worker's task process")->group("");

    plexus::detail::ClusterOptions cluster;
    auto* upCommand = app.add_subcommand("up",
                                         "Run a scheduler and workers on this machine; with a "
                                         "command after --, run it against them and stop");
    upCommand->add_option("-c,--config", cluster.configFile, "YAML configuration file")->required();
    upCommand->add_option("-n,--workers", cluster.workers,
                          "Number of workers (overrides cluster.workers)");
    upCommand->add_option("--log-level", cluster.logLevel, "Log level for every process");
    upCommand->add_option("command", cluster.command,
                          "Command to run with PLEXUS_SCHEDULER_ADDRESS set (after --)");

    plexus::detail::PluginsOptions plugins;
    auto* pluginsCommand = app.add_subcommand("plugins", "List the plugins on the search path");
    pluginsCommand->add_option("--plugin-dir", plugins.pluginDir, "Search this folder first");

    CLI11_PARSE(app, argc, argv);

    if (schedulerCommand->parsed()) return plexus::detail::runScheduler(scheduler);
    if (workerCommand->parsed()) return plexus::detail::runWorker(worker);
    if (taskHostCommand->parsed()) return plexus::detail::runTaskHost();
    if (upCommand->parsed()) return plexus::detail::runCluster(cluster);
    if (pluginsCommand->parsed()) return plexus::detail::listPlugins(plugins);
    return EXIT_FAILURE;
}
