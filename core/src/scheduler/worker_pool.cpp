#include "scheduler/worker_pool.h"

namespace plexus::detail {

namespace {
constexpr std::string_view kNativeFunctionPrefix = "plexus:fn:";
}

RoutingKey routingKeyOf(std::string_view funcObjectId) {
    if (funcObjectId.substr(0, kNativeFunctionPrefix.size()) != kNativeFunctionPrefix) return {};
    return RoutingKey(funcObjectId.substr(kNativeFunctionPrefix.size()));
}

void WorkerPool::add(const PeerAddress& address) {
    auto [it, inserted] = workers_.try_emplace(address.peer);
    if (inserted) it->second.capacity = capacity_;
    it->second.address = address;
}

bool WorkerPool::announce(const Identity& worker, std::vector<std::string> functions) {
    Worker* w = find(worker);
    if (w == nullptr) return false;
    std::unordered_set<std::string> set(std::make_move_iterator(functions.begin()),
                                        std::make_move_iterator(functions.end()));
    const bool changed = !w->native || set != w->functions;
    w->native = true;
    w->functions = std::move(set);
    return changed;
}

void WorkerPool::remove(const Identity& worker) {
    workers_.erase(worker);
}

WorkerPool::Worker* WorkerPool::find(const Identity& worker) {
    auto it = workers_.find(worker);
    return it == workers_.end() ? nullptr : &it->second;
}

bool WorkerPool::setHeld(const Identity& worker, bool held) {
    Worker* w = find(worker);
    if (w == nullptr || w->held == held) return false;
    w->held = held;
    return true;
}

bool WorkerPool::canRun(const Worker& worker, const RoutingKey& key) {
    return key.empty() ? !worker.native : worker.functions.count(key) != 0;
}

WorkerPool::Worker* WorkerPool::pick(const RoutingKey& key) {
    // A linear scan: clusters have tens of workers, and this beats maintaining a heap per key.
    Worker* best = nullptr;
    for (auto& [identity, worker] : workers_) {
        if (worker.held || worker.outstanding >= worker.capacity || !canRun(worker, key)) continue;
        if (best == nullptr || worker.outstanding < best->outstanding) best = &worker;
    }
    return best;
}

bool WorkerPool::anyCanRun(const RoutingKey& key) const {
    for (const auto& [identity, worker] : workers_) {
        if (canRun(worker, key)) return true;
    }
    return false;
}

}  // namespace plexus::detail
