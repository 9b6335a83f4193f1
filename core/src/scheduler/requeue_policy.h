#pragma once

#include <cstdint>

namespace plexus::detail {

/// What the scheduler does with the tasks of a worker that died: one whose heartbeats stopped for
/// the worker timeout (a worker that leaves with DisconnectRequest gives its tasks back, and they
/// are always re-queued without counting). docs/reliability.md has the whole story.
struct RequeuePolicy {
    enum class OnWorkerDeath {
        /// Run its tasks elsewhere. A task that was executing on it counts one retry; past
        /// maxTaskRetries it ends with workerDied instead (a task that kills every worker it
        /// runs on stops there). Tasks only waiting in its queue are re-queued without counting.
        requeue,
        /// End every task it held with workerDied: a task is never sent to a second worker after
        /// a death (at most once). All of them, because which ones had started is an estimate.
        fail,
    };

    OnWorkerDeath onWorkerDeath = OnWorkerDeath::requeue;
    /// Re-runs allowed to a task whose worker died while executing it; 0 never re-runs it.
    std::uint32_t maxTaskRetries = 3;
};

}  // namespace plexus::detail
