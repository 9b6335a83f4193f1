#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "plexus/transport.h"

namespace plexus::zmq {

/// Which ROUTER connection belongs to which peer identity: the bookkeeping behind onConnected and
/// onDisconnected on the listening side. Pure logic (no ZeroMQ calls), so it is unit-tested alone.
///
/// Why it is needed: libzmq 4.3.4 as Debian builds it has no ZMQ_ROUTER_NOTIFY (a draft option),
/// and a ROUTER's monitor names a connection by its file descriptor, never by its routing id. So:
///  - every received message carries the fd of its connection (ZMQ_SRCFD, part of the message
///    metadata), which ties a routing id to an fd at the first message of a connection (for a
///    plexus peer that is the hello it sends as soon as its handshake is done, so it is reported
///    up before it sends any frame; for a stock Scaler peer, its first frame);
///  - the monitor's ZMQ_EVENT_ACCEPTED(fd) and ZMQ_EVENT_DISCONNECTED(fd) say which fds are live;
///    a DISCONNECTED(fd) whose fd belongs to an up peer puts that link in "closing": what the
///    connection delivered before it closed is still readable from the ROUTER (libzmq flushes it
///    around the event), so the transport reports the peer down (finishClosing()) only once the
///    ROUTER has nothing more to read.
/// libzmq emits DISCONNECTED(fd) before it closes the fd, so before the number can be reused and
/// before any message of a later connection on that number exists; the transport drains the
/// monitor after receiving each message and before asking arrival(), so a message is never taken
/// for the wrong connection.
///
/// One identity has at most one link: a newer connection with the same routing id replaces the
/// older one (ZMQ_ROUTER_HANDOVER), which is reported down first, like the tcp transport's rule.
///
/// Thread: the transport's I/O thread only.
class AcceptedPeers {
  public:
    /// What a message from (peer, fd) is, given what is known.
    enum class Arrival {
        Known,  ///< from the current link of an up peer: deliver it
        New,    ///< the first message of a new connection: adopt() or refuse() it
        Stale,  ///< from a connection that is closed, refused or replaced: drop it
    };

    /// A peer to report down, and why.
    struct Down {
        PeerId peer;
        std::string why;
    };

    Arrival arrival(const PeerId& peer, int fd) const;
    /// Records `peer` as up on `fd` (an Arrival::New). `endpoint` describes the remote end (used
    /// to check the fd before acting on it). Returns the peers to report down before reporting
    /// `peer` up: its own previous link, or the stale owner of a reused fd.
    std::vector<Down> adopt(const PeerId& peer, int fd, std::string endpoint);
    /// Refuses the connection `fd` of `peer` (an Arrival::New): its messages are dropped until it
    /// closes. Returns the peers to report down (as adopt()).
    std::vector<Down> refuse(const PeerId& peer, int fd);

    /// Monitor: a connection was accepted on `fd`. Returns a peer to report down if the fd was
    /// still recorded as its link (a close libzmq did not report).
    std::optional<PeerId> accepted(int fd);
    /// Monitor: the connection on `fd` is gone. An up peer on it goes to "closing": its messages
    /// still count as Known until finishClosing().
    void closed(int fd);
    /// Ends every closing link; returns the peers to report down.
    std::vector<Down> finishClosing();
    /// Takes `peer` down at the transport's own request; returns its fd and endpoint, or nothing
    /// if it is not up. The connection's later messages are dropped until it closes.
    struct Link {
        int fd = -1;
        std::string endpoint;
        bool closing = false;
    };
    std::optional<Link> closeLocally(const PeerId& peer);

    /// Up, and not closing: frames may be sent to it.
    bool isUp(const PeerId& peer) const {
        const auto it = links_.find(peer);
        return it != links_.end() && !it->second.closing;
    }
    std::size_t upCount() const { return links_.size(); }

  private:
    std::vector<Down> makeRoom(const PeerId& peer, int fd);

    std::unordered_map<PeerId, Link> links_;  // up peers
    std::unordered_map<int, PeerId> owners_;  // fd -> up peer on it
    std::unordered_set<int> liveFds_;         // accepted, not closed
    std::unordered_set<int> droppingFds_;     // refused, closed locally or replaced
    std::vector<PeerId> closing_;             // peers whose link got closing = true
};

}  // namespace plexus::zmq
