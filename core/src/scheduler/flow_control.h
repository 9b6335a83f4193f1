#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <unordered_set>
#include <utility>

#include "plexus/identity.h"
#include "scheduler/outbox.h"

namespace plexus::detail {

/// Which peers the scheduler should stop producing for. Pure bookkeeping, loop thread only; the
/// SchedulerCore applies the answers (holds a client's tasks, gives a worker nothing new).
///
/// - A link its transport reported congested (onBackpressure) holds its peer, client or worker,
///   until it is relieved or goes down.
/// - A client that fetches its results eagerly (it says so in ClientCapabilities: a plexus
///   client) is also held while the bytes of the results it was told about and has not fetched
///   reach `unfetchedHigh`, until they fall to `unfetchedLow` (0 high: never). Only such a client:
///   a stock Scaler client fetches a result when its user asks for it, so one waiting on a late
///   task while leaving earlier results unfetched would never be released (its awaited task
///   would stay held). Unfetched results are not a sign that it stopped reading.
class FlowControl {
  public:
    FlowControl(std::size_t unfetchedHigh, std::size_t unfetchedLow)
        : unfetchedHigh_(unfetchedHigh), unfetchedLow_(unfetchedLow) {}

    /// A congestion report for the link of `link.peer` on endpoint `link.endpoint`.
    void linkCongestion(const PeerAddress& link, bool congested);
    /// The link went down, which ends its congestion.
    void linkDown(const PeerAddress& link);
    /// True while any link of `peer` is congested.
    bool linkCongested(const Identity& peer) const;

    /// Whether `client` is to be held now that its unfetched result bytes are `unfetchedBytes`
    /// (0 for a client that does not fetch eagerly).
    bool holdClient(const Identity& client, std::size_t unfetchedBytes);
    /// The peer left: forgets its result state (its links go with their own reports).
    void forget(const Identity& peer) { overUnfetched_.erase(peer); }

  private:
    const std::size_t unfetchedHigh_;
    const std::size_t unfetchedLow_;
    std::set<std::pair<Identity, std::uint32_t>> congested_;  // (peer, endpoint)
    std::unordered_set<Identity> overUnfetched_;              // clients past the high mark
};

}  // namespace plexus::detail
