#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include <boost/asio/io_context.hpp>

#include "plexus/buffer.h"
#include "plexus/transport.h"
#include "tcp_options.h"

namespace plexus::tcp {

/// What every link of one transport shares. Owned by the TcpTransport; used on its I/O thread
/// only, except for the constant fields, which are set before the thread starts.
struct LinkEnv {
    boost::asio::io_context& io;
    TransportHandler& handler;
    /// Our magic + identity frame, shared read-only by every connection.
    Buffer preamble;
    std::size_t maxFrameBytes;
    TcpOptions options;
    SendLimits limits;
    /// Set on the I/O thread when the transport starts shutting down. From then on links close
    /// silently: the handler is not called any more.
    bool stopping = false;
    /// Hands the frames queued by TcpTransport::send() to their connections now. A connection
    /// calls it at the end of each read turn, so that the answers to the frames it delivered
    /// leave at once. Set by the transport; must not be called from inside itself.
    std::function<void()> flushSends;

    // The only way links call the handler: nothing once stopping, and an exception from the
    // handler (a bug there) is logged and swallowed so that it cannot leave a link half-updated.
    void notifyConnected(const PeerId& peer) noexcept;
    void notifyDisconnected(const PeerId& peer, const Error& reason) noexcept;
    void notifyFrame(const PeerId& peer, Buffer frame) noexcept;
    void notifyBackpressure(const PeerId& peer, bool congested) noexcept;
};

}  // namespace plexus::tcp
