#pragma once

// Blocking POSIX sockets for tests that speak (or garble) the YMQ wire format by hand. Every wait
// has a deadline; nothing sleeps blindly.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace plexus::test {

/// "tcp://127.0.0.1:PORT" -> PORT (tests only use IPv4 loopback).
inline std::uint16_t portOf(const std::string& address) {
    return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

/// `value` as 8 little-endian bytes.
inline std::string le64(std::uint64_t value) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return bytes;
}

inline std::string ymqMagic() {
    return std::string("YMQ\x01", 4);
}
inline std::string ymqFrame(std::string_view payload) {
    return le64(payload.size()) + std::string(payload);
}
inline std::string ymqPreamble(std::string_view identity) {
    return ymqMagic() + ymqFrame(identity);
}

/// One connected TCP socket.
class RawSocket {
  public:
    explicit RawSocket(int fd) : fd_(fd) {}
    RawSocket(RawSocket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    RawSocket& operator=(RawSocket&&) = delete;
    ~RawSocket() {
        if (fd_ >= 0) ::close(fd_);
    }

    /// Connects to 127.0.0.1:`port`; throws on failure.
    static RawSocket connectTo(std::uint16_t port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("socket failed");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            throw std::runtime_error("connect failed");
        }
        return RawSocket(fd);
    }

    /// False if the peer already closed (EPIPE/ECONNRESET); never raises SIGPIPE.
    bool write(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    void shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

    /// Exactly `count` bytes, or nullopt if the stream ended or the deadline passed first.
    std::optional<std::string> readExactly(
        std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        std::string out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (out.size() < count) {
            const int r = readSome(out, count - out.size(), deadline);
            if (r <= 0) return std::nullopt;
        }
        return out;
    }

    /// Reads (and discards) until the peer closes the connection (EOF or reset). True if that
    /// happened before the deadline.
    bool waitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::string sink;
        while (true) {
            sink.clear();
            const int r = readSome(sink, 65536, deadline);
            if (r == 0) return true;  // closed
            if (r < 0) return false;  // deadline
        }
    }

  private:
    /// 1: appended some bytes; 0: stream ended (EOF or error); -1: deadline passed.
    int readSome(std::string& out, std::size_t max,
                 std::chrono::steady_clock::time_point deadline) {
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return -1;
            pollfd p{fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready == 0) return -1;
            char buffer[65536];
            const ssize_t n = ::recv(fd_, buffer, std::min(max, sizeof buffer), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return 0;
            out.append(buffer, static_cast<std::size_t>(n));
            return 1;
        }
    }

    int fd_;
};

/// A listening socket on 127.0.0.1 with an ephemeral port, for playing a misbehaving server.
class RawListener {
  public:
    RawListener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 16) != 0) {
            throw std::runtime_error("raw listener setup failed");
        }
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~RawListener() { ::close(fd_); }
    RawListener(const RawListener&) = delete;
    RawListener& operator=(const RawListener&) = delete;

    std::string address() const { return "tcp://127.0.0.1:" + std::to_string(port_); }

    /// The next incoming connection, or nullopt if none arrived before the deadline.
    std::optional<RawSocket> accept(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        const int fd = ::accept(fd_, nullptr, nullptr);
        if (fd < 0) return std::nullopt;
        return RawSocket(fd);
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

}  // namespace plexus::test
