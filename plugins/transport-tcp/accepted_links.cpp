#include "accepted_links.h"

#include <vector>

#include <fmt/format.h>

#include "plexus/identity.h"
#include "plexus/log.h"

namespace plexus::tcp {

void AcceptedLinks::adopt(boost::asio::ip::tcp::socket socket) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    std::string description =
        ec ? std::string("from an unknown address")
           : fmt::format("from {}:{}", remote.address().to_string(), remote.port());
    auto connection = std::make_shared<Connection>(
        std::move(socket), env_, *this, std::move(description), env_.limits.hardLimitBytes);
    handshaking_.emplace(connection.get(), connection);
    connection->start();
}

bool AcceptedLinks::send(const PeerId& peer, Buffer frame) {
    const auto it = links_.find(peer);
    if (it == links_.end()) {
        logger().debug("tcp: dropping a frame of {} bytes for unknown peer {}", frame.size(),
                       printable(peer));
        return false;
    }
    it->second->send(std::move(frame));
    return true;
}

bool AcceptedLinks::disconnect(const PeerId& peer, const Error& reason) {
    const auto it = links_.find(peer);
    if (it == links_.end()) return false;
    auto connection = it->second;  // onClosed() erases the entry
    connection->close(reason);
    return true;
}

void AcceptedLinks::closeAll(const Error& reason) {
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [key, connection] : handshaking_) all.push_back(connection);
    for (auto& [peer, connection] : links_) all.push_back(connection);
    for (auto& connection : all) connection->close(reason);
    handshaking_.clear();
    links_.clear();
}

bool AcceptedLinks::hasPendingWrites() const {
    for (const auto& [peer, connection] : links_) {
        if (connection->isOpen() && connection->hasPendingWrites()) return true;
    }
    return false;
}

void AcceptedLinks::onHandshake(Connection& connection) {
    const auto pending = handshaking_.find(&connection);
    if (pending == handshaking_.end()) return;
    std::shared_ptr<Connection> link = std::move(pending->second);
    handshaking_.erase(pending);
    const PeerId& peer = link->peerIdentity();
    if (const auto old = links_.find(peer); old != links_.end()) {
        auto replaced = old->second;  // onClosed() erases the entry and reports it down
        replaced->close(
            Error{ErrorKind::Disconnected, "replaced by a newer link with the same identity"});
    }
    links_[peer] = link;
    logger().debug("tcp: accepted link {}", link->description());
    env_.notifyConnected(peer);
}

void AcceptedLinks::onFrame(Connection& connection, Buffer frame) {
    env_.notifyFrame(connection.peerIdentity(), std::move(frame));
}

void AcceptedLinks::onClosed(Connection& connection, const Error& reason) {
    if (handshaking_.erase(&connection) > 0) return;  // never a link; the connection logged why
    const auto it = links_.find(connection.peerIdentity());
    if (it == links_.end() || it->second.get() != &connection) return;
    const PeerId peer = it->first;
    links_.erase(it);
    logger().debug("tcp: link {} down: {}", connection.description(), reason.describe());
    env_.notifyDisconnected(peer, reason);
}

void AcceptedLinks::onCongestion(Connection& connection, bool congested) {
    const auto it = links_.find(connection.peerIdentity());
    if (it == links_.end() || it->second.get() != &connection) return;
    env_.notifyBackpressure(it->first, congested);
}

}  // namespace plexus::tcp
