#include "worker/task_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <system_error>

#include <fmt/format.h>

extern char** environ;

// Linux 5.1+ gave new system calls the same number on every architecture; older C library
// headers may not name them yet.
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace plexus::detail {

namespace {

Error osError(std::string_view what, int error) {
    return Error{ErrorKind::Io, fmt::format("{}: {}", what, std::system_category().message(error))};
}

// posix_spawn with the channel as fd 3, /dev/null as stdin, nothing else inherited, every signal
// at its default and unblocked (the worker blocks SIGINT/SIGTERM for its signal thread), in a
// process group of its own.
Result<pid_t> spawn(const TaskProcessSettings& settings, int childEnd) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, childEnd, kHostChannelFd);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
    posix_spawn_file_actions_addclosefrom_np(&actions, kHostChannelFd + 1);
#endif  // and the task process closes them itself first thing, whatever the C library

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

    std::vector<char*> argv;
    for (const auto& arg : settings.command.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, settings.command.program.c_str(), &actions, &attributes,
                               argv.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        return tl::unexpected(osError("cannot start " + settings.command.program.string(), rc));
    return pid;
}

}  // namespace

Result<std::unique_ptr<TaskProcess>> TaskProcess::start(const TaskProcessSettings& settings) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return tl::unexpected(osError("socketpair", errno));
    }
    const int workerEnd = fds[0];
    int childEnd = fds[1];
    // The child's end must not already be fd 3: dup2(3, 3) would leave it close-on-exec.
    if (childEnd == kHostChannelFd) {
        const int moved = ::fcntl(childEnd, F_DUPFD_CLOEXEC, kHostChannelFd + 1);
        const int error = errno;
        ::close(childEnd);
        if (moved < 0) {
            ::close(workerEnd);
            return tl::unexpected(osError("fcntl", error));
        }
        childEnd = moved;
    }
    auto pid = spawn(settings, childEnd);
    ::close(childEnd);
    if (!pid) {
        ::close(workerEnd);
        return tl::unexpected(pid.error());
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0));  // close-on-exec
    if (pidfd < 0) {
        const int error = errno;
        ::kill(*pid, SIGKILL);
        int status = 0;
        ::waitpid(*pid, &status, 0);
        ::close(workerEnd);
        return tl::unexpected(
            osError("pidfd_open (isolation: process needs Linux 5.3 or later)", error));
    }
    std::unique_ptr<TaskProcess> process(
        new TaskProcess(*pid, pidfd, workerEnd, settings.setup.maxFrameBytes));
    const std::string setup = encodeSetup(settings.setup);
    const std::string_view parts[] = {setup};
    if (auto sent = process->channel_.send(HostFrame::setup, parts); !sent) {
        return tl::unexpected(sent.error());  // the destructor kills and reaps it
    }
    return process;
}

TaskProcess::TaskProcess(pid_t pid, int pidfd, int channelFd, std::size_t maxFrameBytes)
    : pid_(pid), pidfd_(pidfd), channel_(channelFd, maxFrameBytes, pidfd) {}

TaskProcess::~TaskProcess() {
    end(std::chrono::milliseconds(0));
    ::close(pidfd_);
}

Result<void> TaskProcess::awaitReady() {
    if (ready_) return {};
    static constexpr HostFrame kAnswers[] = {HostFrame::ready, HostFrame::setupFailed};
    auto answer = channel_.receiveSmall(kAnswers);
    if (!answer) return tl::unexpected(answer.error());
    if (answer->first == HostFrame::setupFailed) {
        return fail(ErrorKind::Protocol, "could not start: " + answer->second);
    }
    ready_ = true;
    return {};
}

TaskProcess::JobEnd TaskProcess::run(const TaskJob& job) {
    JobEnd end;
    if (auto ready = awaitReady(); !ready) {
        end.broken = ready.error();
        end.delivered = false;
        return end;
    }
    const std::string prefix = encodeJobPrefix(job.functionName, job.arguments);
    std::vector<std::string_view> parts;
    parts.reserve(job.arguments.size() + 1);
    parts.push_back(prefix);
    for (const auto& argument : job.arguments) parts.push_back(argument.view());
    if (auto sent = channel_.send(HostFrame::job, parts); !sent) {
        if (sent.error().kind == ErrorKind::TooLarge) {  // refused before sending anything
            end.outcome =
                TaskOutcome{false, "the task's arguments cannot reach its task process: " +
                                       sent.error().message};
            return end;
        }
        end.broken = sent.error();
        end.delivered = false;
        return end;
    }
    auto header = channel_.receiveHeader();
    if (header && header->type != HostFrame::result && header->type != HostFrame::error) {
        header = fail(ErrorKind::Protocol, fmt::format("sent frame type {} instead of an outcome",
                                                       static_cast<int>(header->type)));
    }
    if (!header) {
        end.broken = header.error();
        return end;
    }
    std::string bytes;
    try {
        bytes.resize(header->bodyBytes);
    } catch (const std::bad_alloc&) {
        end.broken =
            Error{ErrorKind::TooLarge,
                  fmt::format("answered with {} bytes, more than the worker could allocate",
                              header->bodyBytes)};
        return end;
    }
    if (auto read = channel_.receiveBody(bytes.data(), bytes.size()); !read) {
        end.broken = read.error();
        return end;
    }
    end.outcome = TaskOutcome{header->type == HostFrame::result, std::move(bytes)};
    return end;
}

void TaskProcess::kill() noexcept {
    ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
}

void TaskProcess::shutdown() noexcept {
    channel_.shutdown();
}

bool TaskProcess::waitExit(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        pollfd fd{pidfd_, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const int ready = ::poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
        if (ready > 0) return true;
        if (ready == 0) return false;
        if (errno != EINTR) return false;
    }
}

bool TaskProcess::exited() const {
    return status_.has_value() || waitExit(std::chrono::milliseconds(0));
}

int TaskProcess::end(std::chrono::milliseconds grace) {
    if (status_) return *status_;
    if (!waitExit(grace)) kill();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
    return status;
}

std::string describeProcessEnd(int waitStatus) {
    if (WIFSIGNALED(waitStatus)) {
        const int signal = WTERMSIG(waitStatus);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 32)
        const char* abbreviation = sigabbrev_np(signal);
        const std::string name = abbreviation != nullptr ? fmt::format("SIG{}", abbreviation)
                                                         : std::string(strsignal(signal));
#else
        const std::string name = strsignal(signal);
#endif
        return fmt::format("killed by signal {} ({}){}", signal, name,
                           WCOREDUMP(waitStatus) ? ", core dumped" : "");
    }
    if (WIFEXITED(waitStatus)) return fmt::format("exited with code {}", WEXITSTATUS(waitStatus));
    return fmt::format("ended (wait status {})", waitStatus);
}

}  // namespace plexus::detail
