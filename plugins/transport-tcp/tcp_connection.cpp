#include "tcp_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "plexus/identity.h"
#include "plexus/log.h"

namespace plexus::tcp {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

/// Keep-alive probe spacing and count after the idle time: a dead peer is noticed about
/// idle + 3 * 10 s after it went silent.
constexpr int kKeepaliveIntervalSeconds = 10;
constexpr int kKeepaliveProbes = 3;

void setIntOption(int fd, int level, int name, int value, const char* what) {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
        logger().debug("tcp: cannot set {}: errno {}", what, errno);
    }
}

/// TCP_NODELAY (frames are latency-sensitive and already batched by the write queue) and
/// keep-alive (a half-open link must end, so that the peer is reported down and reconnected).
void applySocketOptions(asio::ip::tcp::socket& socket, std::chrono::seconds keepaliveIdle) {
    error_code ec;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (ec) logger().debug("tcp: cannot set TCP_NODELAY: {}", ec.message());
    socket.set_option(asio::socket_base::keep_alive(true), ec);
    if (ec) logger().debug("tcp: cannot set SO_KEEPALIVE: {}", ec.message());
    const int fd = socket.native_handle();
    setIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(keepaliveIdle.count()),
                 "TCP_KEEPIDLE");
    setIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, kKeepaliveIntervalSeconds, "TCP_KEEPINTVL");
    setIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, kKeepaliveProbes, "TCP_KEEPCNT");
}

/// How many bytes one write call may hand to the kernel. asio's default completion condition
/// (transfer_all) caps every step of async_write at 64 KiB: a 100 MB frame took ~1500 sendmsg
/// calls, each a separate trip through the reactor, and on a busy machine each trip waits to be
/// scheduled. Offering the whole remainder lets one sendmsg fill all the room the socket buffer
/// has (megabytes on loopback, as the kernel tunes it).
constexpr std::size_t kMaxBytesPerWriteCall = std::size_t{1} << 30;

/// async_write's completion condition: write everything, in steps of up to
/// kMaxBytesPerWriteCall.
std::size_t transferAllInLargeSteps(const error_code& ec, std::size_t) {
    return ec ? 0 : kMaxBytesPerWriteCall;
}

bool isRefusal(ErrorKind kind) {
    return kind == ErrorKind::Protocol || kind == ErrorKind::TooLarge ||
           kind == ErrorKind::Decode || kind == ErrorKind::Timeout || kind == ErrorKind::Overloaded;
}

}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, LinkEnv& env, ConnectionEvents& events,
                       std::string description, std::size_t hardLimitBytes)
    : env_(env),
      events_(events),
      description_(std::move(description)),
      socket_(std::move(socket)),
      handshakeTimer_(env.io),
      hardLimitBytes_(hardLimitBytes),
      decoder_(env.maxFrameBytes),
      chunk_(kReadChunkBytes),
      preamble_(env.preamble.share()) {}

const Identity& Connection::peerIdentity() const noexcept {
    static const Identity kNone;
    return decoder_.identity() ? *decoder_.identity() : kNone;
}

void Connection::start() {
    applySocketOptions(socket_, env_.options.keepaliveIdle);
    handshakeTimer_.expires_after(env_.options.handshakeTimeout);
    handshakeTimer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->closed_ || self->decoder_.handshakeDone()) return;
        self->close(
            Error{ErrorKind::Timeout, fmt::format("no handshake within {} ms (stopped {})",
                                                  self->env_.options.handshakeTimeout.count(),
                                                  self->decoder_.describePosition())});
    });
    startWrite();  // the preamble goes out at once, without waiting for the peer's
    error_code ec;
    socket_.non_blocking(true, ec);  // reads return would_block rather than block the I/O thread
    if (ec) {
        close(Error{ErrorKind::Io, "cannot make the socket non-blocking: " + ec.message()});
        return;
    }
    // Read before waiting: bytes that arrived before this connection existed may have had their
    // readiness reported already.
    readAvailable();
}

void Connection::send(Buffer frame) {
    if (closed_) return;
    queuedBytes_ += frame.size();
    queue_.push_back(std::move(frame));
    if (!writing_) startWrite();
    checkQueue();
}

void Connection::checkQueue() {
    if (closed_) return;
    if (hardLimitBytes_ != 0 && queuedBytes_ > hardLimitBytes_) {
        close(Error{ErrorKind::Overloaded,
                    fmt::format("{} bytes queued toward a peer that does not read them (hard "
                                "limit {} bytes)",
                                queuedBytes_, hardLimitBytes_)});
        return;
    }
    if (!congested_ && queuedBytes_ >= env_.limits.highWatermarkBytes) {
        congested_ = true;
        events_.onCongestion(*this, true);
    } else if (congested_ && queuedBytes_ <= env_.limits.lowWatermarkBytes) {
        congested_ = false;
        events_.onCongestion(*this, false);
        if (readPaused_ && !closed_) {
            readPaused_ = false;
            startRead();
        }
    }
}

void Connection::close(const Error& reason) {
    if (closed_) return;
    closed_ = true;
    auto self = shared_from_this();  // the owner may drop its reference in onClosed()
    if (isRefusal(reason.kind)) {
        logger().warn("tcp: closing connection {}: {}", description_, reason.describe());
    } else {
        logger().debug("tcp: connection {} closed: {}", description_, reason.describe());
    }
    error_code ignored;
    handshakeTimer_.cancel();
    socket_.close(ignored);
    events_.onClosed(*this, reason);
}

