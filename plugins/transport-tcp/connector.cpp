#include "connector.h"

#include <algorithm>

#include "plexus/identity.h"
#include "plexus/log.h"

namespace plexus::tcp {

namespace asio = boost::asio;
using boost::system::error_code;

Connector::Connector(LinkEnv& env, PeerId peer, asio::ip::tcp::endpoint endpoint)
    : env_(env),
      peer_(std::move(peer)),
      endpoint_(endpoint),
      socket_(env.io),
      retryTimer_(env.io),
      delay_(env.options.reconnectInitial) {}

void Connector::start() {
    attempt();
}

void Connector::send(Buffer frame) {
    if (closed_) return;
    if (up_) {
        connection_->send(std::move(frame));
    } else {
        waiting_.push_back(std::move(frame));
    }
}

void Connector::close(const Error& reason) {
    if (closed_) return;
    closed_ = true;
    waiting_.clear();
    retryTimer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    if (connection_) {
        auto connection = connection_;  // onClosed() resets connection_
        connection->close(reason);
    }
}

void Connector::attempt() {
    if (closed_) return;
    socket_.async_connect(
        endpoint_, [self = shared_from_this()](const error_code& ec) { self->onConnect(ec); });
}

void Connector::onConnect(const error_code& ec) {
    if (closed_) return;
    if (ec) {
        logger().debug("tcp: connect to {} failed: {}; retrying in {} ms", peer_, ec.message(),
                       delay_.count());
        error_code ignored;
        socket_.close(ignored);  // the next attempt opens a fresh socket
        scheduleRetry();
        return;
    }
    connection_ = std::make_shared<Connection>(std::move(socket_), env_, *this, "to " + peer_);
    socket_ = asio::ip::tcp::socket(env_.io);
    connection_->start();
}

void Connector::scheduleRetry() {
    retryTimer_.expires_after(delay_);
    delay_ = std::min(delay_ * 2, env_.options.reconnectMax);
    retryTimer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (!ec) self->attempt();
    });
}

void Connector::onHandshake(Connection& connection) {
    if (&connection != connection_.get()) return;
    up_ = true;
    delay_ = env_.options.reconnectInitial;
    logger().debug("tcp: connected to {} (peer identity {})", peer_,
                   printable(connection.peerIdentity()));
    env_.notifyConnected(peer_);
    while (!waiting_.empty() && connection.isOpen()) {
        connection.send(std::move(waiting_.front()));
        waiting_.pop_front();
    }
}

void Connector::onFrame(Connection& connection, Buffer frame) {
    env_.notifyFrame(peer_, std::move(frame));
}

void Connector::onClosed(Connection& connection, const Error& reason) {
    if (&connection != connection_.get()) return;
    auto unsent = connection.takeUnsent();
    // They were queued before anything now waiting, so they go first.
    waiting_.insert(waiting_.begin(), std::make_move_iterator(unsent.begin()),
                    std::make_move_iterator(unsent.end()));
    connection_.reset();
    const bool wasUp = std::exchange(up_, false);
    if (wasUp) {
        logger().debug("tcp: link to {} down: {}", peer_, reason.describe());
        env_.notifyDisconnected(peer_, reason);
    } else {
        logger().debug("tcp: connection to {} failed before its handshake: {}", peer_,
                       reason.describe());
    }
    if (closed_) {
        waiting_.clear();
        return;
    }
    scheduleRetry();
}

void Connector::onCongestion(Connection& connection, bool congested) {
    if (&connection != connection_.get() || !up_) return;
    env_.notifyBackpressure(peer_, congested);
}

}  // namespace plexus::tcp
