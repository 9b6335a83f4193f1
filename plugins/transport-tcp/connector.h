#pragma once

#include <chrono>
#include <deque>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "link_env.h"
#include "plexus/transport.h"
#include "tcp_connection.h"

namespace plexus::tcp {

/// The link opened by connect(address): keeps one connection to `endpoint` up, reconnecting
/// forever with exponential backoff (options.reconnectInitial doubling up to reconnectMax, back
/// to the initial delay after each completed handshake) until close().
///
/// Frames sent while no handshake is complete wait in a queue and go out, in order, as soon as
/// the next connection completes its handshake. When a link drops, frames it had queued but not
/// yet written go back to that queue; the write in flight is lost with the link (at most once).
/// The PeerId reported to the handler is the address string given to connect().
///
/// Thread: I/O thread only. Ownership: shared by the transport and its own pending handlers.
class Connector final : public ConnectionEvents, public std::enable_shared_from_this<Connector> {
  public:
    Connector(LinkEnv& env, PeerId peer, boost::asio::ip::tcp::endpoint endpoint);

    /// Makes the first attempt now.
    void start();
    /// Sends on the live link, or queues until there is one.
    void send(Buffer frame);
    /// Stops for good: no more attempts, queued frames dropped, the live link (if any) closed
    /// and reported with onDisconnected(peer, reason).
    void close(const Error& reason);
    /// True while the established connection still has frames to write.
    bool hasPendingWrites() const {
        return up_ && connection_ && connection_->isOpen() && connection_->hasPendingWrites();
    }

    void onHandshake(Connection& connection) override;
    void onFrame(Connection& connection, Buffer frame) override;
    void onClosed(Connection& connection, const Error& reason) override;
    void onCongestion(Connection& connection, bool congested) override;

  private:
    void attempt();
    void onConnect(const boost::system::error_code& ec);
    void scheduleRetry();

    LinkEnv& env_;
    const PeerId peer_;
    const boost::asio::ip::tcp::endpoint endpoint_;
    boost::asio::ip::tcp::socket socket_;  // the attempt in progress
    boost::asio::steady_timer retryTimer_;
    std::chrono::milliseconds delay_;
    std::shared_ptr<Connection> connection_;
    bool up_ = false;  // connection_ completed its handshake
    bool closed_ = false;
    std::deque<Buffer> waiting_;  // frames for the next link, in order
};

}  // namespace plexus::tcp