void Connection::startRead() {
    // A wait, not an async read: asio would first try the read at once, a recvfrom that finds
    // the socket empty since the previous turn drained it.
    socket_.async_wait(asio::socket_base::wait_read,
                       [self = shared_from_this()](const error_code& ec) {
                           if (self->closed_) return;
                           if (ec) {
                               self->close(self->readFailure(ec));
                               return;
                           }
                           self->readAvailable();
                       });
}

void Connection::readAvailable() {
    bool drained = false;
    for (std::size_t reads = 0; reads < kMaxReadsPerTurn && !drained; ++reads) {
        if (congested_ && env_.limits.pauseReadingWhenCongested) {
            readPaused_ = true;  // checkQueue() starts the next read once relieved
            return;
        }
        const std::span<std::byte> direct = decoder_.directTarget();
        const bool intoFrame = direct.size() >= chunk_.size();
        const asio::mutable_buffer target =
            intoFrame ? asio::buffer(direct.data(), direct.size()) : asio::buffer(chunk_);
        error_code ec;
        const std::size_t count = socket_.read_some(target, ec);  // non-blocking (start())
        if (ec == asio::error::would_block) {
            drained = true;
            break;
        }
        if (ec) {
            close(readFailure(ec));
            return;
        }
        if (!deliver(count, intoFrame)) return;
        // The answers to what was just read leave now, not after another pass of the event
        // loop (nor after the rest of this turn: a peer waiting for them would sit idle).
        if (env_.flushSends) env_.flushSends();
        if (closed_) return;
        drained = count < target.size();
    }
    if (drained) {
        // Bytes that arrive from now on make the socket readable again, and this wait is
        // registered before the handler returns: none can be missed.
        startRead();
        return;
    }
    // Every read of this turn filled its buffer, so more bytes may be waiting, and readiness is
    // not signalled again for them: read on once the other links have had their turn.
    asio::post(env_.io, [self = shared_from_this()] {
        if (!self->closed_) self->readAvailable();
    });
}

bool Connection::deliver(std::size_t count, bool direct) {
    decoded_.clear();
    Result<void> decoded;
    if (direct) {
        decoder_.commitDirect(count, decoded_);
    } else {
        decoded = decoder_.feed(std::span<const std::byte>(chunk_.data(), count), decoded_);
    }
    // What decoded before a violation is valid and is delivered; then the link is refused.
    if (!handshakeReported_ && decoder_.handshakeDone()) {
        handshakeReported_ = true;
        handshakeTimer_.cancel();
        description_ += fmt::format(" ({})", printable(peerIdentity()));
        events_.onHandshake(*this);
    }
    for (Buffer& frame : decoded_) {
        if (closed_) return false;
        events_.onFrame(*this, std::move(frame));
    }
    decoded_.clear();
    if (closed_) return false;
    if (!decoded) {
        close(decoded.error());
        return false;
    }
    return true;
}

Error Connection::readFailure(const error_code& ec) const {
    if (ec == asio::error::eof) {
        if (!decoder_.handshakeDone()) {
            return Error{ErrorKind::Disconnected,
                         "peer closed the connection during the handshake (stopped " +
                             decoder_.describePosition() + ")"};
        }
        if (!decoder_.atFrameBoundary()) {
            return Error{ErrorKind::Decode, "peer closed the connection with a truncated frame (" +
                                                decoder_.describePosition() + ")"};
        }
        return Error{ErrorKind::Disconnected, "peer closed the connection"};
    }
    if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
        return Error{ErrorKind::Disconnected, "connection reset by peer"};
    }
    return Error{ErrorKind::Io, "read failed: " + ec.message()};
}

void Connection::startWrite() {
    inFlight_.clear();
    inFlightHeaders_.clear();
    gather_.clear();
    if (!preamble_.empty()) {
        gather_.emplace_back(preamble_.data(), preamble_.size());
        inFlight_.push_back(std::move(preamble_));
        preamble_ = Buffer();
    }
    const std::size_t count = std::min(queue_.size(), kMaxFramesPerWrite);
    // Sized before taking addresses: the gather list points into these headers.
    inFlightHeaders_.resize(count);
    inFlightBytes_ = 0;
    for (std::size_t i = 0; i < count; ++i) {
        Buffer frame = std::move(queue_.front());
        queue_.pop_front();
        inFlightBytes_ += frame.size();
        inFlightHeaders_[i] = encodeLength(frame.size());
        gather_.emplace_back(inFlightHeaders_[i].data(), inFlightHeaders_[i].size());
        if (!frame.empty()) gather_.emplace_back(frame.data(), frame.size());
        inFlight_.push_back(std::move(frame));
    }
    if (gather_.empty()) return;
    writing_ = true;
    asio::async_write(
        socket_, gather_, transferAllInLargeSteps,
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->onWritten(ec); });
}

void Connection::onWritten(const error_code& ec) {
    writing_ = false;
    inFlight_.clear();
    queuedBytes_ -= std::exchange(inFlightBytes_, 0);
    if (closed_) return;
    if (ec) {
        close(ec == asio::error::connection_reset || ec == asio::error::broken_pipe
                  ? Error{ErrorKind::Disconnected, "connection reset by peer"}
                  : Error{ErrorKind::Io, "write failed: " + ec.message()});
        return;
    }
    if (!queue_.empty()) startWrite();
    checkQueue();
}

}  // namespace plexus::tcp
