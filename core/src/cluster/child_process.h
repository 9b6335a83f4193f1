#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace plexus::detail {

/// A child process started with posix_spawn, inheriting stdout/stderr. The destructor kills
/// (SIGKILL) and reaps it if it is still running, so no child outlives its owner by accident.
/// Not thread-safe; one owner.
class ChildProcess {
  public:
    /// Starts `argv[0]` with `argv`, adding `extraEnv` ("NAME=value") to this process's
    /// environment.
    static std::optional<ChildProcess> spawn(const std::vector<std::string>& argv,
                                             const std::vector<std::string>& extraEnv = {});
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    void signal(int signal) const;
    /// The exit status (as from waitpid) if the child has exited; does not block.
    std::optional<int> poll();
    /// Waits up to `timeout` for the child to exit; returns its status, or nothing on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

  private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_ = -1;
    std::optional<int> status_;
};

/// Describes a waitpid status for humans: "exited with 3", "killed by signal 9".
std::string describeExit(int status);

}  // namespace plexus::detail
