#include "tcp_transport.h"

#include <cassert>
#include <exception>
#include <future>

#include <boost/asio/post.hpp>

#include "address.h"
#include "framing.h"
#include "plexus/identity.h"
#include "plexus/log.h"

namespace plexus::tcp {

namespace asio = boost::asio;

TcpTransport::TcpTransport(const TransportContext& context, TcpOptions options)
    : io_(1),  // one thread runs it: asio can skip its internal locking
      work_(asio::make_work_guard(io_)),
      env_{io_,
           *context.handler,
           encodePreamble(context.identity),
           context.maxFrameBytes,
           options,
           context.sendLimits,
           false,
           [this] { flushSends(); }},
      accepted_(env_) {
    thread_ = std::thread([this] { runLoop(); });
}

TcpTransport::~TcpTransport() {
    assert(std::this_thread::get_id() != thread_.get_id() &&
           "a TcpTransport must not be destroyed on its own I/O thread");
    destroying_ = true;  // post()ed work still queued is dropped from here on
    asio::post(io_, [this] { shutdown(); });
    thread_.join();
    // Handlers still queued in io_ are destroyed, never run, when io_ is destroyed last.
}

void TcpTransport::runLoop() noexcept {
    while (true) {
        try {
            io_.run();  // returns after shutdown() stops io_
            return;
        } catch (const std::exception& error) {
            // Handler exceptions are caught where the handler is called; this is bad_alloc.
            logger().error("tcp: exception on the I/O thread: {}; continuing", error.what());
        } catch (...) {
            logger().error("tcp: unknown exception on the I/O thread; continuing");
        }
    }
}

namespace {
// How long a closing transport keeps writing what was queued before it (a scheduler's last
// answers, a worker's DisconnectRequest). Long enough for loopback and LAN peers to take
// megabytes; short enough that a stuck peer cannot hold a process's exit for long.
constexpr std::chrono::milliseconds kShutdownLinger{2000};
constexpr std::chrono::milliseconds kDrainPoll{2};
}  // namespace

void TcpTransport::shutdown() {
    flushSends();          // frames sent before destruction began go to their connections first
    env_.stopping = true;  // from here on the handler is never called
    for (auto& listener : listeners_) listener->close();
    awaitDrained(std::chrono::steady_clock::now() + kShutdownLinger);
}

void TcpTransport::awaitDrained(std::chrono::steady_clock::time_point deadline) {
    bool pending = accepted_.hasPendingWrites();
    for (const auto& [peer, connector] : connectors_)
        pending = pending || connector->hasPendingWrites();
    if (!pending || std::chrono::steady_clock::now() >= deadline) {
        if (pending)
            logger().warn("tcp: closing with frames still unsent after {} ms",
                          kShutdownLinger.count());
        closeEverything();
        return;
    }
    drainTimer_.expires_after(kDrainPoll);
    drainTimer_.async_wait(
        [this, deadline](const boost::system::error_code&) { awaitDrained(deadline); });
}

void TcpTransport::closeEverything() {
    const Error reason{ErrorKind::Disconnected, "transport shutting down"};
    for (auto& [peer, connector] : connectors_) connector->close(reason);
    accepted_.closeAll(reason);
    work_.reset();
    io_.stop();
}

template <class Work>
auto TcpTransport::runOnIoThread(Work work) -> decltype(work()) {
    if (std::this_thread::get_id() == thread_.get_id()) return work();
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
}

Result<std::string> TcpTransport::listen(std::string_view address) {
    auto endpoint = parseTcpAddress(address);
    if (!endpoint) return tl::unexpected<Error>(endpoint.error());
    return runOnIoThread([this, endpoint = *endpoint]() -> Result<std::string> {
        auto listener = Listener::open(io_, endpoint, [this](asio::ip::tcp::socket socket) {
            accepted_.adopt(std::move(socket));
        });
        if (!listener) return tl::unexpected<Error>(listener.error());
        (*listener)->start();
        std::string bound = (*listener)->address();
        listeners_.push_back(std::move(*listener));
        logger().info("tcp: listening on {}", bound);
        return bound;
    });
}

Result<PeerId> TcpTransport::connect(std::string_view address) {
    auto endpoint = parseTcpAddress(address);
    if (!endpoint) return tl::unexpected<Error>(endpoint.error());
    PeerId peer(address);
    runOnIoThread([this, &peer, endpoint = *endpoint] {
        if (connectors_.contains(peer)) return;  // already connecting or connected
        auto connector = std::make_shared<Connector>(env_, peer, endpoint);
        connectors_.emplace(peer, connector);
        connector->start();
    });
    return peer;
}

void TcpTransport::send(const PeerId& peer, Buffer frame) {
    bool wasEmpty;
    {
        std::lock_guard lock(sendMutex_);
        wasEmpty = sendQueue_.empty();
        sendQueue_.emplace_back(peer, std::move(frame));
    }
    if (wasEmpty) asio::post(io_, [this] { flushSends(); });
}

void TcpTransport::flushSends() {
    {
        std::lock_guard lock(sendMutex_);
        flushing_.swap(sendQueue_);
    }
    for (auto& [peer, frame] : flushing_) {
        if (env_.stopping) break;  // sends that race destruction are dropped
        if (const auto it = connectors_.find(peer); it != connectors_.end()) {
            it->second->send(std::move(frame));
        } else {
            accepted_.send(peer, std::move(frame));
        }
    }
    flushing_.clear();
}

void TcpTransport::disconnect(const PeerId& peer) {
    // Posted after any flush that carries earlier send()s to `peer`, so those go out first.
    asio::post(io_, [this, peer] {
        const Error reason{ErrorKind::Disconnected, "disconnected locally"};
        if (const auto it = connectors_.find(peer); it != connectors_.end()) {
            auto connector = std::move(it->second);
            connectors_.erase(it);
            connector->close(reason);
            return;
        }
        if (!accepted_.disconnect(peer, reason)) {
            logger().debug("tcp: disconnect of unknown peer {}", printable(peer));
        }
    });
}

void TcpTransport::post(std::function<void()> work) {
    asio::post(io_, [this, work = std::move(work)] {
        if (destroying_.load(std::memory_order_acquire)) return;
        work();
        flushSends();  // what the work sent leaves now, not after another pass of the loop
    });
}

}  // namespace plexus::tcp
