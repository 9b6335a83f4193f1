#include "e2e/cluster_fixture.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace plexus::test {

InProcessScheduler::InProcessScheduler(const std::string& extraConfig) {
    const std::string text =
        "scheduler:\n"
        "  endpoints:\n"
        "    - address: tcp://127.0.0.1:0\n"
        "  plugin_dir: " +
        buildPluginDir().string() + "\n" + extraConfig;
    scheduler_ = std::make_unique<detail::Scheduler>(
        detail::parseSchedulerConfig(parseConfigText(text, "in-process-scheduler.yaml")));
    auto bound = scheduler_->start();
    if (!bound) throw std::runtime_error(bound.error().describe());
    address_ = bound->front();
    thread_ = std::thread([this] { scheduler_->run(); });
}

InProcessScheduler::~InProcessScheduler() {
    scheduler_->stop();
    thread_.join();
}

WorkerProcesses::WorkerProcesses(const std::string& address, int count, int executors,
                                 const std::string& transport, const std::string& codec,
                                 const std::string& extraConfig) {
    config_ = dir_.write("worker.yaml",
                         "worker:\n"
                         "  scheduler: {address: '" +
                             address + "', transport: " + transport + ", codec: " + codec +
                             "}\n"
                             "  task_libraries: [" +
                             std::string(PLEXUS_E2E_TASKS) +
                             "]\n"
                             "  executors: " +
                             std::to_string(executors) +
                             "\n"
                             "  heartbeat_interval_seconds: 0.5\n"
                             "  log_level: warn\n" +
                             extraConfig);
    for (int i = 0; i < count; ++i) add();
}

ChildProcess& WorkerProcesses::add() {
    workers_.push_back(std::make_unique<ChildProcess>(
        plexusBinary(), std::vector<std::string>{"worker", "--config", config_.string()}));
    return *workers_.back();
}

void runSquares(Client& client, std::int64_t n) {
    std::vector<std::int64_t> inputs(n);
    for (std::int64_t i = 0; i < n; ++i) inputs[i] = i;
    auto futures = client.map("e2e.square", inputs);
    ASSERT_EQ(futures.size(), static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        ASSERT_TRUE(futures[i].waitFor(std::chrono::seconds(120)))
            << "task " << i << " did not finish";
        ASSERT_EQ(futures[i].get<std::int64_t>(), i * i) << "task " << i;
    }
}

std::unique_ptr<Client> connectClient(const std::string& address, const std::string& transport,
                                      const std::string& codec) {
    ClientOptions options;
    options.address = address;
    options.transport = transport;
    options.codec = codec;
    auto client = Client::connect(options);
    if (!client) {
        ADD_FAILURE() << "cannot connect: " << client.error().describe();
        return nullptr;
    }
    return std::move(*client);
}

}  // namespace plexus::test
