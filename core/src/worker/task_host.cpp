#include "worker/task_host.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "plexus/log.h"
#include "worker/host_channel.h"
#include "worker/task_libraries.h"
#include "worker/worker_core.h"

namespace plexus::detail {

namespace {

// The setup frame is a few paths; this bounds what is read before max_frame_bytes is known.
constexpr std::size_t kSetupBytes = std::size_t{1} << 20;

// Loads the libraries the setup names. Quieter than the worker at info: it has logged each
// library already, and every task process would repeat it.
Result<void> loadLibraries(const HostSetup& setup, TaskLibraries& libraries) {
    const auto level = logger().level();
    if (level == spdlog::level::info) logger().set_level(spdlog::level::warn);
    Result<void> loaded;
    for (const auto& file : setup.libraries) {
        loaded = libraries.load(file);
        if (!loaded) break;
    }
    logger().set_level(level);
    return loaded;
}

Result<void> sendText(HostChannel& channel, HostFrame type, std::string_view text) {
    const std::string_view parts[] = {text};
    return channel.send(type, parts);
}

// Job bodies above this size get memory of their own, returned after the job; smaller ones
// share one buffer kept from job to job. Fresh memory for every job costs page faults (glibc
// gives large blocks back to the system at free), several times the copy itself.
constexpr std::size_t kKeptBodyBytes = std::size_t{64} << 20;

// The memory job bodies are received into, reused while no argument of a job still uses it.
class BodyMemory {
  public:
    Buffer take(std::size_t size) {
        if (!memory_ || memory_.use_count() > 1 || capacity_ < size) {
            capacity_ = size;
            memory_ = std::shared_ptr<std::byte[]>(new std::byte[std::max<std::size_t>(size, 1)]);
        }
        Buffer out = Buffer::wrap(memory_, memory_.get(), size);
        if (size > kKeptBodyBytes) release();
        return out;
    }

  private:
    void release() {
        memory_.reset();
        capacity_ = 0;
    }
    std::shared_ptr<std::byte[]> memory_;
    std::size_t capacity_ = 0;
};

// Runs one job: arguments are slices of the received body (no copy), the outcome goes back as
// one frame. Errors: the channel's (the worker is gone or broke the protocol).
Result<void> serveJob(HostChannel& channel, const TaskLibraries& libraries, BodyMemory& memory,
                      const HostFrameHeader& header) {
    if (header.type != HostFrame::job) {
        return fail(ErrorKind::Protocol, fmt::format("expected a job, got frame type {}",
                                                     static_cast<int>(header.type)));
    }
    TaskOutcome outcome;
    {
        Buffer body = memory.take(header.bodyBytes);
        auto read = channel.receiveBody(reinterpret_cast<char*>(body.mutableData()), body.size());
        if (!read) return read;
        auto job = decodeJob(body.view());
        if (!job) return tl::unexpected(job.error());
        TaskJob task;
        task.functionName = std::string(job->function);
        task.function = libraries.find(job->function);
        if (task.function == nullptr) {  // the worker loaded the same libraries: a bug
            return sendText(
                channel, HostFrame::error,
                fmt::format("the task process has no function '{}'", task.functionName));
        }
        task.arguments.reserve(job->arguments.size());
        for (const auto& argument : job->arguments) {
            task.arguments.push_back(body.slice(
                static_cast<std::size_t>(argument.data() - body.view().data()), argument.size()));
        }
        outcome = runTaskJob(task);
    }  // the arguments are released before the result is sent
    if (outcome.bytes.size() > channel.maxBodyBytes()) {
        return sendText(channel, HostFrame::error,
                        fmt::format("the result of {} bytes exceeds max_frame_bytes ({})",
                                    outcome.bytes.size(), channel.maxBodyBytes()));
    }
    const std::string_view parts[] = {outcome.bytes};
    return channel.send(outcome.success ? HostFrame::result : HostFrame::error, parts);
}

}  // namespace

int runTaskHost() {
    // Die with the worker thread that started this process, whatever way it ends.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct stat channelStat {};
    if (::fstat(kHostChannelFd, &channelStat) != 0 || !S_ISSOCK(channelStat.st_mode)) {
        logger().error(
            "plexus task-host is started by a worker (isolation: process), not by "
            "hand: fd {} is not its channel",
            kHostChannelFd);
        return EXIT_FAILURE;
    }
    // Nothing of the worker's but the channel (posix_spawn closed the rest already where the C
    // library can): a socket held here would stay open after the worker closed it.
#ifdef SYS_close_range
    ::syscall(SYS_close_range, kHostChannelFd + 1, ~0u, 0);
#endif
    // Programs that task code starts must not inherit the channel: the worker would not see
    // this process's end while they hold it.
    ::fcntl(kHostChannelFd, F_SETFD, FD_CLOEXEC);
    HostChannel channel(kHostChannelFd, kSetupBytes);

    static constexpr HostFrame kSetup[] = {HostFrame::setup};
    auto frame = channel.receiveSmall(kSetup);
    if (!frame) {
        // Closed before the setup: the worker stopped (or died) while starting this process.
        if (frame.error().kind == ErrorKind::Disconnected) return EXIT_SUCCESS;
        logger().error("task process: {}", frame.error().describe());
        return EXIT_FAILURE;
    }
    auto setup = decodeSetup(frame->second);
    if (!setup) {
        sendText(channel, HostFrame::setupFailed, setup.error().message);
        return EXIT_FAILURE;
    }
    logger().set_level(spdlog::level::from_str(setup->logLevel));
    channel.setMaxBodyBytes(setup->maxFrameBytes);
    TaskLibraries libraries;
    if (auto loaded = loadLibraries(*setup, libraries); !loaded) {
        sendText(channel, HostFrame::setupFailed, loaded.error().message);
        return EXIT_FAILURE;
    }
    if (auto ready = channel.send(HostFrame::ready, {}); !ready) return EXIT_FAILURE;

    BodyMemory memory;
    while (true) {
        auto header = channel.receiveHeader();
        if (!header && header.error().kind == ErrorKind::Disconnected) return EXIT_SUCCESS;
        auto served = header ? serveJob(channel, libraries, memory, *header)
                             : Result<void>(tl::unexpected(header.error()));
        if (!served) {
            if (served.error().kind == ErrorKind::Disconnected) return EXIT_SUCCESS;
            logger().error("task process: {}", served.error().describe());
            return EXIT_FAILURE;
        }
    }
}

}  // namespace plexus::detail
