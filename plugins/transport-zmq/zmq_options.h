#pragma once

#include <chrono>

#include "plexus/config.h"
#include "plexus/result.h"

namespace plexus::zmq {

/// The zmq plugin's own configuration (the `options` subtree given to the factory). Every key is
/// optional; unknown keys are refused.
struct ZmqOptions {
    /// What the transport's sockets are. `routerDealer` (the default) is Scaler's message pipe:
    /// listen() binds a ROUTER, connect() opens a DEALER. `pub` is a one-way broadcast (Scaler's
    /// monitor socket): listen() binds a PUB, send() publishes to every subscriber whatever PeerId
    /// it is given, connect() is refused, and the handler is never called.
    enum class Pattern { routerDealer, pub };
    Pattern pattern = Pattern::routerDealer;
    /// ZMQ_SNDHWM of the PUB socket (pattern `pub` only): messages queued per subscriber before
    /// libzmq drops further ones for that subscriber. A PUB never blocks its sender, so this is
    /// what bounds the memory a slow or stuck subscriber can cost the publisher. 10,000 holds
    /// several seconds of a busy scheduler's monitor stream. (Scaler sets 0, unbounded.)
    int pubSendHighWaterMark = 10000;
    /// ZMQ_RECONNECT_IVL: first reconnect delay of a connect()ed link (libzmq doubles it after
    /// each failed attempt). Short, so that a restarted scheduler is found again quickly; the
    /// same default as the tcp transport.
    std::chrono::milliseconds reconnectInitial{100};
    /// ZMQ_RECONNECT_IVL_MAX: cap of the reconnect delay, so a peer that is down for long is
    /// retried at a modest rate. Also the delay before a link refused for its protocol version
    /// is tried again.
    std::chrono::milliseconds reconnectMax{5000};
    /// Idle time before TCP keep-alive probes start (as the tcp transport and Scaler's YMQ), so a
    /// peer that vanished without FIN or RST is eventually noticed.
    std::chrono::seconds keepaliveIdle{30};
    /// ZMQ_LINGER at destruction: how long queued frames may still be written (a scheduler's
    /// last answers, a worker's DisconnectRequest). The tcp transport drains for 2 s too.
    std::chrono::milliseconds linger{2000};
    /// libzmq background I/O threads of this transport's context. One moves well over a GB/s;
    /// more only help a scheduler with very many busy links.
    int ioThreads = 1;
    /// When true, a connect()ed link announces itself with ZMQ_PROBE_ROUTER (an empty message at
    /// the start of every connection), so a plexus listener reports the link up before any frame
    /// arrives. Set it to false to connect to a stock Scaler scheduler, which would take the
    /// empty message for a malformed one; a plexus listener then reports the link up at its
    /// first frame.
    bool announce = true;
};

/// Reads and validates `node` (which may be absent). Keys: pattern (router_dealer | pub),
/// pub_sndhwm, reconnect_initial_ms, reconnect_max_ms, keepalive_idle_seconds, linger_ms,
/// io_threads, announce. Returns
/// ErrorKind::InvalidConfig naming the file, line and key on a mistake. Never throws.
Result<ZmqOptions> parseZmqOptions(const ConfigNode& node) noexcept;

}  // namespace plexus::zmq
