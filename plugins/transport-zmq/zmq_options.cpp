#include "zmq_options.h"

#include <cstdint>
#include <exception>
#include <limits>
#include <string>

namespace plexus::zmq {
namespace {

/// An integer at `key` in [minimum, maximum], or `fallback` when the key is absent. libzmq takes
/// every one of these as an int, hence the common upper bound.
std::int64_t bounded(const ConfigNode& node, std::string_view key, std::int64_t fallback,
                     std::int64_t minimum, std::int64_t maximum = std::numeric_limits<int>::max()) {
    const std::int64_t value = node.get<std::int64_t>(key, fallback);
    if (value < minimum || value > maximum) {
        throw node[key].error(minimum == 0 ? "must be a non-negative integer that fits an int"
                                           : "must be a positive integer that fits an int");
    }
    return value;
}

}  // namespace

Result<ZmqOptions> parseZmqOptions(const ConfigNode& node) noexcept {
    try {
        node.allowOnly({"pattern", "pub_sndhwm", "reconnect_initial_ms", "reconnect_max_ms",
                        "keepalive_idle_seconds", "linger_ms", "io_threads", "announce"});
        ZmqOptions options;
        const std::string pattern = node.get<std::string>("pattern", "router_dealer");
        if (pattern == "pub") {
            options.pattern = ZmqOptions::Pattern::pub;
        } else if (pattern != "router_dealer") {
            throw node["pattern"].error("expected router_dealer or pub");
        }
        // 0 would be libzmq's "no limit": a stuck subscriber could then grow the publisher
        // without bound, which is what the limit is for.
        options.pubSendHighWaterMark =
            static_cast<int>(bounded(node, "pub_sndhwm", options.pubSendHighWaterMark, 1));
        options.reconnectInitial = std::chrono::milliseconds(
            bounded(node, "reconnect_initial_ms", options.reconnectInitial.count(), 1));
        options.reconnectMax = std::chrono::milliseconds(
            bounded(node, "reconnect_max_ms", options.reconnectMax.count(), 1));
        options.keepaliveIdle = std::chrono::seconds(
            bounded(node, "keepalive_idle_seconds", options.keepaliveIdle.count(), 1));
        options.linger =
            std::chrono::milliseconds(bounded(node, "linger_ms", options.linger.count(), 0));
        // More I/O threads than this is a configuration mistake, not a tuning choice.
        options.ioThreads = static_cast<int>(bounded(node, "io_threads", options.ioThreads, 1, 64));
        options.announce = node.get<bool>("announce", options.announce);
        if (options.reconnectMax < options.reconnectInitial) {
            throw node["reconnect_max_ms"].error("must not be less than reconnect_initial_ms");
        }
        return options;
    } catch (const ConfigError& error) {
        return fail(ErrorKind::InvalidConfig, error.what());
    } catch (const std::exception& error) {
        return fail(ErrorKind::InvalidConfig, node.errorValue(error.what()).message);
    } catch (...) {
        return fail(ErrorKind::InvalidConfig, "zmq transport options: unknown error");
    }
}

}  // namespace plexus::zmq
