#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "plexus/codec.h"
#include "plexus/config.h"
#include "plexus/plugin_registry.h"
#include "plexus/transport.h"
#include "runtime/event_loop.h"
#include "runtime/loop_inbox.h"

namespace plexus::detail {

/// One address with its transport and codec, as a config names them.
struct EndpointConfig {
    std::string address;
    std::string transport;
    std::string codec;
    ConfigNode transportOptions;
    ConfigNode codecOptions;
    ConfigNode node;        ///< the endpoint's own config node, for error messages
    SendLimits sendLimits;  ///< per-link send queue limits given to the transport
};

/// Receives what endpoints deliver. Called on the event loop thread only.
class EndpointListener {
  public:
    virtual ~EndpointListener() = default;
    virtual void onPeerConnected(std::uint32_t endpoint, const PeerId& peer) = 0;
    virtual void onPeerDisconnected(std::uint32_t endpoint, const PeerId& peer,
                                    const Error& reason) = 0;
    /// A decoded message and the frame it came from (kept so it can be forwarded unchanged).
    virtual void onMessage(std::uint32_t endpoint, const PeerId& peer, Message message,
                           Buffer frame) = 0;
    /// The link to `peer` became congested or was relieved (TransportHandler::onBackpressure),
    /// in order with the link's other events. The default ignores it.
    virtual void onPeerBackpressure(std::uint32_t endpoint, const PeerId& peer, bool congested) {}
};

/// A transport and a codec working as one: frames from the transport are decoded on the
/// transport's I/O thread and handed to the listener on the event loop thread; messages from the
/// loop are encoded and sent.
///
/// The endpoint whose transport hosts the loop (hostLoop()) delivers inline: while the loop
/// runs, its I/O thread is the loop thread, so each frame is decoded and given to the listener
/// right there, with no queue and no wake-up. Any other endpoint (a scheduler's second address)
/// queues what it decoded and posts one drain per batch to the loop.
///
/// A frame that does not decode is dropped with a logged reason; the link and every other peer
/// are unaffected. Lifetime: the registry that made the plugins, the loop and the listener must
/// outlive the endpoint.
class Endpoint final : public TransportHandler {
  public:
    /// Loads the plugins named in `config` and creates the transport and codec. Does not bind or
    /// connect yet.
    static Result<std::unique_ptr<Endpoint>> create(std::uint32_t index, EndpointConfig config,
                                                    PluginRegistry& registry,
                                                    const Identity& identity,
                                                    std::size_t maxFrameBytes, EventLoop& loop,
                                                    EndpointListener& listener);
    ~Endpoint() override;

    /// Makes this endpoint's transport the host of the loop (EventLoop::host). Call once, before
    /// the loop starts; the endpoint unhosts the loop before its transport goes.
    void hostLoop();

    /// Binds the configured address; returns the bound address (port 0 resolved).
    Result<std::string> listen();
    /// Connects to the configured address; returns the PeerId of the scheduler link.
    Result<PeerId> connect();

    /// Encodes and sends. Thread-safe. Returns false (after logging) if encoding failed.
    bool send(const PeerId& peer, const Message& message);
    /// Sends an already-encoded frame unchanged (forwarding between peers of the same codec).
    void sendFrame(const PeerId& peer, Buffer frame);
    void disconnect(const PeerId& peer);
    /// Decodes a frame this endpoint received earlier (to re-encode it for another codec).
    Result<Message> decode(const Buffer& frame) const;

    std::uint32_t index() const { return index_; }
    const EndpointConfig& config() const { return config_; }
    /// Frames refused because they did not decode (for monitoring and tests).
    std::uint64_t refusedFrames() const;

    // TransportHandler: called on the transport's I/O thread.
    void onConnected(const PeerId& peer) override;
    void onDisconnected(const PeerId& peer, const Error& reason) override;
    void onFrame(const PeerId& peer, Buffer frame) override;
    void onBackpressure(const PeerId& peer, bool congested) override;

  private:
    struct Connected {};
    struct Backpressure {
        bool congested;
    };
    struct Disconnected {
        Error reason;
    };
    struct Received {
        Message message;
        Buffer frame;
    };
    struct Event {
        PeerId peer;
        std::variant<Connected, Disconnected, Received, Backpressure> what;
    };

    Endpoint(std::uint32_t index, EndpointConfig config, EventLoop& loop,
             EndpointListener& listener);
    /// I/O thread: runs `call` (which hands an event to the listener) now if this thread runs
    /// the loop, and says so; otherwise the caller queues the event in the inbox.
    template <class Call>
    bool deliveredInline(const PeerId& peer, Call call);
    void dispatch(Event& event);  // loop thread

    const std::uint32_t index_;
    const EndpointConfig config_;
    EventLoop& loop_;
    EndpointListener& listener_;
    std::unique_ptr<Codec> codec_;
    bool hosting_ = false;  // set before the loop starts, read on the I/O thread after

    LoopInbox<Event> inbox_;  // what this endpoint's I/O thread hands to the loop's
    std::atomic<std::uint64_t> refused_{0};

    // Declared last, destroyed first: no transport callback can run once the members above go.
    std::unique_ptr<Transport> transport_;
};

}  // namespace plexus::detail
