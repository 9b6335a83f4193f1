#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "plexus/buffer.h"
#include "plexus/result.h"

namespace plexus::detail {

/// The frames a worker and its task processes exchange (isolation: process). The exchange is
/// strictly one request, one answer:
///
///   worker -> task process: setup  (protocol version, max frame bytes, log level, libraries)
///   task process -> worker: ready | setupFailed (text)
///   then, per task:
///   worker -> task process: job    (function name, arguments)
///   task process -> worker: result (bytes) | error (text of what the function threw)
///
/// A task process ends when its channel closes (the worker closed it, or died).
enum class HostFrame : std::uint32_t { setup = 1, ready, setupFailed, job, result, error };

/// Bumped whenever a frame's layout changes: a task process refuses a worker of another
/// version (after an upgrade, a new task process may meet an old worker).
inline constexpr std::uint32_t kHostProtocolVersion = 1;

/// The descriptor on which a task process finds its channel to the worker.
inline constexpr int kHostChannelFd = 3;

struct HostFrameHeader {
    HostFrame type;
    std::uint64_t bodyBytes;
};

/// One end of a worker <-> task process channel: a Unix stream socket carrying frames made of a
/// 16-byte header {u32 type, u32 zero, u64 body length} and the body. Byte order is the
/// machine's: both ends are the same binary on the same machine.
///
/// Bodies are written straight from the caller's memory (gathered, no copy) and read straight
/// into the caller's: a large argument or result is copied by the socket and nothing else. A
/// received header naming an unknown type or a body over `maxBodyBytes` is refused before anything
/// is allocated.
///
/// Waits block the calling thread. With a `peerPidfd` (a pidfd of the process at the other
/// end), a wait also ends when that process exits, even if the socket stays open because
/// another process inherited it.
///
/// Thread-safety: none; one thread uses a channel at a time. Owns `fd` (closed at destruction).
class HostChannel {
  public:
    HostChannel(int fd, std::size_t maxBodyBytes, int peerPidfd = -1);
    ~HostChannel();
    HostChannel(const HostChannel&) = delete;
    HostChannel& operator=(const HostChannel&) = delete;

    /// Sends one frame whose body is the concatenation of `parts`. Errors: Disconnected (the
    /// other end closed or exited), TooLarge (body over the bound; nothing sent), Io.
    Result<void> send(HostFrame type, std::span<const std::string_view> parts);
    /// Receives the next frame's header; the caller then reads exactly `bodyBytes` with
    /// receiveBody(). Errors: Disconnected, Decode (unknown type), TooLarge, Io.
    Result<HostFrameHeader> receiveHeader();
    Result<void> receiveBody(char* destination, std::size_t bytes);
    /// Receives a whole frame into a string (for setup frames and texts); its type must be one
    /// of `expected`, else Protocol.
    Result<std::pair<HostFrame, std::string>> receiveSmall(std::span<const HostFrame> expected);
    /// Shuts the socket down both ways: the other end reads end-of-file. Thread-safe (the only
    /// method that is): used to stop a process while another thread may be waiting on it.
    void shutdown() noexcept;

    std::size_t maxBodyBytes() const { return maxBodyBytes_; }
    void setMaxBodyBytes(std::size_t bytes) { maxBodyBytes_ = bytes; }

  private:
    /// Blocks until the socket is ready for `events`, or the peer process exited (Disconnected).
    Result<void> wait(short events);
    Result<void> readExact(char* destination, std::size_t bytes);

    int fd_;
    std::size_t maxBodyBytes_;
    int peerPidfd_;
};

/// What the worker tells a task process first.
struct HostSetup {
    std::uint64_t maxFrameBytes = 0;
    std::string logLevel;
    std::vector<std::string> libraries;  ///< task library files, loaded in this order
};
std::string encodeSetup(const HostSetup& setup);
/// Errors: Decode, Protocol (another kHostProtocolVersion).
Result<HostSetup> decodeSetup(std::string_view body);

/// A job body is a prefix, [u32 name length][name][u32 argument count][u64 length] per
/// argument, followed by the arguments' bytes back to back. Only the prefix is built here; the
/// arguments are sent from where they are (HostChannel::send gathers them).
std::string encodeJobPrefix(std::string_view function, std::span<const Buffer> arguments);
struct HostJob {
    std::string_view function;
    std::vector<std::string_view> arguments;  ///< views into the body
};
/// Errors: Decode (the lengths do not add up to the body).
Result<HostJob> decodeJob(std::string_view body);

}  // namespace plexus::detail
