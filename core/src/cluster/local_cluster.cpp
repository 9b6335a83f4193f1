#include "cluster/local_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "plexus/log.h"

namespace plexus::detail {

ClusterConfig parseClusterConfig(const ConfigNode& root) {
    ClusterConfig config;
    const ConfigNode section = root["cluster"];
    section.allowOnly({"workers"});
    config.workers = section.get<std::uint32_t>("workers", config.workers);
    if (!root.has("scheduler")) throw root.error("`plexus up` needs a 'scheduler' section");
    if (!root.has("worker") && config.workers > 0)
        throw root.error("`plexus up` needs a 'worker' section");
    return config;
}

LocalCluster::LocalCluster(std::filesystem::path plexusBinary, std::filesystem::path configFile,
                           std::uint32_t workers, std::string logLevel)
    : binary_(std::move(plexusBinary)),
      configFile_(std::move(configFile)),
      workerCount_(workers),
      logLevel_(std::move(logLevel)) {
    char pattern[] = "/tmp/plexus-up-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) runDir_ = pattern;
}

LocalCluster::~LocalCluster() {
    stop(std::chrono::seconds(5));
    std::error_code ec;
    if (!runDir_.empty()) std::filesystem::remove_all(runDir_, ec);
}

Result<std::string> LocalCluster::start() {
    if (runDir_.empty())
        return fail(ErrorKind::Io, "cannot create a temporary folder for the cluster");
    const auto addressFile = runDir_ / "scheduler.address";
    std::vector<std::string> argv{binary_.string(),     "scheduler",      "--config",
                                  configFile_.string(), "--address-file", addressFile.string()};
    if (!logLevel_.empty()) argv.insert(argv.end(), {"--log-level", logLevel_});
    scheduler_ = ChildProcess::spawn(argv);
    if (!scheduler_) return fail(ErrorKind::Io, fmt::format("cannot start {}", binary_.string()));

    // The scheduler writes its bound address once it listens (plugins loaded, port bound).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!std::filesystem::exists(addressFile)) {
        if (auto status = scheduler_->poll()) {
            return fail(ErrorKind::Io,
                        fmt::format("the scheduler {} before listening", describeExit(*status)));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return fail(ErrorKind::Timeout, "the scheduler did not start listening within 30 s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::ifstream in(addressFile);
    std::getline(in, address_);
    logger().info("local cluster: scheduler {} listening on {}", scheduler_->pid(), address_);

    for (std::uint32_t i = 0; i < workerCount_; ++i) {
        auto worker = spawnWorker(i);
        if (!worker) return fail(ErrorKind::Io, "cannot start a worker");
        workers_.push_back(std::move(worker));
    }
    return address_;
}

std::optional<ChildProcess> LocalCluster::spawnWorker(std::uint32_t index) {
    std::vector<std::string> argv{binary_.string(),      "worker", "--config", configFile_.string(),
                                  "--scheduler-address", address_};
    if (!logLevel_.empty()) argv.insert(argv.end(), {"--log-level", logLevel_});
    auto worker = ChildProcess::spawn(argv);
    if (worker) logger().info("local cluster: worker {} started (pid {})", index, worker->pid());
    return worker;
}

bool LocalCluster::supervise() {
    if (!scheduler_ || scheduler_->poll()) return false;
    for (std::uint32_t i = 0; i < workers_.size(); ++i) {
        auto& worker = workers_[i];
        if (worker) {
            auto status = worker->poll();
            if (!status) continue;
            logger().warn("local cluster: worker {} {}; restarting it", i, describeExit(*status));
        }
        worker = spawnWorker(i);
    }
    return true;
}

void LocalCluster::stop(std::chrono::milliseconds grace) {
    // Workers first, so they leave gracefully while the scheduler still listens.
    for (auto& worker : workers_) {
        if (worker) worker->signal(SIGTERM);
    }
    const auto deadline = std::chrono::steady_clock::now() + grace;
    auto remaining = [&deadline] {
        return std::max(std::chrono::milliseconds(0),
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now()));
    };
    for (auto& worker : workers_) {
        if (worker) worker->wait(remaining());
    }
    workers_.clear();  // the destructor kills whatever did not stop in time
    if (scheduler_) {
        scheduler_->signal(SIGTERM);
        scheduler_->wait(remaining());
        scheduler_.reset();
    }
}

}  // namespace plexus::detail
