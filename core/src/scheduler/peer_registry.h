#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "plexus/identity.h"
#include "scheduler/outbox.h"

namespace plexus::detail {

using Clock = std::chrono::steady_clock;

enum class PeerRole { client, worker };
std::string_view peerRoleName(PeerRole role) noexcept;

/// The peers of one role that the scheduler knows, keyed by identity, with the time each was
/// last heard from. A peer becomes known through its heartbeat and is forgotten when it leaves or
/// stays silent past the timeout. Loop thread only.
class PeerRegistry {
  public:
    struct Peer {
        PeerAddress address;
        Clock::time_point lastSeen;
        /// What the peer announced it does (ClientCapabilities::features); 0 until then, and
        /// for ever for a stock Scaler peer.
        std::uint32_t features = 0;
    };

    PeerRegistry(PeerRole role, Clock::duration timeout) : role_(role), timeout_(timeout) {}

    /// Records a heartbeat. Returns true when the peer is new (just registered). A known
    /// identity heard on another endpoint moves there (a peer migrating between transports).
    bool touch(const PeerAddress& address, Clock::time_point now);
    /// Records the features a known peer announced. Returns true if they changed.
    bool setFeatures(const Identity& identity, std::uint32_t features);
    /// Forgets `identity`; returns false if it was not known.
    bool remove(const Identity& identity);
    const Peer* find(const Identity& identity) const;
    bool contains(const Identity& identity) const { return find(identity) != nullptr; }
    std::size_t size() const { return peers_.size(); }
    const std::unordered_map<Identity, Peer>& peers() const { return peers_; }

    /// Removes every peer silent for longer than the timeout and returns their identities.
    std::vector<Identity> expire(Clock::time_point now);

  private:
    PeerRole role_;
    Clock::duration timeout_;
    std::unordered_map<Identity, Peer> peers_;
};

}  // namespace plexus::detail
