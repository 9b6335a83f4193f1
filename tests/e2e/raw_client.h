#pragma once

// A client that speaks the protocol over a plain blocking socket, so that a test decides exactly
// when it reads: while it does not, what the scheduler sends it backs up in the kernel and then in
// the scheduler, as with a client process that stopped reading.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "plexus/codec.h"
#include "plexus/messages.h"
#include "plexus/plugin_registry.h"
#include "plugins/transport-tcp/raw_peer.h"

namespace plexus::test {

/// Connects to a scheduler's tcp endpoint (capnp codec) and sends its handshake; the
/// scheduler's own handshake is read with the first receive(). Thread-safety: send() from one
/// thread and receive() from another may overlap (a socket is full duplex); nothing else may.
class RawClient {
  public:
    explicit RawClient(const std::string& address);

    const Identity& identity() const { return identity_; }
    /// Blocks while the socket's send buffer is full. Fails the test if the link is gone.
    void send(const Message& message);
    /// The next message, or nothing if none arrived within `timeout` (or the link closed).
    std::optional<Message> receive(std::chrono::milliseconds timeout);

  private:
    std::unique_ptr<PluginRegistry> registry_;
    Identity identity_;
    std::unique_ptr<Codec> codec_;
    RawSocket socket_;
    bool handshakeRead_ = false;
};

/// One create instruction for objects `ids` owned by `owner`, object i holding `payloads[i]`.
ObjectInstruction createObjects(const Identity& owner, const std::vector<Bytes>& ids,
                                const std::vector<std::string>& payloads);

}  // namespace plexus::test
