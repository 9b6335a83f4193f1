#include "scheduler/task_manager.h"

#include <algorithm>

#include <fmt/format.h>

#include "client/ids.h"
#include "plexus/log.h"

namespace plexus::detail {

namespace {

// Dead workers whose held tasks are remembered, in case one was only hung and comes back. A
// hung worker comes back within minutes or never; this many covers a rack of them at once, and
// bounds the memory (each entry is at most per_worker_queue_size task ids).
constexpr std::size_t kRememberedDeadWorkers = 64;

bool carriesResultObjects(TaskStatus status) {
    return status == TaskStatus::success || status == TaskStatus::failed ||
           status == TaskStatus::workerDied;
}

}  // namespace

TaskManager::TaskManager(Outbox& outbox, WorkerPool& workers, ObjectManager& objects,
                         TaskListener& listener, RequeuePolicy policy)
    : outbox_(outbox), workers_(workers), objects_(objects), listener_(listener), policy_(policy) {}

const Bytes& TaskRecord::funcObjectId() const {
    return function->first;
}

const Identity& TaskRecord::workerId() const {
    static const Identity none;
    return worker != nullptr ? *worker : none;
}

const RoutingKey& TaskRecord::key() const {
    return function->second.key;
}

void TaskManager::submit(const Identity& client, Task task, Buffer frame,
                         std::uint32_t frameEndpoint, Bytes graph) {
    auto [it, inserted] = tasks_.try_emplace(TaskId(task.taskId));
    if (!inserted) {
        logger().warn("client {} submitted task {} twice; the second copy is ignored",
                      printable(client), toHex(task.taskId));
        return;
    }
    TaskRecord& record = it->second;
    record.id = &it->first;
    auto c = clients_.try_emplace(client, 0).first;
    ++c->second;
    record.client = &c->first;
    auto f = functions_.find(task.funcObjectId);
    if (f == functions_.end()) {
        RoutingKey key = routingKeyOf(task.funcObjectId);
        f = functions_.try_emplace(task.funcObjectId, TaskRecord::Function{std::move(key), 0})
                .first;
    }
    ++f->second.tasks;
    record.function = &*f;
    // The frame holds the task: the decoded copy is not kept beside it.
    if (frame.empty() || !graph.empty())
        // Braces, not make_unique: clang 14 (the sanitizer and fuzz build) has no
        // parenthesized initialization of aggregates.
        record.built.reset(new TaskRecord::Built{std::move(task), std::move(graph)});
    record.frame = std::move(frame);
    record.frameEndpoint = frameEndpoint;
    if (auto* worker = pickFor(record)) {
        assign(record, *worker);
    } else {
        enqueue(record, false);
    }
}

void TaskManager::releaseInterned(const Identity* client,
                                  const TaskRecord::FunctionEntry* function) {
    if (auto c = clients_.find(*client); c != clients_.end() && --c->second == 0) clients_.erase(c);
    if (auto f = functions_.find(function->first);
        f != functions_.end() && --f->second.tasks == 0) {
        functions_.erase(f);
    }
}

void TaskManager::enqueue(TaskRecord& record, bool front) {
    record.state = TaskRecord::State::queued;
    record.worker = nullptr;
    record.sequence = front ? nextFrontSequence_-- : nextSequence_++;
    auto& queue = queues_[record.key()];
    if (front) {
        queue.emplace_front(record.sequence, *record.id);
    } else {
        queue.emplace_back(record.sequence, *record.id);
    }
    if (observer_) observer_->taskEntered(record, TaskStatus::inactive);
}

void TaskManager::assign(TaskRecord& record, WorkerPool::Worker& worker) {
    record.state = TaskRecord::State::assigned;
    record.worker = &worker.address.peer;
    record.sequence = nextDispatch_++;
    ++worker.outstanding;
    byWorker_[*record.worker].insert(*record.id);
    if (observer_) observer_->taskEntered(record, TaskStatus::running);
    if (record.frame.empty()) {
        outbox_.send(worker.address, record.built->task);
    } else {
        outbox_.forwardFrame(worker.address, record.frameEndpoint, record.frame);
    }
}

bool TaskManager::isCurrent(const QueueEntry& entry) const {
    auto it = tasks_.find(entry.second);
    return it != tasks_.end() && it->second.state == TaskRecord::State::queued &&
           it->second.sequence == entry.first;
}

TaskManager::Queue* TaskManager::oldestQueueFor(const WorkerPool::Worker& worker) {
    // The queue (among those this worker can serve) whose head was queued first. Stale heads
    // are dropped first so the comparison sees live tasks.
    Queue* best = nullptr;
    auto consider = [&](const RoutingKey& key) {
        auto q = queues_.find(key);
        if (q == queues_.end()) return;
        auto& queue = q->second;
        while (!queue.empty()) {
            if (isCurrent(queue.front())) {
                if (held_.empty()) break;
                const Identity& client = *tasks_.at(queue.front().second).client;
                if (!held_.contains(client)) break;
                // Held: moved aside, in order, so that the tasks of others behind it can go.
                parked_[client].push_back(std::move(queue.front()));
            }
            queue.pop_front();
        }
        if (!queue.empty() && (best == nullptr || queue.front().first < best->front().first))
            best = &queue;
    };
    if (!worker.native) {
        consider(RoutingKey());
    } else {
        for (const auto& function : worker.functions) consider(function);
    }
    return best;
}

void TaskManager::dispatchTo(const Identity& workerId) {
    auto* worker = workers_.find(workerId);
    if (worker == nullptr) return;
    while (!worker->held && worker->outstanding < worker->capacity) {
        auto* queue = oldestQueueFor(*worker);
        if (queue == nullptr) return;
        TaskRecord& record = tasks_.at(queue->front().second);
        queue->pop_front();
        assign(record, *worker);
    }
}

void TaskManager::releaseWorkerSlot(TaskRecord& record) {
    if (record.worker == nullptr) return;
    if (auto* worker = workers_.find(*record.worker);
        worker != nullptr && worker->outstanding > 0) {
        --worker->outstanding;
    }
    if (auto it = byWorker_.find(*record.worker); it != byWorker_.end()) {
        it->second.erase(*record.id);
        if (it->second.empty()) byWorker_.erase(it);
    }
}

void TaskManager::onResult(const PeerAddress& worker, TaskResult result, const Buffer& frame,
                           std::uint32_t frameEndpoint) {
    auto it = tasks_.find(TaskId(result.taskId));
    if (it == tasks_.end() || it->second.state == TaskRecord::State::queued ||
        it->second.workerId() != worker.peer) {
        // Not (or no longer) this worker's task: e.g. a worker that was presumed dead and whose
        // task already went elsewhere, or one that outlived a scheduler restart. Delivering it
        // would finish the task twice.
        logger().debug("dropped a stale result for task {} from {}", toHex(result.taskId),
                       printable(worker.peer));
        dropResultObjects(result);
        return;
    }
    TaskRecord& record = it->second;
    const bool wasCanceling = record.state == TaskRecord::State::canceling;
    releaseWorkerSlot(record);
    const bool givenBack =
        result.status == TaskStatus::canceled || result.status == TaskStatus::notFound;
    if (givenBack && !wasCanceling && !record.clientGone) {
        // The worker gave up a task nobody cancelled (Scaler's balancing path, or a worker that
        // lost it): run it elsewhere.
        enqueue(record, true);
        if (auto* w = pickFor(record)) {
            assign(record, *w);
        }
    } else {
        finish(*record.id, result, &frame, frameEndpoint);
    }
    dispatchTo(worker.peer);
}

void TaskManager::finish(const TaskId& taskId, const TaskResult& result, const Buffer* frame,
                         std::uint32_t frameEndpoint) {
    auto it = tasks_.find(taskId);
    if (it == tasks_.end()) return;
    // Out of the map, but its node (and the key record.id points at) lives until this returns.
    auto node = tasks_.extract(it);
    TaskRecord& record = node.mapped();
    if (observer_) observer_->taskEnded(record, result);
    if (record.clientGone) {
        dropResultObjects(result);
    } else {
        listener_.taskFinished(record, result, frame, frameEndpoint);
    }
    // After the listener: what it does (a graph submitting its next nodes) may reuse them.
    releaseInterned(record.client, record.function);
}

void TaskManager::dropResultObjects(const TaskResult& result) {
    if (!carriesResultObjects(result.status)) return;
    // The worker created them (ObjectInstruction before TaskResult, on the same link) in the
    // name of the task's client. Workers are trusted with objects as they are with results.
    for (const auto& id : result.results) {
        if (const auto* object = objects_.find(id)) objects_.remove(object->owner, {id});
    }
}

void TaskManager::finishWorkerDied(const TaskId& taskId, const std::string& why) {
    auto it = tasks_.find(taskId);
    if (it == tasks_.end()) return;
    const TaskRecord& record = it->second;
    TaskResult result{taskId.str(), TaskStatus::workerDied, {}, {}};
    if (!record.clientGone) {
        // A result object with the reason, owned by the client like any result: a plexus client
        // fetches it for the error it raises; a stock client raises WorkerDiedError without it,
        // and the object goes when the client clears or leaves.
        ObjectManager::Object object;
        object.owner = *record.client;
        object.name = "<worker died>";
        object.chunks.push_back(Buffer::copyOf(std::string_view(why)));
        Bytes id = newObjectId(objectIdPrefix(*record.client));
        objects_.put(id, std::move(object));
        result.results.push_back(std::move(id));
    }
    logger().warn("{}; the task of client {} ends as workerDied", why, printable(*record.client));
    finish(taskId, result, nullptr, 0);
}

void TaskManager::cancel(const Identity& client, const TaskCancel& request) {
    auto it = tasks_.find(TaskId(request.taskId));
    if (it == tasks_.end() || *it->second.client != client) {
        // Unknown (already finished, or never submitted): say so; clients ignore results for
        // tasks they no longer track.
        TaskResult notFound{request.taskId, TaskStatus::notFound, {}, {}};
        TaskRecord record;
        record.client = &client;
        const TaskId id(request.taskId);
        record.id = &id;
        listener_.taskFinished(record, notFound, nullptr, 0);
        return;
    }
    TaskRecord& record = it->second;
    switch (record.state) {
        case TaskRecord::State::queued:
            finish(*record.id, TaskResult{request.taskId, TaskStatus::canceled, {}, {}}, nullptr,
                   0);
            return;
        case TaskRecord::State::assigned:
            record.state = TaskRecord::State::canceling;
            if (observer_) observer_->taskEntered(record, TaskStatus::canceling);
            if (auto* worker = workers_.find(*record.worker))
                outbox_.send(worker->address, request);
            return;
        case TaskRecord::State::canceling:
            return;
    }
}

void TaskManager::abandon(const Bytes& taskId) {
    auto it = tasks_.find(TaskId(taskId));
    if (it == tasks_.end()) return;
    TaskRecord& record = it->second;
    record.clientGone = true;
    if (record.state == TaskRecord::State::queued) {
        finish(*record.id, TaskResult{taskId, TaskStatus::canceled, {}, {}}, nullptr, 0);
    } else if (record.state == TaskRecord::State::assigned) {
        // Kept until the worker answers, so its slot stays counted; the answer is dropped.
        record.state = TaskRecord::State::canceling;
        if (observer_) observer_->taskEntered(record, TaskStatus::canceling);
        if (auto* worker = workers_.find(*record.worker))
            outbox_.send(worker->address, TaskCancel{taskId, false, false});
    }
}

void TaskManager::onWorkerJoined(const Identity& workerId) {
    auto dead = std::find_if(deadWorkers_.begin(), deadWorkers_.end(),
                             [&](const auto& entry) { return entry.first == workerId; });
    if (dead != deadWorkers_.end()) {
        // It was only hung. What it held was re-run or ended meanwhile: it should not spend its
        // time on that. Whatever it answers for these tasks is stale and dropped.
        const std::vector<Bytes> held = std::move(dead->second);
        deadWorkers_.erase(dead);
        if (auto* worker = workers_.find(workerId)) {
            logger().info("worker {} is back after being declared dead; it drops {} old task(s)",
                          printable(workerId), held.size());
            for (const auto& taskId : held) outbox_.send(worker->address, TaskCancel{taskId});
        }
    }
    dispatchTo(workerId);
}

void TaskManager::rememberDeadWorker(const Identity& worker, std::vector<Bytes> held) {
    if (deadWorkers_.size() == kRememberedDeadWorkers) deadWorkers_.pop_front();
    deadWorkers_.emplace_back(worker, std::move(held));
}

void TaskManager::onWorkerGone(const Identity& workerId, WorkerExit how) {
    auto it = byWorker_.find(workerId);
    if (it == byWorker_.end()) return;
    std::vector<TaskRecord*> lost;
    for (const auto& taskId : it->second) lost.push_back(&tasks_.at(taskId));
    byWorker_.erase(it);
    // In the order they were sent to it: the order it runs them in.
    std::sort(lost.begin(), lost.end(), [](auto* a, auto* b) { return a->sequence < b->sequence; });
    const auto* worker = workers_.find(workerId);
    const std::size_t executing =
        std::max<std::size_t>(1, worker == nullptr ? 0 : worker->executors);

    std::vector<TaskId> canceled;
    std::vector<std::pair<TaskId, std::string>> died;
    std::vector<TaskRecord*> requeue;
    for (std::size_t i = 0; i < lost.size(); ++i) {
        TaskRecord& record = *lost[i];
        record.worker = nullptr;
        if (record.state == TaskRecord::State::canceling) {
            canceled.push_back(*record.id);  // cancelled and its worker is gone: done
        } else if (how == WorkerExit::left) {
            requeue.push_back(&record);
        } else if (policy_.onWorkerDeath == RequeuePolicy::OnWorkerDeath::fail) {
            died.emplace_back(*record.id,
                              fmt::format("worker {} died holding task {} (no heartbeat within "
                                          "the worker timeout); on_worker_death is 'fail', so it "
                                          "is not run again",
                                          printable(workerId), toHex(record.id->view())));
        } else if (i < executing && ++record.retries > policy_.maxTaskRetries) {
            died.emplace_back(
                *record.id,
                fmt::format("worker {} died while running task {} (no heartbeat within the "
                            "worker timeout); workers died running it {} time(s) and "
                            "max_task_retries is {}, so it is not run again",
                            printable(workerId), toHex(record.id->view()), record.retries,
                            policy_.maxTaskRetries));
        } else {
            requeue.push_back(&record);
        }
    }
    if (how == WorkerExit::died) {
        std::vector<Bytes> held;
        held.reserve(lost.size());
        for (const auto* record : lost) held.push_back(record->id->str());
        rememberDeadWorker(workerId, std::move(held));
    }
    // Each to the front, newest first, so the oldest ends up first. No record is finished
    // before this (finishing may erase records, e.g. through a graph that fails).
    for (auto r = requeue.rbegin(); r != requeue.rend(); ++r) enqueue(**r, true);
    for (const auto& taskId : canceled)
        finish(taskId, TaskResult{taskId.str(), TaskStatus::canceled, {}, {}}, nullptr, 0);
    for (const auto& [taskId, why] : died) finishWorkerDied(taskId, why);
    // The queue heads may now run on other workers with room.
    for (const auto& [identity, w] : workers_.workers()) {
        if (identity != workerId) dispatchTo(identity);
    }
}

void TaskManager::onClientGone(const Identity& client) {
    held_.erase(client);
    parked_.erase(client);  // their tasks are abandoned below
    auto c = clients_.find(client);
    if (c == clients_.end()) return;
    std::vector<Bytes> ids;
    ids.reserve(c->second);
    for (const auto& [id, record] : tasks_) {
        if (record.client == &c->first) ids.push_back(id.str());
    }
    for (const auto& taskId : ids) abandon(taskId);
}

WorkerPool::Worker* TaskManager::pickFor(const TaskRecord& record) {
    return clientHeld(*record.client) ? nullptr : workers_.pick(record.key());
}

bool TaskManager::setClientHeld(const Identity& client, bool held) {
    if (held) return held_.insert(client).second;
    if (held_.empty() || held_.erase(client) == 0) return false;
    if (auto parked = parked_.find(client); parked != parked_.end()) {
        const std::vector<QueueEntry> entries = std::move(parked->second);
        parked_.erase(parked);
        // Each left from the head of its queue, oldest first: back to the heads, newest first,
        // each with a front sequence, so they come before everything queued meanwhile.
        for (auto entry = entries.rbegin(); entry != entries.rend(); ++entry) {
            if (!isCurrent(*entry)) continue;  // cancelled (or re-queued) meanwhile
            TaskRecord& record = tasks_.at(entry->second);
            record.sequence = nextFrontSequence_--;
            queues_[record.key()].emplace_front(record.sequence, *record.id);
        }
    }
    for (const auto& [identity, worker] : workers_.workers()) dispatchTo(identity);
    return true;
}

const TaskRecord* TaskManager::find(const Bytes& taskId) const {
    auto it = tasks_.find(TaskId(taskId));
    return it == tasks_.end() ? nullptr : &it->second;
}

std::size_t TaskManager::queuedCount() const {
    std::size_t n = 0;
    for (const auto& [id, record] : tasks_) n += record.state == TaskRecord::State::queued;
    return n;
}

std::size_t TaskManager::tasksOf(const Identity& client) const {
    auto it = clients_.find(client);
    return it == clients_.end() ? 0 : it->second;
}

}  // namespace plexus::detail
