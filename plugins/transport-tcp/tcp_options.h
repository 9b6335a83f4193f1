#pragma once

#include <chrono>

#include "plexus/config.h"
#include "plexus/result.h"

namespace plexus::tcp {

/// The tcp plugin's own configuration (the `options` subtree given to the factory). Every key is
/// optional; unknown keys are refused.
struct TcpOptions {
    /// First reconnect delay of a connect()ed link; it doubles after each failed attempt. Short,
    /// so that a restarted scheduler is found again quickly.
    std::chrono::milliseconds reconnectInitial{100};
    /// Cap of the reconnect delay, so a peer that is down for long is retried at a modest rate.
    std::chrono::milliseconds reconnectMax{5000};
    /// Idle time before TCP keep-alive probes start (Scaler's YMQ uses 30 s). A dead peer that
    /// sends no FIN or RST is noticed after idle + kKeepaliveProbes * kKeepaliveInterval.
    std::chrono::seconds keepaliveIdle{30};
    /// Time a new connection has to complete the peer's half of the handshake (magic + identity)
    /// before it is closed; bounds what a silent or half-open peer can hold.
    std::chrono::milliseconds handshakeTimeout{10000};
};

/// Reads and validates `node` (which may be absent). Keys: reconnect_initial_ms,
/// reconnect_max_ms, keepalive_idle_seconds, handshake_timeout_ms. Returns ErrorKind::InvalidConfig
/// naming the file, line and key on a mistake. Never throws.
Result<TcpOptions> parseTcpOptions(const ConfigNode& node) noexcept;

}  // namespace plexus::tcp
