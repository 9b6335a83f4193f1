#include "accepted_peers.h"

namespace plexus::zmq {

AcceptedPeers::Arrival AcceptedPeers::arrival(const PeerId& peer, int fd) const {
    if (const auto it = links_.find(peer); it != links_.end() && it->second.fd == fd) {
        return Arrival::Known;
    }
    if (droppingFds_.contains(fd)) return Arrival::Stale;
    // A message from a connection whose DISCONNECTED was already seen: libzmq flushes what it
    // decoded last just after emitting the event. Its link is already reported down.
    if (!liveFds_.contains(fd)) return Arrival::Stale;
    return Arrival::New;
}

std::vector<AcceptedPeers::Down> AcceptedPeers::makeRoom(const PeerId& peer, int fd) {
    std::vector<Down> downs;
    // The fd was another peer's: that connection is gone and the number reused.
    if (const auto owner = owners_.find(fd); owner != owners_.end() && owner->second != peer) {
        downs.push_back({owner->second, "connection lost"});
        links_.erase(owner->second);
        owners_.erase(owner);
    }
    // The peer had another connection: the new one took its routing id over (ROUTER_HANDOVER),
    // and libzmq closes the old one; what still comes from it is dropped.
    if (const auto old = links_.find(peer); old != links_.end()) {
        downs.push_back({peer, "replaced by a newer connection with the same identity"});
        owners_.erase(old->second.fd);
        droppingFds_.insert(old->second.fd);
        links_.erase(old);
    }
    return downs;
}

std::vector<AcceptedPeers::Down> AcceptedPeers::adopt(const PeerId& peer, int fd,
                                                      std::string endpoint) {
    auto downs = makeRoom(peer, fd);
    links_[peer] = Link{fd, std::move(endpoint)};
    owners_[fd] = peer;
    return downs;
}

std::vector<AcceptedPeers::Down> AcceptedPeers::refuse(const PeerId& peer, int fd) {
    auto downs = makeRoom(peer, fd);
    droppingFds_.insert(fd);
    return downs;
}

std::optional<PeerId> AcceptedPeers::accepted(int fd) {
    // A new connection on a reused number: whatever was known about the number is history.
    droppingFds_.erase(fd);
    liveFds_.insert(fd);
    const auto owner = owners_.find(fd);
    if (owner == owners_.end()) return std::nullopt;
    PeerId peer = std::move(owner->second);
    owners_.erase(owner);
    links_.erase(peer);
    return peer;
}

void AcceptedPeers::closed(int fd) {
    liveFds_.erase(fd);
    droppingFds_.erase(fd);
    const auto owner = owners_.find(fd);
    if (owner == owners_.end()) return;
    const auto link = links_.find(owner->second);
    if (link == links_.end() || link->second.closing) return;
    link->second.closing = true;
    closing_.push_back(owner->second);
}

std::vector<AcceptedPeers::Down> AcceptedPeers::finishClosing() {
    std::vector<Down> downs;
    for (PeerId& peer : closing_) {
        const auto link = links_.find(peer);
        // Replaced or re-adopted meanwhile: already reported.
        if (link == links_.end() || !link->second.closing) continue;
        owners_.erase(link->second.fd);
        links_.erase(link);
        downs.push_back({std::move(peer), "connection closed"});
    }
    closing_.clear();
    return downs;
}

std::optional<AcceptedPeers::Link> AcceptedPeers::closeLocally(const PeerId& peer) {
    const auto it = links_.find(peer);
    if (it == links_.end()) return std::nullopt;
    Link link = std::move(it->second);
    links_.erase(it);
    owners_.erase(link.fd);
    droppingFds_.insert(link.fd);
    return link;
}

}  // namespace plexus::zmq
