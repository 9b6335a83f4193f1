#pragma once

// A plexus transport over Unix-domain stream sockets: addresses are unix:///absolute/path.
//
// Wire format: the same as the tcp transport's (Scaler's YMQ): on a new link each side sends the
// magic "YMQ" and a version byte, then its identity as the first frame; every frame is a u64
// little-endian length followed by that many bytes. A frame longer than the configured maximum
// is refused before anything is allocated for it, and the link is closed.
//
// Listening on "unix://" (no path) binds a fresh path in $TMPDIR, the way port 0 picks a free
// TCP port; listen() returns the path it chose. A listener removes its socket file when it
// closes, and removes a stale file (one nobody accepts on) before binding.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "plexus/transport.h"

namespace plexus::uds {

/// Options read from the endpoint's `transport_options` subtree.
struct UdsOptions {
    /// Permission bits of a listening socket file (0 keeps the process umask).
    unsigned socketMode = 0;
    /// First and largest delay between attempts to reach a listener that is not there (yet).
    std::chrono::milliseconds reconnectInitial{10};
    std::chrono::milliseconds reconnectMax{500};
};

/// Parses `transport_options`; a wrong key or value comes back as ErrorKind::InvalidConfig.
Result<UdsOptions> parseUdsOptions(const ConfigNode& node) noexcept;

/// The socket path of `address` ("unix:///run/plexus.sock" -> "/run/plexus.sock"); an empty path
/// for "unix://". Refuses relative paths and paths longer than sun_path holds.
Result<std::string> parseUdsAddress(std::string_view address);

class Link;

/// Threads: one I/O thread, started by the constructor, owns every socket and timer, makes
/// every handler call and runs post()ed work. send(), disconnect() and post() may be called from
/// any thread and only post work to it (asio queues a post from the I/O thread itself without a
/// wake-up); listen() and connect() run on the I/O thread and wait for the result.
///
/// PeerIds: a connect()ed link is named by its address string, an accepted link by the identity
/// its peer sent in the handshake.
///
/// Flow control follows the SendLimits in the context: each link counts the bytes queued or being
/// written, reports watermark crossings with onBackpressure, stops reading while congested if
/// asked to, and an accepted link past the hard limit is closed (ErrorKind::Overloaded).
///
/// Destruction stops accepting, lets each link write what is already queued (for at most
/// kDrainTimeout), then closes everything and joins the I/O thread. No handler call and no
/// post()ed work starts once the destructor has begun.
class UdsTransport final : public Transport {
  public:
    UdsTransport(const TransportContext& context, UdsOptions options);
    ~UdsTransport() override;
    UdsTransport(const UdsTransport&) = delete;
    UdsTransport& operator=(const UdsTransport&) = delete;

    Result<std::string> listen(std::string_view address) override;
    Result<PeerId> connect(std::string_view address) override;
    void send(const PeerId& peer, Buffer frame) override;
    /// An accepted link is closed; a connect()ed address is closed and no longer reconnected.
    void disconnect(const PeerId& peer) override;
    void post(std::function<void()> work) override;

  private:
    friend class Link;
    struct Connector;
    struct Listener;

    // Everything below runs on the I/O thread.
    void accept(Listener& listener);
    void dial(const PeerId& address);
    void scheduleRedial(Connector& connector);
    void linkUp(const std::shared_ptr<Link>& link);
    void linkFrame(const std::shared_ptr<Link>& link, Buffer frame);
    void linkCongestion(const std::shared_ptr<Link>& link, bool congested);
    void linkDown(const std::shared_ptr<Link>& link, const Error& reason);
    void linkClosed();
    void beginShutdown();
    template <class Work>
    auto onIoThread(Work work) -> decltype(work());

    // The io_context is declared first so it is destroyed last: handlers still queued in it
    // hold sockets, which must go before their io_context.
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    const Identity identity_;
    const std::size_t maxFrameBytes_;
    TransportHandler* const handler_;
    const UdsOptions options_;
    const SendLimits limits_;

    std::vector<std::unique_ptr<Listener>> listeners_;
    std::map<PeerId, std::unique_ptr<Connector>> connectors_;
    std::set<std::shared_ptr<Link>> handshaking_;         // accepted, identity not known yet
    std::map<Identity, std::shared_ptr<Link>> accepted_;  // accepted and up
    std::size_t openLinks_ = 0;                           // sockets not yet closed
    bool closing_ = false;                                // the destructor has begun
    std::atomic<bool> destroying_{false};  // set first thing in the destructor: no work starts
    std::promise<void> drained_;           // set once closing_ and openLinks_ == 0
    bool drainedSet_ = false;

    std::thread thread_;  // last: started once everything above exists
};

/// Makes UdsTransports. Stateless.
class UdsTransportFactory final : public TransportFactory {
  public:
    Result<std::unique_ptr<Transport>> create(
        const TransportContext& context) const noexcept override;
};

}  // namespace plexus::uds
