#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plexus/result.h"
#include "worker/host_channel.h"
#include "worker/worker_core.h"

namespace plexus::detail {

/// The command that starts a task process: `plexus task-host`. `plexus worker` gives
/// /proc/self/exe as the program, so a task process runs the very binary of its worker even if
/// the file was replaced on disk since.
struct TaskHostCommand {
    std::filesystem::path program;
    std::vector<std::string> argv;  ///< argv[0] included
};

/// How to start task processes, and what they load.
struct TaskProcessSettings {
    TaskHostCommand command;
    HostSetup setup;
};

/// A child process running `plexus task-host` for one executor (isolation: process), and the
/// worker's end of the channel to it.
///
/// Why spawn and exec rather than fork: the worker has an I/O thread, a loop thread and executor
/// threads, and a replacement for a crashed task process is needed long after they started. A
/// child forked from a multithreaded process may only call async-signal-safe functions before
/// exec (another thread may have held the allocator's or the logger's lock at the fork), and a
/// pre-forked zygote would have to load the task libraries (whose initialisers may start
/// threads) and still be forked from then on. posix_spawn (vfork-like, straight to exec) is
/// safe from any thread, gives the task process a fresh address space, and its cost (exec and
/// loading the libraries, tens of milliseconds) is paid at start and after a crash, not per task.
///
/// The child gets the channel as fd 3 (kHostChannelFd), /dev/null as stdin, the worker's stdout
/// and stderr, and no other descriptor (so it holds no socket of the worker's). It is in a
/// process group of its own (a terminal's Ctrl-C goes to the worker, which then stops it), and
/// asks for SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG): a worker killed
/// outright leaves no task process behind.
///
/// Signals go through a pidfd, so one aimed at a process that has already been reaped can never
/// hit an unrelated process that reused its pid.
///
/// Thread-safety: one thread at a time runs start(), run() and end(); kill() and shutdown() may
/// be called from any thread meanwhile. The thread that calls start() must outlive the process
/// (PR_SET_PDEATHSIG fires when that thread ends): TaskProcessPool starts them all on a thread
/// of its own.
class TaskProcess {
  public:
    /// Starts the process and sends it the setup; does not wait for it to be ready. Errors: Io
    /// (socketpair, spawn, pidfd_open: isolation needs Linux 5.3 or later).
    static Result<std::unique_ptr<TaskProcess>> start(const TaskProcessSettings& settings);
    /// Kills the process (SIGKILL) if it is still running, and reaps it.
    ~TaskProcess();
    TaskProcess(const TaskProcess&) = delete;
    TaskProcess& operator=(const TaskProcess&) = delete;

    /// Waits until the process has loaded its task libraries. Errors: Protocol (its setup
    /// failed: the message says why), Disconnected (it ended first).
    Result<void> awaitReady();

    /// What happened to one job.
    struct JobEnd {
        TaskOutcome outcome;  ///< what the function returned or threw, unless `broken`
        /// Set when this process can run nothing more: Disconnected (it ended, or closed its
        /// channel), or Protocol/Decode/TooLarge/Io (it broke the protocol). The caller end()s it.
        std::optional<Error> broken;
        bool delivered = true;  ///< false: the job never fully reached the process
    };
    /// Sends one job and waits for its outcome (awaiting readiness first if needed). A job whose
    /// arguments exceed max_frame_bytes fails without reaching the process (which stays usable).
    JobEnd run(const TaskJob& job);

    /// SIGKILL, now. Any thread.
    void kill() noexcept;
    /// Shuts the channel down: an idle process reads end-of-file and exits. Any thread.
    void shutdown() noexcept;
    /// True once the process has exited (it may not be reaped yet). Does not block.
    bool exited() const;
    /// Waits for the process to end, killing it if it has not ended after `grace`, and reaps it.
    /// Returns its wait status. Idempotent.
    int end(std::chrono::milliseconds grace);

    pid_t pid() const { return pid_; }

  private:
    TaskProcess(pid_t pid, int pidfd, int channelFd, std::size_t maxFrameBytes);
    bool waitExit(std::chrono::milliseconds timeout) const;

    pid_t pid_;
    int pidfd_;
    HostChannel channel_;
    bool ready_ = false;
    std::optional<int> status_;  // once reaped
};

/// "killed by signal 11 (SIGSEGV)", "exited with code 3".
std::string describeProcessEnd(int waitStatus);

}  // namespace plexus::detail
