#pragma once

#include <cstdint>
#include <string>

#include "plexus/buffer.h"
#include "plexus/messages.h"
#include "plexus/transport.h"

namespace plexus::detail {

/// Where a peer is reached: the endpoint it came in on and its PeerId there (its identity).
struct PeerAddress {
    std::uint32_t endpoint = 0;
    PeerId peer;
    bool operator==(const PeerAddress&) const = default;
};

/// How the scheduler's logic acts on the world. Implemented by the runtime over endpoints, and by
/// a recorder in tests. Called on the event loop thread only.
class Outbox {
  public:
    virtual ~Outbox() = default;
    virtual void send(const PeerAddress& to, const Message& message) = 0;
    /// Sends a message that arrived as `frame` on endpoint `from`: the frame itself when both
    /// endpoints share a codec, otherwise `message` re-encoded.
    virtual void forward(const PeerAddress& to, std::uint32_t from, const Message& message,
                         const Buffer& frame) = 0;
    /// Sends a Task that arrived as `frame` on endpoint `from` and was not kept decoded: the
    /// frame itself when both endpoints share a codec, otherwise decoded with `from`'s codec and
    /// re-encoded. A frame that no longer decodes is dropped with a logged reason.
    virtual void forwardFrame(const PeerAddress& to, std::uint32_t from, const Buffer& frame) = 0;
    /// Asks the runtime to stop once what was sent has been flushed (cluster shutdown).
    virtual void requestStop() = 0;
};

}  // namespace plexus::detail
