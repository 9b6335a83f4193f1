#include "worker/host_channel.h"

#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace plexus::detail {

namespace {

constexpr std::size_t kHeaderBytes = 16;

Error ioError(std::string_view what) {
    const int error = errno;
    if (error == EPIPE || error == ECONNRESET) {
        return Error{ErrorKind::Disconnected, "the other end closed the channel"};
    }
    return Error{ErrorKind::Io, fmt::format("{}: {}", what, std::system_category().message(error))};
}

void appendU32(std::string& out, std::uint32_t value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

void appendU64(std::string& out, std::uint64_t value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

// A u32 length, then the bytes.
void appendString(std::string& out, std::string_view value) {
    appendU32(out, static_cast<std::uint32_t>(value.size()));
    out.append(value);
}

// Reads fields from a body, checking every length against what is left.
class BodyReader {
  public:
    explicit BodyReader(std::string_view body) : rest_(body) {}

    Result<std::string_view> bytes(std::uint64_t count) {
        if (count > rest_.size()) {
            return fail(ErrorKind::Decode,
                        fmt::format("a field of {} bytes runs past the body's end", count));
        }
        const std::string_view out = rest_.substr(0, count);
        rest_.remove_prefix(count);
        return out;
    }
    template <class T>
    Result<T> number() {
        auto raw = bytes(sizeof(T));
        if (!raw) return tl::unexpected(raw.error());
        T value{};
        std::memcpy(&value, raw->data(), sizeof(value));
        return value;
    }
    Result<std::uint32_t> u32() { return number<std::uint32_t>(); }
    Result<std::uint64_t> u64() { return number<std::uint64_t>(); }
    Result<std::string_view> string() {
        auto size = u32();
        if (!size) return tl::unexpected(size.error());
        return bytes(*size);
    }
    bool empty() const { return rest_.empty(); }

  private:
    std::string_view rest_;
};

}  // namespace

HostChannel::HostChannel(int fd, std::size_t maxBodyBytes, int peerPidfd)
    : fd_(fd), maxBodyBytes_(maxBodyBytes), peerPidfd_(peerPidfd) {}

HostChannel::~HostChannel() {
    if (fd_ >= 0) ::close(fd_);
}

void HostChannel::shutdown() noexcept {
    ::shutdown(fd_, SHUT_RDWR);
}

Result<void> HostChannel::wait(short events) {
    std::array<pollfd, 2> fds{pollfd{fd_, events, 0}, pollfd{peerPidfd_, POLLIN, 0}};
    const nfds_t count = peerPidfd_ >= 0 ? 2 : 1;
    while (true) {
        if (::poll(fds.data(), count, -1) < 0) {
            if (errno == EINTR) continue;
            return tl::unexpected(ioError("poll"));
        }
        // Ready, or hung up / in error: the next read or write says which.
        if (fds[0].revents != 0) return {};
        if (fds[1].revents != 0) {
            return fail(ErrorKind::Disconnected, "the process at the other end exited");
        }
    }
}

Result<void> HostChannel::send(HostFrame type, std::span<const std::string_view> parts) {
    std::uint64_t bodyBytes = 0;
    for (const auto& part : parts) bodyBytes += part.size();
    if (bodyBytes > maxBodyBytes_) {
        return fail(ErrorKind::TooLarge,
                    fmt::format("{} bytes exceed max_frame_bytes ({})", bodyBytes, maxBodyBytes_));
    }
    std::array<char, kHeaderBytes> header{};
    const auto typeValue = static_cast<std::uint32_t>(type);
    std::memcpy(header.data(), &typeValue, sizeof(typeValue));
    std::memcpy(header.data() + 8, &bodyBytes, sizeof(bodyBytes));

    std::vector<iovec> iov;
    iov.reserve(parts.size() + 1);
    iov.push_back(iovec{header.data(), header.size()});
    for (const auto& part : parts) {
        if (!part.empty()) iov.push_back(iovec{const_cast<char*>(part.data()), part.size()});
    }
    std::size_t first = 0;
    while (first < iov.size()) {
        msghdr message{};
        message.msg_iov = &iov[first];
        message.msg_iovlen = std::min<std::size_t>(iov.size() - first, IOV_MAX);
        const ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (auto ready = wait(POLLOUT); !ready) return ready;
                continue;
            }
            return tl::unexpected(ioError("send to the task channel"));
        }
        auto left = static_cast<std::size_t>(sent);
        while (left > 0) {
            iovec& current = iov[first];
            if (left >= current.iov_len) {
                left -= current.iov_len;
                ++first;
            } else {
                current.iov_base = static_cast<char*>(current.iov_base) + left;
                current.iov_len -= left;
                left = 0;
            }
        }
    }
    return {};
}

