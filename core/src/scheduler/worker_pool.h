#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "plexus/identity.h"
#include "scheduler/outbox.h"

namespace plexus::detail {

/// What a task needs from a worker: empty for a Python task (any stock worker), or the name of a
/// native function (a plexus worker that has it). See docs/protocol.md.
using RoutingKey = std::string;

/// The routing key of a task from its function object id.
RoutingKey routingKeyOf(std::string_view funcObjectId);

/// The workers able to take tasks, with how many each holds. A stock worker runs Python tasks
/// only; a plexus worker (one that announced its functions) runs only those functions.
/// Loop thread only.
class WorkerPool {
  public:
    struct Worker {
        PeerAddress address;
        std::uint32_t capacity = 0;
        std::uint32_t outstanding = 0;  ///< tasks assigned and not yet answered
        std::uint32_t executors = 0;    ///< tasks it runs at once, as it reported (0: unknown)
        bool native = false;            ///< announced functions: a plexus worker
        bool held = false;              ///< its link is congested: give it nothing more
        std::unordered_set<std::string> functions;
    };

    explicit WorkerPool(std::uint32_t capacityPerWorker) : capacity_(capacityPerWorker) {}

    /// Adds a worker (as a stock worker until it announces functions). No-op if known.
    void add(const PeerAddress& address);
    /// Records the functions a plexus worker announced. Returns true if they changed.
    bool announce(const Identity& worker, std::vector<std::string> functions);
    void remove(const Identity& worker);
    Worker* find(const Identity& worker);
    /// Holds (no new tasks) or releases a worker. Returns true if that changed its state.
    bool setHeld(const Identity& worker, bool held);

    /// The least loaded worker, not held, with room, that can run `key`, if any.
    Worker* pick(const RoutingKey& key);
    /// True if some worker (full or not) can run `key`.
    bool anyCanRun(const RoutingKey& key) const;
    static bool canRun(const Worker& worker, const RoutingKey& key);

    const std::unordered_map<Identity, Worker>& workers() const { return workers_; }

  private:
    std::uint32_t capacity_;
    std::unordered_map<Identity, Worker> workers_;
};

}  // namespace plexus::detail
