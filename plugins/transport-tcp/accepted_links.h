#pragma once

#include <memory>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/ip/tcp.hpp>

#include "link_env.h"
#include "plexus/transport.h"
#include "tcp_connection.h"

namespace plexus::tcp {

/// The links accepted by every listener of one transport, keyed by the identity each peer sent
/// (its PeerId). A connection counts as a link only once its handshake is complete; a second
/// link with an identity that is already connected replaces the first (which is closed and
/// reported down first). Frames for an identity with no link are dropped with a debug log: the
/// peer reconnects by itself if it can, and the layer above re-sends what matters.
/// A link is closed (ErrorKind::Overloaded) once more than env.limits.hardLimitBytes (if set)
/// wait to be written to it.
///
/// Thread: I/O thread only. Owned by the TcpTransport.
class AcceptedLinks final : public ConnectionEvents {
  public:
    explicit AcceptedLinks(LinkEnv& env) : env_(env) {}

    /// Takes a newly accepted socket and starts its handshake.
    void adopt(boost::asio::ip::tcp::socket socket);
    /// Sends to the link of `peer`; false (and the frame dropped) if there is none.
    bool send(const PeerId& peer, Buffer frame);
    /// Closes the link of `peer` (reported with onDisconnected); false if there is none.
    bool disconnect(const PeerId& peer, const Error& reason);
    /// Closes every connection, handshaking or not.
    void closeAll(const Error& reason);
    /// True while any established link still has frames to write.
    bool hasPendingWrites() const;

    void onHandshake(Connection& connection) override;
    void onFrame(Connection& connection, Buffer frame) override;
    void onClosed(Connection& connection, const Error& reason) override;
    void onCongestion(Connection& connection, bool congested) override;

  private:
    LinkEnv& env_;
    /// Accepted, handshake not complete yet (no identity, so not addressable).
    std::unordered_map<Connection*, std::shared_ptr<Connection>> handshaking_;
    std::unordered_map<PeerId, std::shared_ptr<Connection>> links_;
};

}  // namespace plexus::tcp
