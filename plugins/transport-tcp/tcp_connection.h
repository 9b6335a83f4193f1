#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "framing.h"
#include "link_env.h"
#include "plexus/buffer.h"
#include "plexus/result.h"

namespace plexus::tcp {

class Connection;

/// What a connection reports to the object that owns it (a Connector or AcceptedLinks). Called
/// on the I/O thread, from inside the connection's own handlers or from Connection::close().
class ConnectionEvents {
  public:
    /// The peer's magic and identity have arrived (connection.peerIdentity() is now valid).
    virtual void onHandshake(Connection& connection) = 0;
    /// One complete frame, in order.
    virtual void onFrame(Connection& connection, Buffer frame) = 0;
    /// The connection is closed (exactly once, whoever closed it). Frames that were queued but
    /// never handed to the socket can be taken back with takeUnsent().
    virtual void onClosed(Connection& connection, const Error& reason) = 0;
    /// The bytes queued for writing reached the high watermark (true) or fell back to the low
    /// one (false); see SendLimits. Alternates, starting with true; never after onClosed().
    virtual void onCongestion(Connection& connection, bool congested) = 0;

  protected:
    ~ConnectionEvents() = default;
};

/// One YMQ connection over a connected TCP socket: sends our preamble at start(), decodes the
/// peer's preamble and frames, and writes queued frames.
///
/// Thread: every method runs on the transport's I/O thread. Ownership: shared between its owner
/// and its pending asio handlers (each handler holds a shared_ptr), so it lives until both let
/// go; once closed, its handlers do nothing. `events` must outlive those handlers' execution.
///
/// Writes: a queue with ONE async_write in flight; each write gathers the length headers and
/// payloads of all queued frames (up to kMaxFramesPerWrite) into one buffer sequence.
/// Reads: non-blocking, kReadChunkBytes at a time, decoding every frame in the chunk; the rest of
/// a frame larger than a chunk is read straight into that frame's own Buffer. A turn reads until
/// the socket is drained (a short read) or kMaxReadsPerTurn, flushing after each read the sends
/// that its frames caused (LinkEnv::flushSends); then it waits for readiness (after a drain) or
/// posts the next turn (otherwise).
/// Failures (wrong magic, oversize identity or frame, truncated stream, silent peer past the
/// handshake timeout, socket errors) close the connection with a logged reason.
/// Flow control (env.limits): the payload bytes queued or being written are counted; crossing the
/// watermarks is reported with onCongestion(). While congested with pauseReadingWhenCongested,
/// no read starts (a read turn stops before its next read; the frames of a read already done are
/// delivered), so TCP pushes back on the peer; relief starts a read turn again. Past a
/// non-zero `hardLimitBytes` the connection closes itself with ErrorKind::Overloaded.
class Connection : public std::enable_shared_from_this<Connection> {
  public:
    /// Large enough to pick up many small frames per read() call; small enough to keep
    /// thousands of idle connections cheap.
    static constexpr std::size_t kReadChunkBytes = 64 * 1024;
    /// Bounds one read turn (256 KiB in chunks), so that a fast sender cannot starve other links.
    static constexpr std::size_t kMaxReadsPerTurn = 4;
    /// Bounds the gather list of one write; frames beyond it go in the next write.
    static constexpr std::size_t kMaxFramesPerWrite = 1024;

    /// `socket` is connected. `description` names the link in logs ("to tcp://..." or
    /// "from 10.0.0.1:4242").
    /// `hardLimitBytes` 0: never closed for what it has queued (see SendLimits::hardLimitBytes).
    Connection(boost::asio::ip::tcp::socket socket, LinkEnv& env, ConnectionEvents& events,
               std::string description, std::size_t hardLimitBytes = 0);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Applies socket options, sends our preamble, starts reading and the handshake timer.
    void start();
    /// Queues `frame`. Dropped if the connection is already closed.
    void send(Buffer frame);
    /// Closes the socket and reports onClosed(reason) once; later calls do nothing.
    void close(const Error& reason);

    bool isOpen() const noexcept { return !closed_; }
    /// True while frames are queued or a write is in flight.
    bool hasPendingWrites() const noexcept {
        return writing_ || !queue_.empty() || !preamble_.empty();
    }
    bool handshakeDone() const noexcept { return decoder_.handshakeDone(); }
    /// The identity the peer announced; empty before the handshake.
    const Identity& peerIdentity() const noexcept;
    const std::string& description() const noexcept { return description_; }
    /// Frames queued but not yet handed to the socket (the write in flight is lost with the
    /// link: whether the peer got it is unknown). Call after the connection closed.
    std::deque<Buffer> takeUnsent() { return std::move(queue_); }

  private:
    /// Waits for the socket to become readable, then readAvailable().
    void startRead();
    /// One read turn (see the class comment).
    void readAvailable();
    /// Decodes `count` bytes just read (into the chunk, or straight into a frame if `direct`) and
    /// hands over what they complete. False if the connection closed meanwhile.
    bool deliver(std::size_t count, bool direct);
    void startWrite();
    void onWritten(const boost::system::error_code& ec);
    /// Reports a watermark crossing, resumes a paused read, or enforces the hard limit.
    void checkQueue();
    /// Classifies the end of a read: clean EOF, EOF mid-handshake or mid-frame, or an error.
    Error readFailure(const boost::system::error_code& ec) const;

    LinkEnv& env_;
    ConnectionEvents& events_;
    std::string description_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer handshakeTimer_;
    const std::size_t hardLimitBytes_;
    bool closed_ = false;
    bool handshakeReported_ = false;
    bool congested_ = false;
    bool readPaused_ = false;  // a read is due but not started: congested

    FrameDecoder decoder_;
    std::vector<std::byte> chunk_;
    std::vector<Buffer> decoded_;  // reused between reads

    Buffer preamble_;  // sent first, then released
    std::deque<Buffer> queue_;
    std::size_t queuedBytes_ = 0;  // payloads in queue_ and inFlight_
    bool writing_ = false;
    std::vector<Buffer> inFlight_;  // keeps the payloads of the write in flight alive
    std::size_t inFlightBytes_ = 0;
    std::vector<LengthHeader> inFlightHeaders_;
    std::vector<boost::asio::const_buffer> gather_;
};

}  // namespace plexus::tcp
