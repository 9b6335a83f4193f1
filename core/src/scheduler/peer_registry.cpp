#include "scheduler/peer_registry.h"

namespace plexus::detail {

std::string_view peerRoleName(PeerRole role) noexcept {
    return role == PeerRole::client ? "client" : "worker";
}

bool PeerRegistry::touch(const PeerAddress& address, Clock::time_point now) {
    auto [it, inserted] = peers_.try_emplace(address.peer, Peer{address, now});
    if (!inserted) {
        it->second.address = address;
        it->second.lastSeen = now;
    }
    return inserted;
}

bool PeerRegistry::setFeatures(const Identity& identity, std::uint32_t features) {
    auto it = peers_.find(identity);
    if (it == peers_.end() || it->second.features == features) return false;
    it->second.features = features;
    return true;
}

bool PeerRegistry::remove(const Identity& identity) {
    return peers_.erase(identity) > 0;
}

const PeerRegistry::Peer* PeerRegistry::find(const Identity& identity) const {
    auto it = peers_.find(identity);
    return it == peers_.end() ? nullptr : &it->second;
}

std::vector<Identity> PeerRegistry::expire(Clock::time_point now) {
    std::vector<Identity> gone;
    for (auto it = peers_.begin(); it != peers_.end();) {
        if (now - it->second.lastSeen > timeout_) {
            gone.push_back(it->first);
            it = peers_.erase(it);
        } else {
            ++it;
        }
    }
    return gone;
}

}  // namespace plexus::detail
