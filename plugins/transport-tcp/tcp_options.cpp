#include "tcp_options.h"

#include <cstdint>
#include <exception>

namespace plexus::tcp {
namespace {

/// A strictly positive integer at `key`, or `fallback` when the key is absent.
std::int64_t positive(const ConfigNode& node, std::string_view key, std::int64_t fallback) {
    const std::int64_t value = node.get<std::int64_t>(key, fallback);
    if (value <= 0) throw node[key].error("must be a positive integer");
    return value;
}

}  // namespace

Result<TcpOptions> parseTcpOptions(const ConfigNode& node) noexcept {
    try {
        node.allowOnly({"reconnect_initial_ms", "reconnect_max_ms", "keepalive_idle_seconds",
                        "handshake_timeout_ms"});
        TcpOptions options;
        options.reconnectInitial = std::chrono::milliseconds(
            positive(node, "reconnect_initial_ms", options.reconnectInitial.count()));
        options.reconnectMax = std::chrono::milliseconds(
            positive(node, "reconnect_max_ms", options.reconnectMax.count()));
        options.keepaliveIdle = std::chrono::seconds(
            positive(node, "keepalive_idle_seconds", options.keepaliveIdle.count()));
        options.handshakeTimeout = std::chrono::milliseconds(
            positive(node, "handshake_timeout_ms", options.handshakeTimeout.count()));
        if (options.reconnectMax < options.reconnectInitial) {
            throw node["reconnect_max_ms"].error("must not be less than reconnect_initial_ms");
        }
        // The kernel takes the keep-alive idle time as an int number of seconds.
        if (options.keepaliveIdle > std::chrono::hours(24 * 365)) {
            throw node["keepalive_idle_seconds"].error("must be at most one year");
        }
        return options;
    } catch (const ConfigError& error) {
        return fail(ErrorKind::InvalidConfig, error.what());
    } catch (const std::exception& error) {
        return fail(ErrorKind::InvalidConfig, node.errorValue(error.what()).message);
    } catch (...) {
        return fail(ErrorKind::InvalidConfig, "tcp transport options: unknown error");
    }
}

}  // namespace plexus::tcp
