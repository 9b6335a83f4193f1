#include "scheduler/flow_control.h"

namespace plexus::detail {

void FlowControl::linkCongestion(const PeerAddress& link, bool congested) {
    if (congested) {
        congested_.emplace(link.peer, link.endpoint);
    } else {
        congested_.erase({link.peer, link.endpoint});
    }
}

void FlowControl::linkDown(const PeerAddress& link) {
    congested_.erase({link.peer, link.endpoint});
}

bool FlowControl::linkCongested(const Identity& peer) const {
    if (congested_.empty()) return false;
    const auto it = congested_.lower_bound({peer, 0});
    return it != congested_.end() && it->first == peer;
}

bool FlowControl::holdClient(const Identity& client, std::size_t unfetchedBytes) {
    if (unfetchedHigh_ != 0) {
        if (unfetchedBytes >= unfetchedHigh_) {
            overUnfetched_.insert(client);
        } else if (unfetchedBytes <= unfetchedLow_ && !overUnfetched_.empty()) {
            overUnfetched_.erase(client);
        }
    }
    return (!overUnfetched_.empty() && overUnfetched_.contains(client)) || linkCongested(client);
}

}  // namespace plexus::detail
