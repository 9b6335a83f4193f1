#include "runtime/endpoint.h"

#include <exception>

#include <fmt/format.h>

#include "plexus/log.h"

namespace plexus::detail {

Endpoint::Endpoint(std::uint32_t index, EndpointConfig config, EventLoop& loop,
                   EndpointListener& listener)
    : index_(index),
      config_(std::move(config)),
      loop_(loop),
      listener_(listener),
      inbox_(loop, [this](std::vector<Event>& batch) {
          for (auto& event : batch) dispatch(event);
      }) {}

Endpoint::~Endpoint() {
    if (hosting_) loop_.unhost();  // no loop task may start on a transport being destroyed
    transport_.reset();            // joins the I/O thread before the inbox and codec go away
}

void Endpoint::hostLoop() {
    loop_.host(*transport_);
    hosting_ = true;
}

Result<std::unique_ptr<Endpoint>> Endpoint::create(std::uint32_t index, EndpointConfig config,
                                                   PluginRegistry& registry,
                                                   const Identity& identity,
                                                   std::size_t maxFrameBytes, EventLoop& loop,
                                                   EndpointListener& listener) {
    auto transportFactory = registry.transport(config.transport);
    if (!transportFactory) {
        return fail(transportFactory.error().kind,
                    fmt::format("{}: {}", config.node["transport"].location(),
                                transportFactory.error().message));
    }
    auto codecFactory = registry.codec(config.codec);
    if (!codecFactory) {
        return fail(
            codecFactory.error().kind,
            fmt::format("{}: {}", config.node["codec"].location(), codecFactory.error().message));
    }
    std::unique_ptr<Endpoint> endpoint(new Endpoint(index, std::move(config), loop, listener));
    auto codec = (*codecFactory)->create(CodecContext{endpoint->config_.codecOptions});
    if (!codec) return tl::unexpected(codec.error());
    endpoint->codec_ = std::move(*codec);
    auto transport = (*transportFactory)
                         ->create(TransportContext{identity, maxFrameBytes, endpoint.get(),
                                                   endpoint->config_.transportOptions,
                                                   endpoint->config_.sendLimits});
    if (!transport) return tl::unexpected(transport.error());
    endpoint->transport_ = std::move(*transport);
    return endpoint;
}

Result<std::string> Endpoint::listen() {
    auto bound = transport_->listen(config_.address);
    if (!bound) {
        return fail(bound.error().kind,
                    fmt::format("{}: cannot listen on {}: {}", config_.node["address"].location(),
                                config_.address, bound.error().message));
    }
    return bound;
}

Result<PeerId> Endpoint::connect() {
    auto peer = transport_->connect(config_.address);
    if (!peer) {
        return fail(peer.error().kind,
                    fmt::format("{}: cannot connect to {}: {}", config_.node["address"].location(),
                                config_.address, peer.error().message));
    }
    return peer;
}

bool Endpoint::send(const PeerId& peer, const Message& message) {
    auto frame = codec_->encode(message);
    if (!frame) {
        logger().error("cannot encode {} for {}: {}", messageKindName(kindOf(message)),
                       printable(peer), frame.error().describe());
        return false;
    }
    transport_->send(peer, std::move(*frame));
    return true;
}

Result<Message> Endpoint::decode(const Buffer& frame) const {
    return codec_->decode(frame);
}

void Endpoint::sendFrame(const PeerId& peer, Buffer frame) {
    transport_->send(peer, std::move(frame));
}

void Endpoint::disconnect(const PeerId& peer) {
    transport_->disconnect(peer);
}

std::uint64_t Endpoint::refusedFrames() const {
    return refused_.load(std::memory_order_relaxed);
}

// Before the loop began, events wait in the inbox (its drain runs first when the loop begins),
// so an inline delivery never overtakes an earlier queued one.
template <class Call>
bool Endpoint::deliveredInline(const PeerId& peer, Call call) {
    if (!hosting_ || !loop_.canRunInline()) return false;
    try {
        call();
    } catch (const std::exception& error) {
        logger().error("event loop: handling an event from {} threw: {}", printable(peer),
                       error.what());
    }
    return true;
}

void Endpoint::onConnected(const PeerId& peer) {
    if (deliveredInline(peer, [&] { listener_.onPeerConnected(index_, peer); })) return;
    inbox_.push(Event{peer, Connected{}});
}

void Endpoint::onDisconnected(const PeerId& peer, const Error& reason) {
    if (deliveredInline(peer, [&] { listener_.onPeerDisconnected(index_, peer, reason); })) return;
    inbox_.push(Event{peer, Disconnected{reason}});
}

void Endpoint::onBackpressure(const PeerId& peer, bool congested) {
    if (deliveredInline(peer, [&] { listener_.onPeerBackpressure(index_, peer, congested); }))
        return;
    inbox_.push(Event{peer, Backpressure{congested}});
}

void Endpoint::onFrame(const PeerId& peer, Buffer frame) {
    auto message = codec_->decode(frame);
    if (!message) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        logger().warn("{}: refused a {}-byte frame from {}: {}", config_.address, frame.size(),
                      printable(peer), message.error().describe());
        return;
    }
    if (deliveredInline(peer, [&] {
            listener_.onMessage(index_, peer, std::move(*message), std::move(frame));
        })) {
        return;
    }
    inbox_.push(Event{peer, Received{std::move(*message), std::move(frame)}});
}

void Endpoint::dispatch(Event& event) {
    std::visit(
        [&](auto& what) {
            using T = std::decay_t<decltype(what)>;
            if constexpr (std::is_same_v<T, Connected>) {
                listener_.onPeerConnected(index_, event.peer);
            } else if constexpr (std::is_same_v<T, Disconnected>) {
                listener_.onPeerDisconnected(index_, event.peer, what.reason);
            } else if constexpr (std::is_same_v<T, Backpressure>) {
                listener_.onPeerBackpressure(index_, event.peer, what.congested);
            } else {
                listener_.onMessage(index_, event.peer, std::move(what.message),
                                    std::move(what.frame));
            }
        },
        event.what);
}

}  // namespace plexus::detail
