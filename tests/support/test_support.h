#pragma once

// Helpers shared by plexus's test suites: where the built plugins and binaries are, waiting on a
// condition with a deadline (never a blind sleep), and child processes for end-to-end tests.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plexus/plugin_registry.h"

namespace plexus::test {

/// The value of `result`, or a std::runtime_error with its error's description: for test
/// fixtures whose setup cannot go on without it.
template <class T>
T orThrow(Result<T> result) {
    if (!result) throw std::runtime_error(result.error().describe());
    return std::move(*result);
}

/// The build tree's plugin folder (where plexus_add_plugin puts every plugin).
std::filesystem::path buildPluginDir();
/// The source tree's root (for config/ examples) and the build tree's root (for binaries).
std::filesystem::path sourceDir();
std::filesystem::path binaryDir();
/// The built `plexus` executable.
std::filesystem::path plexusBinary();

/// A registry that searches only the build tree's plugin folder.
std::unique_ptr<PluginRegistry> makeBuildRegistry();

/// Polls `condition` until it holds or `timeout` passes; returns the last value of `condition`.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A child process with its stdout and stderr captured to a file. Killed (SIGKILL) and reaped
/// on destruction if still running.
class ChildProcess {
  public:
    ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                 const std::vector<std::string>& extraEnv = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    /// Everything the child wrote to stdout and stderr so far.
    std::string output() const;
    /// Sends `signal` (e.g. SIGTERM) without waiting.
    void signal(int signal);
    /// Waits up to `timeout` for the child to exit; returns its exit status as from waitpid(), or
    /// -1 on timeout.
    int waitExit(std::chrono::milliseconds timeout);
    bool running();

  private:
    pid_t pid_ = -1;
    std::filesystem::path outputFile_;
    int status_ = -1;
};

/// A process as /proc/<pid>/stat shows it: its state letter (R running, S sleeping, Z zombie,
/// ...) and its parent.
struct ProcessStatus {
    pid_t pid = -1;
    char state = '?';
    pid_t parent = -1;
};
/// The status of `pid`, or nothing if there is no such process (not even a zombie).
std::optional<ProcessStatus> processStatus(pid_t pid);
/// Every process whose parent is `parent` (zombies included), from /proc.
std::vector<ProcessStatus> childrenOf(pid_t parent);
/// The pids of those that are not zombies.
std::vector<pid_t> liveChildrenOf(pid_t parent);

/// A file in a fresh temporary folder, removed with the folder at destruction.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path write(const std::string& name, const std::string& content) const;

  private:
    std::filesystem::path path_;
};

}  // namespace plexus::test
