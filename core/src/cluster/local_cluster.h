#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cluster/child_process.h"
#include "plexus/config.h"
#include "plexus/result.h"

namespace plexus::detail {

/// The `cluster:` section: how `plexus up` runs a cluster on one machine.
struct ClusterConfig {
    std::uint32_t workers = 2;
};
ClusterConfig parseClusterConfig(const ConfigNode& root);

/// A scheduler and N workers as child processes of this one, all from the same configuration
/// file and the same `plexus` executable. Workers are pointed at the address the scheduler
/// actually bound (the file may say port 0). A worker that dies is restarted (a local cluster
/// should keep its size); the scheduler is not: if it dies, the cluster is over.
/// Not thread-safe: one owner thread starts, supervises and stops it.
class LocalCluster {
  public:
    LocalCluster(std::filesystem::path plexusBinary, std::filesystem::path configFile,
                 std::uint32_t workers, std::string logLevel);
    ~LocalCluster();

    /// Starts the scheduler, waits until it listens, then starts the workers. Returns the
    /// scheduler's first bound address.
    Result<std::string> start();
    /// Restarts dead workers; returns false once the scheduler has exited.
    bool supervise();
    /// Asks every process to stop (SIGTERM), waits up to `grace`, then kills what is left.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

    const std::string& address() const { return address_; }

  private:
    std::optional<ChildProcess> spawnWorker(std::uint32_t index);

    std::filesystem::path binary_;
    std::filesystem::path configFile_;
    std::uint32_t workerCount_;
    std::string logLevel_;
    std::filesystem::path runDir_;
    std::string address_;
    std::optional<ChildProcess> scheduler_;
    std::vector<std::optional<ChildProcess>> workers_;
};

}  // namespace plexus::detail
