#include "scheduler/scheduler_core.h"

#include "plexus/log.h"

namespace plexus::detail {
namespace {

// Who may send each message kind to a scheduler.
enum class Sender { client, worker, either, nobody };

Sender allowedSender(MessageKind kind) {
    switch (kind) {
        case MessageKind::task:
        case MessageKind::taskCancel:
        case MessageKind::graphTask:
        case MessageKind::graphTaskCancel:
        case MessageKind::clientHeartbeat:
        case MessageKind::clientDisconnect:
        case MessageKind::clientCapabilities:
            return Sender::client;
        case MessageKind::taskResult:
        case MessageKind::workerHeartbeat:
        case MessageKind::workerCapabilities:
        case MessageKind::disconnectRequest:
            return Sender::worker;
        case MessageKind::objectInstruction:
        case MessageKind::objectRequest:
            return Sender::either;
        default:
            return Sender::nobody;  // echoes, responses, monitor and worker-internal messages
    }
}

}  // namespace

SchedulerCore::SchedulerCore(const SchedulerSettings& settings, Outbox& outbox)
    : settings_(settings),
      outbox_(outbox),
      clients_(PeerRole::client, settings.clientTimeout),
      workers_(PeerRole::worker, settings.workerTimeout),
      pool_(settings.perWorkerQueueSize),
      objects_(outbox),
      tasks_(outbox, pool_, objects_, *this, settings.requeue),
      graphs_(tasks_, objects_,
              [this](const Identity& client, const TaskResult& result) {
                  deliver(client, result, nullptr, 0);
              }),
      flow_(settings.unfetchedResultsHighBytes, settings.unfetchedResultsLowBytes) {}

void SchedulerCore::setObserver(SchedulerObserver* observer) {
    observer_ = observer;
    tasks_.setObserver(observer);
}

void SchedulerCore::refuse(const PeerAddress& from, MessageKind kind, std::string_view why) {
    ++refused_;
    logger().warn("refused {} from {}: {}", messageKindName(kind), printable(from.peer), why);
}

void SchedulerCore::onMessage(const PeerAddress& from, Message message, const Buffer& frame,
                              Clock::time_point now) {
    const MessageKind kind = kindOf(message);
    const Sender sender = allowedSender(kind);
    const bool isClient = clients_.contains(from.peer);
    const bool isWorker = workers_.contains(from.peer);
    if (sender == Sender::nobody)
        return refuse(from, kind, "a scheduler does not accept this message type");
    if (sender == Sender::client && isWorker)
        return refuse(from, kind, "sent by a worker; only clients send it");
    if (sender == Sender::worker && isClient)
        return refuse(from, kind, "sent by a client; only workers send it");
    // A client's or worker's own messages make it known even before its next heartbeat (after a
    // scheduler restart, a peer's first message may be a task or a result).
    if (sender == Sender::client && kind != MessageKind::clientHeartbeat && !isClient)
        clients_.touch(from, now);
    if (kind == MessageKind::taskResult && !isWorker) registerWorker(from, now);

    switch (kind) {
        case MessageKind::clientHeartbeat:
            return onClientHeartbeat(from, now);
        case MessageKind::workerHeartbeat:
            return onWorkerHeartbeat(from, std::get<WorkerHeartbeat>(message), now);
        case MessageKind::workerCapabilities:
            return onWorkerCapabilities(from, std::move(std::get<WorkerCapabilities>(message)),
                                        now);
        case MessageKind::clientCapabilities:
            return onClientCapabilities(from, std::get<ClientCapabilities>(message));
        case MessageKind::task: {
            auto& task = std::get<Task>(message);
            if (task.source != from.peer) {
                return refuse(from, kind, "Task.source is not the sender's identity");
            }
            return tasks_.submit(from.peer, std::move(task), frame.share(), from.endpoint);
        }
        case MessageKind::taskResult:
            return tasks_.onResult(from, std::move(std::get<TaskResult>(message)), frame,
                                   from.endpoint);
        case MessageKind::taskCancel:
            return onTaskCancel(from, std::get<TaskCancel>(message));
        case MessageKind::graphTask:
            return graphs_.submit(from.peer, std::move(std::get<GraphTask>(message)));
        case MessageKind::graphTaskCancel:
            graphs_.cancel(from.peer, std::get<GraphTaskCancel>(message).taskId);
            return;
        case MessageKind::objectInstruction:
            return onObjectInstruction(from, std::move(std::get<ObjectInstruction>(message)));
        case MessageKind::objectRequest: {
            const bool fromWorker = workers_.contains(from.peer);
            objects_.request(from, fromWorker,
                             std::move(std::get<ObjectRequest>(message).objectIds));
            if (!fromWorker) updateHold(from.peer);  // the client fetched some of its results
            return;
        }
        case MessageKind::disconnectRequest:
            return onDisconnectRequest(from, std::get<DisconnectRequest>(message));
        case MessageKind::clientDisconnect:
            return onClientDisconnect(from, std::get<ClientDisconnect>(message));
        default:
            return;
    }
}

void SchedulerCore::onClientHeartbeat(const PeerAddress& from, Clock::time_point now) {
    if (clients_.touch(from, now)) {
        logger().info("client {} connected", printable(from.peer));
        updateHold(from.peer);  // its link may have been congested before it said who it is
    }
    // Scaler's heartbeats are ping-pong: a peer sends the next one only after this echo.
    outbox_.send(from, ClientHeartbeatEcho{});
}

void SchedulerCore::onClientCapabilities(const PeerAddress& from,
                                         const ClientCapabilities& capabilities) {
    // Known by now: a client's message registers it (onMessage). Sent after every heartbeat, so
    // this usually changes nothing.
    if (!clients_.setFeatures(from.peer, capabilities.features)) return;
    logger().debug("client {} announced features {:#x} (protocol {})", printable(from.peer),
                   capabilities.features, capabilities.protocolVersion);
    updateHold(from.peer);
}

void SchedulerCore::onWorkerHeartbeat(const PeerAddress& from, const WorkerHeartbeat& heartbeat,
                                      Clock::time_point now) {
    registerWorker(from, now);
    if (observer_) observer_->workerHeartbeat(from.peer, heartbeat);
    // A stock worker runs one task per processor (a plexus worker says so in its capabilities
    // and lists no processors).
    if (!heartbeat.processors.empty()) {
        pool_.find(from.peer)->executors = static_cast<std::uint32_t>(heartbeat.processors.size());
    }
    outbox_.send(from, WorkerHeartbeatEcho{});
}

void SchedulerCore::onWorkerCapabilities(const PeerAddress& from, WorkerCapabilities capabilities,
                                         Clock::time_point now) {
    // Announce before any dispatch: a worker registered without its functions would count as a
    // stock worker and could be handed a Python task.
    const bool isNew = workers_.touch(from, now);
    pool_.add(from);
    pool_.find(from.peer)->executors = capabilities.executors;
    if (isNew) {
        logger().info("plexus worker {} connected ({} functions)", printable(from.peer),
                      capabilities.functions.size());
        if (observer_) observer_->workerConnected(from.peer);
        updateHold(from.peer);  // its link may have been congested before it said who it is
    }
    const bool changed = pool_.announce(from.peer, std::move(capabilities.functions));
    if (isNew) {
        tasks_.onWorkerJoined(from.peer);
    } else if (changed) {
        tasks_.dispatchTo(from.peer);
    }
}

void SchedulerCore::registerWorker(const PeerAddress& from, Clock::time_point now) {
    const bool isNew = workers_.touch(from, now);
    pool_.add(from);
    if (isNew) {
        logger().info("worker {} connected", printable(from.peer));
        if (observer_) observer_->workerConnected(from.peer);
        updateHold(from.peer);
        tasks_.onWorkerJoined(from.peer);
    }
}

void SchedulerCore::onObjectInstruction(const PeerAddress& from, ObjectInstruction instruction) {
    switch (instruction.instructionType) {
        case ObjectInstructionType::create:
            // Objects belong to clients. A worker's result object names the task's client; if
            // that client has gone, nobody can ever fetch it, so it is not stored.
            if (!clients_.contains(instruction.objectUser)) {
                logger().debug("dropped objects for unknown client {}",
                               printable(instruction.objectUser));
                return;
            }
            return objects_.create(instruction.objectUser, std::move(instruction.objectContent));
        case ObjectInstructionType::del:
        case ObjectInstructionType::clear:
            // A peer may delete only what it owns.
            objects_.remove(from.peer, instruction.objectContent.ids);
            return updateHold(from.peer);  // deleted results no longer wait to be fetched
    }
}

void SchedulerCore::onTaskCancel(const PeerAddress& from, const TaskCancel& cancel) {
    const TaskRecord* record = tasks_.find(cancel.taskId);
    if ((record != nullptr && record->graph()) || record == nullptr) {
        if (graphs_.cancel(from.peer, cancel.taskId)) return;
    }
    tasks_.cancel(from.peer, cancel);
}

void SchedulerCore::onDisconnectRequest(const PeerAddress& from, const DisconnectRequest& request) {
    // A stock 1.9.9 worker has closed its socket by now and would not understand a
    // DisconnectResponse, so none is sent.
    if (workers_.contains(from.peer)) workerGone(from.peer, WorkerExit::left, "left");
}

void SchedulerCore::onClientDisconnect(const PeerAddress& from, const ClientDisconnect& request) {
    if (request.disconnectType == DisconnectType::disconnect) {
        if (clients_.contains(from.peer)) clientGone(from.peer, "disconnected");
        return;
    }
    const bool accepted = !settings_.protectedMode;
    outbox_.send(from, ClientShutdownResponse{accepted});
    if (!accepted) {
        logger().warn("client {} asked to shut the cluster down; refused (protected mode)",
                      printable(from.peer));
        return;
    }
    logger().info("client {} shut the cluster down", printable(from.peer));
    for (const auto& [identity, worker] : workers_.peers()) {
        outbox_.send(worker.address, ClientDisconnect{DisconnectType::shutdown});
    }
    shuttingDown_ = true;
    outbox_.requestStop();
}

void SchedulerCore::onPeerDisconnected(const PeerAddress& peer, const Error& reason,
                                       Clock::time_point now) {
    flow_.linkDown(peer);
    if (reason.kind == ErrorKind::Overloaded) {
        // The transport cut off a peer that did not read (SendLimits::hardLimitBytes): what it
        // had queued is gone, so it is treated as gone too, freeing what it holds.
        const std::string why = "was cut off: " + reason.message;
        if (clients_.contains(peer.peer)) clientGone(peer.peer, why);
        if (workers_.contains(peer.peer)) workerGone(peer.peer, WorkerExit::died, why);
        return;
    }
    // Otherwise liveness is decided by heartbeats, as in Scaler: a transport link may drop and
    // come back (reconnect) without the peer leaving. Nothing to do until the timeout.
    updateHold(peer.peer);
}

void SchedulerCore::onPeerBackpressure(const PeerAddress& peer, bool congested,
                                       Clock::time_point now) {
    flow_.linkCongestion(peer, congested);
    if (!congested) {
        // It has read tens of MiB: alive. While congested its heartbeats may have waited unread
        // (the transport stops reading a congested peer), so they cannot be held against it.
        if (const auto* client = clients_.find(peer.peer); client && client->address == peer)
            clients_.touch(peer, now);
        if (const auto* worker = workers_.find(peer.peer); worker && worker->address == peer)
            workers_.touch(peer, now);
    }
    updateHold(peer.peer);
}

void SchedulerCore::updateHold(const Identity& peer) {
    if (const auto* client = clients_.find(peer)) {
        const std::size_t unfetched =
            fetchesEagerly(*client) ? objects_.unfetchedBytes(peer) : std::size_t{0};
        const bool held = flow_.holdClient(peer, unfetched);
        if (tasks_.setClientHeld(peer, held)) {
            if (!held) {
                logger().info("client {} released: its queued tasks go to workers again",
                              printable(peer));
            } else if (flow_.linkCongested(peer)) {
                logger().info(
                    "client {} held: it does not read what is sent to it; its queued "
                    "tasks wait",
                    printable(peer));
            } else {
                logger().info(
                    "client {} held: {} bytes of its results wait to be fetched; its "
                    "queued tasks wait",
                    printable(peer), unfetched);
            }
        }
    } else if (workers_.contains(peer)) {
        const bool held = flow_.linkCongested(peer);
        if (pool_.setHeld(peer, held)) {
            logger().info(
                "worker {} {}", printable(peer),
                held ? "held: it does not read what is sent to it; no new tasks" : "released");
            if (!held) tasks_.dispatchTo(peer);
        }
    }
}

void SchedulerCore::onTick(Clock::time_point now) {
    for (const auto& client : clients_.expire(now)) clientGone(client, "timed out");
    for (const auto& worker : workers_.expire(now))
        workerGone(worker, WorkerExit::died, "timed out");
}

void SchedulerCore::clientGone(const Identity& client, std::string_view why) {
    clients_.remove(client);
    flow_.forget(client);
    graphs_.onClientGone(client);
    tasks_.onClientGone(client);
    objects_.removeAllOwnedBy(client);
    objects_.forgetPeer(client);
    logger().info("client {} {}", printable(client), why);
}

void SchedulerCore::workerGone(const Identity& worker, WorkerExit how, std::string_view why) {
    if (observer_) observer_->workerDisconnected(worker);
    workers_.remove(worker);
    tasks_.onWorkerGone(worker, how);  // reads the worker's executors from the pool
    flow_.forget(worker);
    pool_.remove(worker);
    objects_.forgetPeer(worker);
    logger().info("worker {} {}", printable(worker), why);
}

void SchedulerCore::taskFinished(const TaskRecord& record, const TaskResult& result,
                                 const Buffer* frame, std::uint32_t frameEndpoint) {
    if (record.graph()) return graphs_.onNodeFinished(record, result);
    deliver(*record.client, result, frame, frameEndpoint);
}

void SchedulerCore::deliver(const Identity& client, const TaskResult& result, const Buffer* frame,
                            std::uint32_t frameEndpoint) {
    const auto* peer = clients_.find(client);
    if (peer == nullptr) return;  // the client left; nobody to tell
    ++delivered_;
    if (frame != nullptr && !frame->empty()) {
        outbox_.forward(peer->address, frameEndpoint, result, *frame);
    } else {
        outbox_.send(peer->address, result);
    }
    if (fetchesEagerly(*peer) &&
        (result.status == TaskStatus::success || result.status == TaskStatus::failed)) {
        objects_.markUnfetched(client, result.results);
        updateHold(client);
    }
}

}  // namespace plexus::detail
