#pragma once

// Real clusters on loopback for end-to-end tests: a scheduler (a `plexus scheduler` process, or
// the Scheduler class on a thread of the test when the test must look inside it) and N
// `plexus worker` processes loading the e2e task library.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "plexus/client.h"
#include "scheduler/scheduler.h"
#include "support/scheduler_process.h"
#include "support/test_support.h"

namespace plexus::test {

/// A scheduler run in this process on its own thread, with the real plugins and transports.
class InProcessScheduler {
  public:
    /// `extraConfig` is appended to the `scheduler:` section (indented by two spaces).
    explicit InProcessScheduler(const std::string& extraConfig = "");
    ~InProcessScheduler();
    const std::string& address() const { return address_; }
    detail::SchedulerSnapshot snapshot() { return scheduler_->snapshot(); }

  private:
    std::unique_ptr<detail::Scheduler> scheduler_;
    std::string address_;
    std::thread thread_;
};

/// N `plexus worker` processes pointed at `address` over `transport` and `codec`, each with
/// `executors` threads, heartbeating every 0.5 s. `extraConfig` is appended to the `worker:`
/// section (indent it by two spaces).
class WorkerProcesses {
  public:
    WorkerProcesses(const std::string& address, int count, int executors = 2,
                    const std::string& transport = "tcp", const std::string& codec = "capnp",
                    const std::string& extraConfig = "");
    std::size_t size() const { return workers_.size(); }
    ChildProcess& at(std::size_t i) { return *workers_.at(i); }
    /// Starts one more worker like the others; returns it.
    ChildProcess& add();
    std::string output(std::size_t i) const { return workers_.at(i)->output(); }

  private:
    TempDir dir_;
    std::filesystem::path config_;
    std::vector<std::unique_ptr<ChildProcess>> workers_;
};

/// Submits 0..n-1 to e2e.square through map() and checks every result.
void runSquares(Client& client, std::int64_t n);

/// A connected client, or a test failure explaining why not.
std::unique_ptr<Client> connectClient(const std::string& address,
                                      const std::string& transport = "tcp",
                                      const std::string& codec = "capnp");

}  // namespace plexus::test