Result<void> HostChannel::readExact(char* destination, std::size_t bytes) {
    while (bytes > 0) {
        const ssize_t got = ::recv(fd_, destination, bytes, MSG_DONTWAIT);
        if (got > 0) {
            destination += got;
            bytes -= static_cast<std::size_t>(got);
        } else if (got == 0) {
            return fail(ErrorKind::Disconnected, "the channel closed");
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (auto ready = wait(POLLIN); !ready) return ready;
        } else if (errno != EINTR) {
            return tl::unexpected(ioError("receive from the task channel"));
        }
    }
    return {};
}

Result<HostFrameHeader> HostChannel::receiveHeader() {
    std::array<char, kHeaderBytes> header{};
    if (auto read = readExact(header.data(), header.size()); !read) {
        return tl::unexpected(read.error());
    }
    std::uint32_t type = 0;
    std::uint64_t bodyBytes = 0;
    std::memcpy(&type, header.data(), sizeof(type));
    std::memcpy(&bodyBytes, header.data() + 8, sizeof(bodyBytes));
    if (type < static_cast<std::uint32_t>(HostFrame::setup) ||
        type > static_cast<std::uint32_t>(HostFrame::error)) {
        return fail(ErrorKind::Decode, fmt::format("unknown frame type {}", type));
    }
    if (bodyBytes > maxBodyBytes_) {
        return fail(ErrorKind::TooLarge,
                    fmt::format("a frame of {} bytes exceeds max_frame_bytes ({})", bodyBytes,
                                maxBodyBytes_));
    }
    return HostFrameHeader{static_cast<HostFrame>(type), bodyBytes};
}

Result<void> HostChannel::receiveBody(char* destination, std::size_t bytes) {
    return readExact(destination, bytes);
}

Result<std::pair<HostFrame, std::string>> HostChannel::receiveSmall(
    std::span<const HostFrame> expected) {
    auto header = receiveHeader();
    if (!header) return tl::unexpected(header.error());
    if (std::find(expected.begin(), expected.end(), header->type) == expected.end()) {
        return fail(ErrorKind::Protocol,
                    fmt::format("unexpected frame type {}", static_cast<int>(header->type)));
    }
    std::string body(header->bodyBytes, '\0');
    if (auto read = readExact(body.data(), body.size()); !read) {
        return tl::unexpected(read.error());
    }
    return std::pair{header->type, std::move(body)};
}

std::string encodeSetup(const HostSetup& setup) {
    std::string out;
    appendU32(out, kHostProtocolVersion);
    appendU64(out, setup.maxFrameBytes);
    appendString(out, setup.logLevel);
    appendU32(out, static_cast<std::uint32_t>(setup.libraries.size()));
    for (const auto& library : setup.libraries) appendString(out, library);
    return out;
}

Result<HostSetup> decodeSetup(std::string_view body) {
    BodyReader reader(body);
    HostSetup setup;
    auto version = reader.u32();
    if (!version) return tl::unexpected(version.error());
    if (*version != kHostProtocolVersion) {
        // After an upgrade, a new task process may meet an old worker: the rest may differ.
        return fail(ErrorKind::Protocol,
                    fmt::format("the worker speaks task process protocol {}, this process {}",
                                *version, kHostProtocolVersion));
    }
    auto maxFrameBytes = reader.u64();
    auto logLevel = reader.string();
    auto count = reader.u32();
    if (!maxFrameBytes || !logLevel || !count) {
        return fail(ErrorKind::Decode, "a setup frame too short for its fields");
    }
    setup.maxFrameBytes = *maxFrameBytes;
    setup.logLevel = std::string(*logLevel);
    for (std::uint32_t i = 0; i < *count; ++i) {
        auto library = reader.string();
        if (!library) return tl::unexpected(library.error());
        setup.libraries.emplace_back(*library);
    }
    if (!reader.empty()) return fail(ErrorKind::Decode, "trailing bytes after a setup frame");
    return setup;
}

std::string encodeJobPrefix(std::string_view function, std::span<const Buffer> arguments) {
    std::string out;
    out.reserve(8 + function.size() + 8 * arguments.size());
    appendString(out, function);
    appendU32(out, static_cast<std::uint32_t>(arguments.size()));
    for (const auto& argument : arguments) appendU64(out, argument.size());
    return out;
}

Result<HostJob> decodeJob(std::string_view body) {
    BodyReader reader(body);
    HostJob job;
    auto function = reader.string();
    if (!function) return tl::unexpected(function.error());
    job.function = *function;
    auto count = reader.u32();
    if (!count) return tl::unexpected(count.error());
    std::vector<std::uint64_t> sizes;
    sizes.reserve(std::min<std::size_t>(*count, body.size() / 8));
    for (std::uint32_t i = 0; i < *count; ++i) {
        auto size = reader.u64();
        if (!size) return tl::unexpected(size.error());
        sizes.push_back(*size);
    }
    job.arguments.reserve(sizes.size());
    for (const auto size : sizes) {
        auto argument = reader.bytes(size);
        if (!argument) return tl::unexpected(argument.error());
        job.arguments.push_back(*argument);
    }
    if (!reader.empty()) return fail(ErrorKind::Decode, "trailing bytes after a job's arguments");
    return job;
}

}  // namespace plexus::detail
