#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "plexus/buffer.h"
#include "plexus/config.h"
#include "plexus/identity.h"
#include "plexus/result.h"

namespace plexus {

/// How the transport names the other end of a link.
/// - On a link it accepted (listen), the PeerId is the identity the peer sent in its handshake
///   (for ZeroMQ, its routing id).
/// - On a link it opened (connect), the PeerId is the address string given to connect(), so a
///   client can address "its scheduler" before, and across, (re)connections.
using PeerId = std::string;

/// Receives what a transport observes. Every method is called on the transport's own I/O thread,
/// one call at a time, in the order things happened on each link; implementations must not block
/// and must not call back into the transport's destructor. The handler must outlive the transport.
class TransportHandler {
  public:
    virtual ~TransportHandler() = default;
    /// A link to `peer` is ready (handshake done); frames sent to it now go out directly.
    virtual void onConnected(const PeerId& peer) = 0;
    /// The link to `peer` is gone. `reason` says why (peer closed, reset, refused bad input...).
    /// For a connected link the transport keeps trying to reconnect; for an accepted link the
    /// peer is expected to come back by itself if it can.
    virtual void onDisconnected(const PeerId& peer, const Error& reason) = 0;
    /// One complete frame from `peer`, in order. Ownership of `frame` passes to the handler.
    virtual void onFrame(const PeerId& peer, Buffer frame) = 0;
    /// The link to `peer` became congested (`congested` true: the bytes queued toward it reached
    /// SendLimits::highWatermarkBytes) or was relieved (false: they fell back to
    /// lowWatermarkBytes). Reports alternate, starting with true, and belong to one link: a link
    /// that goes down ends its congestion without a report, and the next link starts relieved.
    /// Congestion never makes a transport drop or refuse a frame; what to do about it (stop
    /// producing for that peer) is the handler's choice. The default ignores it.
    virtual void onBackpressure(const PeerId& peer, bool congested) {}
};

/// How much a transport lets queue toward one peer, and what it does about a peer that does not
/// read. Counted per link: the payload bytes of frames send() accepted for that peer and not yet
/// handed to the operating system (waiting, or being written). Frames held for a connect()ed
/// link that is not up yet are counted once the link is up and they are handed to it.
/// lowWatermarkBytes must not exceed highWatermarkBytes (the core's configuration checks it).
struct SendLimits {
    /// Reaching it makes the link congested. 64 MiB: well above what a healthy peer has in
    /// flight (a few large objects), well below what a scheduler host can hold per peer.
    std::size_t highWatermarkBytes = std::size_t{64} << 20;
    /// Falling to it relieves a congested link. A quarter of the high mark: the 48 MiB gap keeps a
    /// slow reader from flipping the state at every frame, and the 16 MiB left keep it busy while
    /// the producer starts again.
    std::size_t lowWatermarkBytes = std::size_t{16} << 20;
    /// 0: none. Otherwise an accepted link whose count exceeds it is closed, its queued frames
    /// dropped, and reported with onDisconnected(ErrorKind::Overloaded); the peer may connect
    /// again. Connect()ed links are never closed for this (they would only reconnect and resend).
    std::size_t hardLimitBytes = 0;
    /// While a link is congested, stop reading from it, so that the peer cannot ask for more
    /// until it has read (TCP flow control pushes back on it); reading resumes when it is
    /// relieved. Meant for a server: a client or worker leaves it off, so that two peers never
    /// both wait for the other to read. A transport that cannot stop reading one peer alone
    /// (ZeroMQ's ROUTER reads every peer through one socket) keeps reading.
    bool pauseReadingWhenCongested = false;
};

/// A reliable, ordered, identity-addressed message pipe: frames in, frames out, no knowledge of
/// codecs or message types. A transport owns its I/O thread(s).
///
/// Thread-safety: send(), disconnect() and post() may be called from any thread, including the
/// I/O thread itself (from a handler call or posted work), where they cost no wake-up; they never
/// call the handler before they return. listen() and connect() are called during setup, from one
/// thread. The destructor closes every link and joins the I/O thread; no handler call starts
/// after it returns.
class Transport {
  public:
    virtual ~Transport() = default;

    /// Starts accepting links on `address` (e.g. "tcp://127.0.0.1:0"). Returns the bound address
    /// with any port 0 resolved to the real port.
    virtual Result<std::string> listen(std::string_view address) = 0;
    /// Opens a link to `address`, retrying with backoff in the background until it succeeds or
    /// the transport is destroyed. Returns the PeerId of that link (the address itself).
    virtual Result<PeerId> connect(std::string_view address) = 0;
    /// Queues `frame` for `peer`. Frames to a connecting peer wait for the link; frames to a peer
    /// that is not known are dropped with a debug log (as ZeroMQ's ROUTER does). Never blocks; a
    /// slow peer's frames wait (see SendLimits: only its hard limit drops them, with the link).
    virtual void send(const PeerId& peer, Buffer frame) = 0;
    /// Closes the link to `peer`, if any.
    virtual void disconnect(const PeerId& peer) = 0;
    /// Runs `work` on the I/O thread, after what the calling thread queued there before (its
    /// earlier send(), disconnect() and post() calls), never inline, and never at the same time
    /// as a handler call. Work posted from the I/O thread runs after the current handler call or
    /// work returns. Thread-safe. Once destruction has begun no work starts: work still queued
    /// is destroyed without running. `work` must not block, throw, or destroy the transport.
    virtual void post(std::function<void()> work) = 0;
};

/// What a transport factory gets to build one transport.
struct TransportContext {
    Identity identity;          ///< this side's identity, announced to peers in the handshake
    std::size_t maxFrameBytes;  ///< frames larger than this are refused before any allocation
    TransportHandler* handler;  ///< not owned; must outlive the transport
    ConfigNode options;         ///< the plugin's own configuration subtree (may be absent)
    SendLimits sendLimits;      ///< per-link send queue limits (see SendLimits)
};

/// Made by a transport plugin; lives as long as the plugin is loaded.
/// Thread-safety: create() may be called from any thread.
class TransportFactory {
  public:
    virtual ~TransportFactory() = default;
    /// Never throws; configuration problems come back as ErrorKind::InvalidConfig.
    virtual Result<std::unique_ptr<Transport>> create(
        const TransportContext& context) const noexcept = 0;
};

}  // namespace plexus
