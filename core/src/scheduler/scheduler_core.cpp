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
        case MessageKind::clientDisconnect: return Sender::client;
        case MessageKind::taskResult:
        case MessageKind::workerHeartbeat:
        case MessageKind::disconnectRequest: return Sender::worker;
        case MessageKind::objectInstruction:
        case MessageKind::objectRequest: return Sender::either;
        default: return Sender::nobody;  // echoes, responses, monitor and worker-internal messages
    }
}

}  // namespace

SchedulerCore::SchedulerCore(const SchedulerSettings& settings, Outbox& outbox)
    : settings_(settings),
      outbox_(outbox),
      clients_(PeerRole::client, settings.clientTimeout),
      workers_(PeerRole::worker, settings.workerTimeout) {}

void SchedulerCore::refuse(const PeerAddress& from, MessageKind kind, std::string_view why) {
    ++refused_;
    logger().warn("refused {} from {}: {}", messageKindName(kind), printable(from.peer), why);
}

void SchedulerCore::onMessage(const PeerAddress& from, Message message, const Buffer& frame, Clock::time_point now) {
    const MessageKind kind = kindOf(message);
    const Sender sender = allowedSender(kind);
    const bool isClient = clients_.contains(from.peer);
    const bool isWorker = workers_.contains(from.peer);
    if (sender == Sender::nobody) return refuse(from, kind, "a scheduler does not accept this message type");
    if (sender == Sender::client && isWorker) return refuse(from, kind, "sent by a worker; only clients send it");
    if (sender == Sender::worker && isClient) return refuse(from, kind, "sent by a client; only workers send it");

    switch (kind) {
        case MessageKind::clientHeartbeat: return onClientHeartbeat(from, now);
        case MessageKind::workerHeartbeat: return onWorkerHeartbeat(from, now);
        case MessageKind::disconnectRequest:
            return onDisconnectRequest(from, std::get<DisconnectRequest>(message));
        case MessageKind::clientDisconnect: return onClientDisconnect(from, std::get<ClientDisconnect>(message));
        default:
            logger().debug("{} from {} is not handled yet", messageKindName(kind), printable(from.peer));
            return;
    }
}

void SchedulerCore::onClientHeartbeat(const PeerAddress& from, Clock::time_point now) {
    if (clients_.touch(from, now)) logger().info("client {} connected", printable(from.peer));
    // Scaler's heartbeats are ping-pong: a peer sends the next one only after this echo.
    outbox_.send(from, ClientHeartbeatEcho{});
}

void SchedulerCore::onWorkerHeartbeat(const PeerAddress& from, Clock::time_point now) {
    if (workers_.touch(from, now)) logger().info("worker {} connected", printable(from.peer));
    outbox_.send(from, WorkerHeartbeatEcho{});
}

void SchedulerCore::onDisconnectRequest(const PeerAddress& from, const DisconnectRequest& request) {
    // A stock 1.9.9 worker has closed its socket by now and would not understand a
    // DisconnectResponse, so none is sent.
    if (workers_.contains(from.peer)) workerGone(from.peer, "left");
}

void SchedulerCore::onClientDisconnect(const PeerAddress& from, const ClientDisconnect& request) {
    if (request.disconnectType == DisconnectType::disconnect) {
        if (clients_.contains(from.peer)) clientGone(from.peer, "disconnected");
        return;
    }
    const bool accepted = !settings_.protectedMode;
    outbox_.send(from, ClientShutdownResponse{accepted});
    if (!accepted) {
        logger().warn("client {} asked to shut the cluster down; refused (protected mode)", printable(from.peer));
        return;
    }
    logger().info("client {} shut the cluster down", printable(from.peer));
    for (const auto& [identity, worker] : workers_.peers()) {
        outbox_.send(worker.address, ClientDisconnect{DisconnectType::shutdown});
    }
    shuttingDown_ = true;
    outbox_.requestStop();
}

void SchedulerCore::onPeerDisconnected(const PeerAddress& peer, Clock::time_point now) {
    // Liveness is decided by heartbeats, as in Scaler: a transport link may drop and come back
    // (reconnect) without the peer leaving. Nothing to do until the timeout.
    logger().debug("link to {} closed", printable(peer.peer));
}

void SchedulerCore::onTick(Clock::time_point now) {
    for (const auto& client : clients_.expire(now)) clientGone(client, "timed out");
    for (const auto& worker : workers_.expire(now)) workerGone(worker, "timed out");
}

void SchedulerCore::clientGone(const Identity& client, std::string_view why) {
    clients_.remove(client);
    logger().info("client {} {}", printable(client), why);
}

void SchedulerCore::workerGone(const Identity& worker, std::string_view why) {
    workers_.remove(worker);
    logger().info("worker {} {}", printable(worker), why);
}

}  // namespace plexus::detail
