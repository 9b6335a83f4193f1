#include "zmq_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
#include <future>
#include <limits>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "plexus/identity.h"
#include "plexus/log.h"
#include "plexus/messages.h"

namespace plexus::zmq {
namespace {

using Clock = std::chrono::steady_clock;

// ZMQ_METADATA: declared by zmq.h only with the draft API, but libzmq 4.3 accepts it in every
// build (Debian's included): "X-Name:value" pairs sent in the ZMTP READY command, which the
// receiving libzmq attaches to every message from that connection (zmq_msg_gets).
#ifdef ZMQ_METADATA
constexpr int kZmqMetadata = ZMQ_METADATA;
#else
constexpr int kZmqMetadata = 95;
#endif
constexpr const char* kVersionProperty = "X-Plexus-Protocol";

// Control messages are never one part, so they cannot be taken for a frame (a frame is always a
// single-part message). The first part is empty, the second names the message.
constexpr std::string_view kHello = "plexus-hello";      // DEALER -> ROUTER, after a handshake
constexpr std::string_view kRefused = "plexus-refused";  // ROUTER -> DEALER, + a reason part

// Messages taken from one socket per loop turn, so a busy link cannot starve the others or the
// commands (sends) waiting behind it.
constexpr int kReceiveBatch = 1024;
// Received messages this big or bigger are handed over without a copy when libzmq's data is
// 8-byte aligned. Smaller ones are copied: copying a few KiB is cheap, and libzmq may decode
// messages up to its 8 KiB read buffer in place in that shared buffer, which a wrap would pin.
// Large messages get their own allocation, whose data follows a 40-byte header: aligned.
constexpr std::size_t kZeroCopyReceiveMin = 8192;
// ZMQ_RCVHWM in messages (libzmq's default). Finite, unlike Scaler's 0, so that a process that
// stops reading (its I/O thread blocked) pushes back on its peers through TCP, as the tcp
// transport does, instead of libzmq reading into memory without limit. Inbound messages are never
// dropped at this mark: ROUTER and DEALER stop reading that connection instead. The peer sees no
// difference on the wire.
constexpr int kReceiveHighWaterMark = 1000;

struct MonitorEvent {
    std::uint16_t event = 0;
    std::int32_t value = 0;  // an fd for ACCEPTED, CONNECTED, DISCONNECTED; else an errno or 0
};

/// Reads one monitor event (two parts: event + value, then the endpoint), or nothing.
std::optional<MonitorEvent> readEvent(::zmq::socket_t& monitor) {
    ::zmq::message_t head;
    if (!monitor.recv(head, ::zmq::recv_flags::dontwait)) return std::nullopt;
    MonitorEvent event;
    if (head.size() >= 6) {
        std::memcpy(&event.event, head.data(), 2);
        std::memcpy(&event.value, static_cast<const char*>(head.data()) + 2, 4);
    }
    while (head.more()) {  // the endpoint part; it is already queued with the first
        ::zmq::message_t rest;
        if (!monitor.recv(rest, ::zmq::recv_flags::dontwait)) break;
        head = std::move(rest);
    }
    return event;
}

/// Why a peer's protocol version is refused, or nothing when it is acceptable. A peer without
/// the property is a stock Scaler peer: accepted.
std::optional<std::string> versionProblem(const ::zmq::message_t& message) {
    const char* value = zmq_msg_gets(message.handle(), kVersionProperty);
    if (value == nullptr) return std::nullopt;
    const std::string_view text(value);
    unsigned major = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), major);
    if (ec == std::errc() && (end == text.data() + text.size() || *end == '.') &&
        major == kPlexusProtocolVersion) {
        return std::nullopt;
    }
    return fmt::format("peer speaks plexus protocol {}, this side speaks {}", printable(text),
                       kPlexusProtocolVersion);
}

/// "local -> remote" of a TCP socket, or "" if it is not a connected IP socket.
std::string describeFd(int fd) {
    auto format = [](const sockaddr_storage& address) -> std::string {
        char host[INET6_ADDRSTRLEN] = {};
        if (address.ss_family == AF_INET) {
            const auto& in = reinterpret_cast<const sockaddr_in&>(address);
            inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
            return fmt::format("{}:{}", host, ntohs(in.sin_port));
        }
        if (address.ss_family == AF_INET6) {
            const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
            inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof host);
            return fmt::format("[{}]:{}", host, ntohs(in6.sin6_port));
        }
        return {};
    };
    if (fd < 0) return {};
    sockaddr_storage local{}, remote{};
    socklen_t localSize = sizeof local, remoteSize = sizeof remote;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localSize) != 0 ||
        getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &remoteSize) != 0) {
        return {};
    }
    const std::string from = format(local), to = format(remote);
    if (from.empty() || to.empty()) return {};
    return from + " -> " + to;
}

/// ZMQ_IPV6 for an address: on for an IPv6 literal ("tcp://[::1]:5"). Off otherwise, so that an
/// IPv4 listener reports its address as given ("tcp://127.0.0.1:PORT", not an IPv4-mapped one).
bool wantsIpv6(std::string_view address) {
    return address.find('[') != std::string_view::npos;
}

// libzmq hands a message to its own I/O threads through lock-free queues that ThreadSanitizer
// cannot see (libzmq is not instrumented), so a Buffer made here and released there would look
// like a race. These annotations state the hand-over; they compile to nothing otherwise.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
void handOver(void* address) {
    __tsan_release(address);
}
void takeOver(void* address) {
    __tsan_acquire(address);
}
#else
void handOver(void*) {}
void takeOver(void*) {}
#endif

/// A frame handed to libzmq, and the meter its bytes count against until libzmq lets go.
struct HandedFrame {
    Buffer frame;
    std::shared_ptr<SendMeter> meter;
};

void releaseFrame(void* /*data*/, void* hint) noexcept {
    takeOver(hint);
    std::unique_ptr<HandedFrame> handed(static_cast<HandedFrame*>(hint));
    if (handed->meter) handed->meter->release(handed->frame.size());
}

/// A message carrying `frame`'s bytes themselves (never a copy, whatever its size, so that every
/// byte libzmq holds is counted): `meter` (null: none) counts them from now until libzmq releases
/// the message, after writing it or dropping it with its connection.
::zmq::message_t toMessage(Buffer frame, std::shared_ptr<SendMeter> meter) {
    auto handed = std::make_unique<HandedFrame>(HandedFrame{std::move(frame), std::move(meter)});
    const Buffer& bytes = handed->frame;
    ::zmq::message_t message(const_cast<std::byte*>(bytes.data()), bytes.size(), &releaseFrame,
                             handed.get());
    handOver(handed.release());  // owned by the message now
    return message;
}

}  // namespace

ZmqTransport::ZmqTransport(const TransportContext& context, ZmqOptions options)
    : handler_(*context.handler),
      identity_(context.identity),
      maxFrameBytes_(context.maxFrameBytes),
      options_(options),
      limits_(context.sendLimits),
      context_(options.ioThreads) {
    wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wakeFd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    try {
        thread_ = std::thread([this] { runLoop(); });
    } catch (...) {
        ::close(wakeFd_);
        throw;
    }
}

ZmqTransport::~ZmqTransport() {
    assert(std::this_thread::get_id() != thread_.get_id() &&
           "a ZmqTransport must not be destroyed on its own I/O thread");
    destroying_ = true;  // post()ed work still queued is dropped from here on
    enqueue(Command{Command::Kind::Stop, {}, {}, {}});
    thread_.join();
    // Every socket is closed; this waits (up to the linger) for queued frames to be written.
    // libzmq releases them meanwhile, and a release may still post a wake-up: the eventfd and
    // the command list outlive it (the commands are never run).
    context_.close();
    ::close(wakeFd_);
}

// ---- commands ----------------------------------------------------------------------------------

void ZmqTransport::enqueue(Command command) {
    bool wasEmpty;
    {
        std::lock_guard lock(mutex_);
        wasEmpty = commands_.empty();
        commands_.push_back(std::move(command));
    }
    if (wasEmpty && onIoThread()) {
        selfQueued_ = true;  // loopOnce() runs the commands before it blocks again
    } else if (wasEmpty) {
        const std::uint64_t one = 1;
        // Cannot fail short of a bug: the counter would need 2^64 - 1 unread wake-ups.
        [[maybe_unused]] const auto written = ::write(wakeFd_, &one, sizeof one);
    }
}

template <class Work>
auto ZmqTransport::runOnIoThread(Work work) -> decltype(work()) {
    if (std::this_thread::get_id() == thread_.get_id()) return work();
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    enqueue(Command{Command::Kind::Call, {}, {}, [&task] { task(); }});
    return result.get();
}

bool ZmqTransport::runCommands() {
    // Reset the eventfd before taking the list: a post() that finds the list empty after the
    // swap writes it again, so no wake-up is lost.
    std::uint64_t count;
    [[maybe_unused]] const auto read = ::read(wakeFd_, &count, sizeof count);
    {
        std::lock_guard lock(mutex_);
        running_.swap(commands_);
    }
    bool keepRunning = true;
    for (Command& command : running_) {
        if (!keepRunning) break;  // commands that raced destruction are dropped
        switch (command.kind) {
            case Command::Kind::Send:
                sendNow(command.peer, std::move(command.frame));
                break;
            case Command::Kind::Disconnect:
                if (const auto it = connectors_.find(command.peer); it != connectors_.end()) {
                    std::unique_ptr<Connector> connector = std::move(it->second);
                    connectors_.erase(it);
                    const bool wasUp = connector->up;
                    if (connector->socket) connector->socket->set(::zmq::sockopt::linger, 0);
                    closeConnector(*connector);
                    meters_.erase(command.peer);
                    if (wasUp) {
                        handler_.onDisconnected(connector->address, Error{ErrorKind::Disconnected,
                                                                          "disconnected locally"});
                    }
                } else {
                    disconnectAccepted(command.peer,
                                       Error{ErrorKind::Disconnected, "disconnected locally"});
                }
                break;
            case Command::Kind::Call:
                command.call();
                break;
            case Command::Kind::Stop:
                keepRunning = false;
                break;
        }
    }
    running_.clear();
    return keepRunning;
}

void ZmqTransport::sendNow(const PeerId& peer, Buffer frame) {
    if (options_.pattern == ZmqOptions::Pattern::pub) {
        if (publisher_) publish(std::move(frame));  // before listen() there is nobody to publish to
    } else if (const auto it = connectors_.find(peer); it != connectors_.end()) {
        sendToConnector(*it->second, std::move(frame));
    } else {
        sendToAccepted(peer, std::move(frame));
    }
}

void ZmqTransport::send(const PeerId& peer, Buffer frame) {
    // Queued even on the I/O thread (where it costs no wake-up): a send must never call the
    // handler before it returns, and writing to a socket may report on its link.
    enqueue(Command{Command::Kind::Send, peer, std::move(frame), {}});
}

void ZmqTransport::disconnect(const PeerId& peer) {
    if (options_.pattern == ZmqOptions::Pattern::pub) return;  // no links to close
    // Queued behind earlier send()s to `peer`, which therefore go out first. Never run inline,
    // even on the I/O thread: a handler call may be reading from the socket it would close.
    enqueue(Command{Command::Kind::Disconnect, peer, {}, {}});
}

void ZmqTransport::post(std::function<void()> work) {
    enqueue(Command{Command::Kind::Call, {}, {}, [this, work = std::move(work)] {
                        if (!destroying_.load(std::memory_order_acquire)) work();
                    }});
}

// ---- the loop ----------------------------------------------------------------------------------

void ZmqTransport::runLoop() noexcept {
    while (!stopping_) {
        try {
            loopOnce();
        } catch (const std::exception& error) {
            // Handler exceptions are the handler's bug; ZeroMQ errors here are unexpected.
            logger().error("zmq: exception on the I/O thread: {}; continuing", error.what());
        } catch (...) {
            logger().error("zmq: unknown exception on the I/O thread; continuing");
        }
    }
    try {
        closeEverything();
    } catch (const std::exception& error) {
        logger().error("zmq: closing sockets: {}", error.what());
    } catch (...) {
        logger().error("zmq: closing sockets: unknown exception");
    }
}

void ZmqTransport::loopOnce() {
    std::vector<zmq_pollitem_t> items;
    std::vector<Connector*> polled;
    items.push_back({nullptr, wakeFd_, ZMQ_POLLIN, 0});
    if (router_) {
        items.push_back({router_->handle(), 0, ZMQ_POLLIN, 0});
        items.push_back({routerMonitor_->handle(), 0, ZMQ_POLLIN, 0});
    }
    long timeoutMs = selfQueued_ ? 0 : -1;
    const auto now = Clock::now();
    for (auto& [address, connector] : connectors_) {
        if (connector->socket) {
            items.push_back({connector->socket->handle(), 0, ZMQ_POLLIN, 0});
            items.push_back({connector->monitor->handle(), 0, ZMQ_POLLIN, 0});
            polled.push_back(connector.get());
        } else {
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(
                std::max(connector->retryAt - now, Clock::duration::zero()));
            if (timeoutMs < 0 || wait.count() < timeoutMs) timeoutMs = wait.count();
        }
    }

    if (zmq_poll(items.data(), static_cast<int>(items.size()), timeoutMs) < 0) {
        if (zmq_errno() == EINTR) return;
        throw ::zmq::error_t();
    }

    std::size_t next = 1;
    if (router_) {
        if (items[1].revents != 0 || items[2].revents != 0) {
            pumpRouterMonitor();
            receiveFromRouter();
        }
        next = 3;
    }
    for (Connector* connector : polled) {
        if (items[next].revents != 0 || items[next + 1].revents != 0) {
            pumpDealerMonitor(*connector);
            receiveFromDealer(*connector);
        }
        next += 2;
    }
    // Links refused for their protocol version are tried again after reconnect_max_ms.
    const auto later = Clock::now();
    for (auto& [address, connector] : connectors_) {
        if (connector->socket || connector->retryAt > later) continue;
        if (auto opened = openConnector(*connector); !opened) {
            logger().warn("zmq: reopening {}: {}", address, opened.error().describe());
            connector->retryAt = later + options_.reconnectMax;
        }
    }
    if (items[0].revents != 0 || selfQueued_) {
        selfQueued_ = false;  // before running them: they may queue more
        if (!runCommands()) stopping_ = true;
    }
}

void ZmqTransport::closeEverything() {
    stopping_ = true;  // from here on the handler is never called
    for (auto& [address, connector] : connectors_) closeConnector(*connector);
    connectors_.clear();
    if (router_) {
        zmq_socket_monitor(router_->handle(), nullptr, 0);
        routerMonitor_.reset();
        router_.reset();  // lingers (ZMQ_LINGER) in the context until context_.close()
    }
    publisher_.reset();  // lingers the same way
}

void ZmqTransport::setCommonOptions(::zmq::socket_t& socket) {
    // Scaler's send setting: no high-water mark, so nothing is dropped or blocked for a slow
    // peer; the transport counts what libzmq holds instead (SendMeter).
    socket.set(::zmq::sockopt::sndhwm, 0);
    socket.set(::zmq::sockopt::rcvhwm, kReceiveHighWaterMark);
    socket.set(::zmq::sockopt::linger, static_cast<int>(options_.linger.count()));
    // libzmq refuses a bigger message from its length header, before allocating, and drops the
    // connection that sent it.
    const std::int64_t limit =
        maxFrameBytes_ > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
            ? -1
            : static_cast<std::int64_t>(maxFrameBytes_);
    socket.set(::zmq::sockopt::maxmsgsize, limit);
    socket.set(::zmq::sockopt::tcp_keepalive, 1);
    socket.set(::zmq::sockopt::tcp_keepalive_idle,
               static_cast<int>(options_.keepaliveIdle.count()));
    const std::string metadata = fmt::format("{}:{}", kVersionProperty, kPlexusProtocolVersion);
    if (zmq_setsockopt(socket.handle(), kZmqMetadata, metadata.data(), metadata.size()) != 0) {
        logger().debug(
            "zmq: this libzmq refuses ZMQ_METADATA ({}); peers cannot check our "
            "protocol version",
            zmq_strerror(zmq_errno()));
    }
}

std::unique_ptr<::zmq::socket_t> ZmqTransport::monitorOf(::zmq::socket_t& socket, int events) {
    const std::string endpoint = fmt::format("inproc://plexus-zmq-monitor-{}", monitorCount_++);
    if (zmq_socket_monitor(socket.handle(), endpoint.c_str(), events) != 0) {
        throw ::zmq::error_t();
    }
    try {
        auto pair = std::make_unique<::zmq::socket_t>(context_, ::zmq::socket_type::pair);
        pair->set(::zmq::sockopt::linger, 0);
        pair->connect(endpoint);
        return pair;
    } catch (...) {
        zmq_socket_monitor(socket.handle(), nullptr, 0);
        throw;
    }
}

Buffer ZmqTransport::toBuffer(::zmq::message_t&& message) const {
    const std::size_t size = message.size();
    if (size >= kZeroCopyReceiveMin) {
        auto holder = std::make_shared<::zmq::message_t>(std::move(message));
        const auto* data = static_cast<const std::byte*>(holder->data());
        if ((reinterpret_cast<std::uintptr_t>(data) & 7u) == 0) {
            return Buffer::wrap(std::move(holder), data, size);
        }
        return Buffer::copyOf(std::span<const std::byte>(data, size));
    }
    if (size == 0) return Buffer();
    return Buffer::copyOf(std::span(static_cast<const std::byte*>(message.data()), size));
}

// ---- listening side ----------------------------------------------------------------------------

Result<std::string> ZmqTransport::listen(std::string_view address) {
    if (!address.starts_with("tcp://")) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("bad zmq listen address '{}': expected tcp://IP:PORT", address));
    }
    return runOnIoThread([this, address = std::string(address)] {
        return options_.pattern == ZmqOptions::Pattern::pub ? bindPublisher(address)
                                                            : bindRouter(address);
    });
}

Result<std::string> ZmqTransport::bindRouter(const std::string& address) {
    try {
        if (!router_) {
            auto router = std::make_unique<::zmq::socket_t>(context_, ::zmq::socket_type::router);
            setCommonOptions(*router);
            // A reconnecting peer with the same identity takes its routing id over; the old
            // connection is closed (the tcp transport's replacement rule). ROUTER_MANDATORY
            // stays off: frames for an unknown routing id are dropped, as Scaler's ROUTER does.
            router->set(::zmq::sockopt::router_handover, 1);
            routerMonitor_ = monitorOf(*router, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED);
            router_ = std::move(router);
        }
        router_->set(::zmq::sockopt::ipv6, wantsIpv6(address));
        router_->bind(address);
        std::string bound = router_->get(::zmq::sockopt::last_endpoint);
        logger().info("zmq: listening on {}", bound);
        return bound;
    } catch (const ::zmq::error_t& error) {
        const ErrorKind kind = error.num() == EINVAL || error.num() == EPROTONOSUPPORT
                                   ? ErrorKind::InvalidArgument
                                   : ErrorKind::Io;
        return fail(kind, fmt::format("zmq: cannot listen on {}: {}", address, error.what()));
    }
}

void ZmqTransport::pumpRouterMonitor() {
    while (auto event = readEvent(*routerMonitor_)) {
        if (event->event == ZMQ_EVENT_ACCEPTED) {
            if (auto stale = accepted_.accepted(event->value)) {
                reportDowns({{std::move(*stale), "connection lost"}});
            }
        } else if (event->event == ZMQ_EVENT_DISCONNECTED) {
            accepted_.closed(event->value);
        }
    }
}

void ZmqTransport::reportDowns(std::vector<AcceptedPeers::Down> downs) {
    for (auto& down : downs) {
        logger().debug("zmq: peer {} down: {}", printable(down.peer), down.why);
        meters_.erase(down.peer);
        if (!stopping_) {
            handler_.onDisconnected(down.peer, Error{ErrorKind::Disconnected, std::move(down.why)});
        }
    }
}

void ZmqTransport::receiveFromRouter() {
    for (int n = 0; n < kReceiveBatch && !stopping_; ++n) {
        ::zmq::message_t id;
        if (!router_->recv(id, ::zmq::recv_flags::dontwait)) {
            // Nothing left to read: links whose connection closed have delivered everything.
            reportDowns(accepted_.finishClosing());
            return;
        }
        // Parts arrive together, so the rest of the message is already there.
        ::zmq::message_t payload;
        int parts = 1;
        std::string control;
        if (id.more() && router_->recv(payload, ::zmq::recv_flags::dontwait)) {
            parts = 2;
            bool more = payload.more();
            while (more) {
                ::zmq::message_t extra;
                if (!router_->recv(extra, ::zmq::recv_flags::dontwait)) break;
                if (++parts == 3) control = extra.to_string();
                more = extra.more();
            }
        }
        handleRouterMessage(id, payload, parts, control);
    }
}

void ZmqTransport::handleRouterMessage(::zmq::message_t& id, ::zmq::message_t& payload, int parts,
                                       std::string_view control) {
    const PeerId peer(static_cast<const char*>(id.data()), id.size());
    const bool hello = parts == 3 && payload.size() == 0 && control == kHello;
    if (parts != 2 && !hello) {
        // Scaler's framing is [routing id, payload]; Scaler 2.x refuses anything else the same
        // way. The message is dropped; the link stays.
        logger().warn(
            "zmq: refused a message of {} frames from {} (expected [routing id, "
            "payload])",
            parts, printable(peer));
        return;
    }
    if (peer.empty() || peer.front() == '\0') {
        // libzmq's own routing ids start with a zero byte: a peer that set no identity, or the
        // old connection of a peer whose routing id a newer connection took over.
        logger().debug("zmq: dropped a message from a connection without an identity");
        return;
    }
    const int fd = zmq_msg_get(payload.handle(), ZMQ_SRCFD);
    // The monitor may hold the ACCEPTED or DISCONNECTED event of this message's connection:
    // apply it first (accepted_peers.h explains why that makes the lookup below exact).
    pumpRouterMonitor();
    switch (accepted_.arrival(peer, fd)) {
        case AcceptedPeers::Arrival::Stale:
            logger().debug("zmq: dropped a message from {} on a closed or refused connection",
                           printable(peer));
            return;
        case AcceptedPeers::Arrival::New:
            if (auto problem = versionProblem(payload)) {
                logger().warn("zmq: refused the link of {}: {}", printable(peer), *problem);
                reportDowns(accepted_.refuse(peer, fd));
                router_->send(::zmq::buffer(peer), ::zmq::send_flags::sndmore);
                router_->send(::zmq::message_t(), ::zmq::send_flags::sndmore);
                router_->send(::zmq::buffer(kRefused), ::zmq::send_flags::sndmore);
                router_->send(::zmq::buffer(*problem), ::zmq::send_flags::none);
                return;
            }
            reportDowns(accepted_.adopt(peer, fd, describeFd(fd)));
            logger().debug("zmq: peer {} up", printable(peer));
            if (!stopping_) handler_.onConnected(peer);
            break;
        case AcceptedPeers::Arrival::Known:
            break;
    }
    if (hello || stopping_) return;
    if (payload.size() > maxFrameBytes_) {  // libzmq's ZMQ_MAXMSGSIZE should have stopped it
        logger().warn("zmq: dropped a frame of {} bytes from {} (limit {})", payload.size(),
                      printable(peer), maxFrameBytes_);
        return;
    }
    handler_.onFrame(peer, toBuffer(std::move(payload)));
}

void ZmqTransport::sendToAccepted(const PeerId& peer, Buffer frame) {
    if (!router_ || !accepted_.isUp(peer)) {
        logger().debug("zmq: dropping a frame of {} bytes for unknown peer {}", frame.size(),
                       printable(peer));
        return;
    }
    const std::shared_ptr<SendMeter> meter = meterOf(peer);
    const std::size_t size = frame.size();
    ::zmq::message_t message = toMessage(std::move(frame), meter);
    // Counted before libzmq can release it; if it is never sent, `message` releases it here.
    const bool congested = meter->add(size);
    try {
        router_->send(::zmq::buffer(peer), ::zmq::send_flags::sndmore);
        router_->send(std::move(message), ::zmq::send_flags::none);
    } catch (const ::zmq::error_t& error) {
        logger().warn("zmq: dropped a frame for {}: {}", printable(peer), error.what());
    }
    if (limits_.hardLimitBytes != 0 && meter->bytes() > limits_.hardLimitBytes) {
        const std::size_t queued = meter->bytes();
        logger().warn("zmq: closing the link of {}: {} bytes queued toward it (hard limit {})",
                      printable(peer), queued, limits_.hardLimitBytes);
        return disconnectAccepted(
            peer, Error{ErrorKind::Overloaded,
                        fmt::format("{} bytes queued toward a peer that does not read them "
                                    "(hard limit {} bytes)",
                                    queued, limits_.hardLimitBytes)});
    }
    if (congested) reportCongestion(peer, *meter);
}

void ZmqTransport::disconnectAccepted(const PeerId& peer, const Error& reason) {
    auto link = accepted_.closeLocally(peer);
    if (!link) {
        logger().debug("zmq: disconnect of unknown peer {}", printable(peer));
        return;
    }
    meters_.erase(peer);
    cutConnection(*link);
    if (!stopping_) handler_.onDisconnected(peer, reason);
}

void ZmqTransport::cutConnection(const AcceptedPeers::Link& link) {
    // libzmq 4.3 has no call that closes one connection of a ROUTER. Shutting the socket down
    // makes libzmq see the peer close and clean up as usual (it owns and closes the fd). The fd
    // is checked first: it must still be the same TCP connection (same local and remote
    // address and port) as when the peer was adopted, so a number libzmq has since closed and
    // reused is never touched.
    if (!link.endpoint.empty() && describeFd(link.fd) == link.endpoint) {
        ::shutdown(link.fd, SHUT_RDWR);
    } else {
        logger().debug("zmq: connection on fd {} already closed", link.fd);
    }
}

// ---- pattern `pub` -----------------------------------------------------------------------------

Result<std::string> ZmqTransport::bindPublisher(const std::string& address) {
    try {
        if (!publisher_) {
            auto publisher = std::make_unique<::zmq::socket_t>(context_, ::zmq::socket_type::pub);
            setCommonOptions(*publisher);
            // After the common options, which set Scaler's unlimited HWM: a PUB drops messages
            // for a subscriber past this mark, so a slow one costs bounded memory.
            publisher->set(::zmq::sockopt::sndhwm, options_.pubSendHighWaterMark);
            publisher_ = std::move(publisher);
        }
        publisher_->set(::zmq::sockopt::ipv6, wantsIpv6(address));
        publisher_->bind(address);
        std::string bound = publisher_->get(::zmq::sockopt::last_endpoint);
        logger().info("zmq: publishing on {}", bound);
        return bound;
    } catch (const ::zmq::error_t& error) {
        const ErrorKind kind = error.num() == EINVAL || error.num() == EPROTONOSUPPORT
                                   ? ErrorKind::InvalidArgument
                                   : ErrorKind::Io;
        return fail(kind, fmt::format("zmq: cannot listen on {}: {}", address, error.what()));
    }
}

void ZmqTransport::publish(Buffer frame) {
    try {
        // A PUB never blocks: with no subscriber, or past a subscriber's HWM, the message is
        // dropped (for that subscriber) and send() still succeeds.
        publisher_->send(toMessage(std::move(frame), nullptr), ::zmq::send_flags::dontwait);
    } catch (const ::zmq::error_t& error) {
        logger().warn("zmq: dropped a published frame: {}", error.what());
    }
}

// ---- connecting side ---------------------------------------------------------------------------

Result<PeerId> ZmqTransport::connect(std::string_view address) {
    if (options_.pattern == ZmqOptions::Pattern::pub) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("zmq: cannot connect to {}: this transport's pattern is 'pub', "
                                "which only listens and publishes",
                                address));
    }
    if (!address.starts_with("tcp://")) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("bad zmq address '{}': expected tcp://HOST:PORT", address));
    }
    PeerId peer(address);
    auto opened = runOnIoThread([this, &peer]() -> Result<void> {
        if (connectors_.contains(peer)) return {};  // already connecting or connected
        auto connector = std::make_unique<Connector>();
        connector->address = peer;
        if (auto opened = openConnector(*connector); !opened) return opened;
        connectors_.emplace(peer, std::move(connector));
        return {};
    });
    if (!opened) return tl::unexpected<Error>(opened.error());
    return peer;
}

Result<void> ZmqTransport::openConnector(Connector& connector) {
    try {
        auto socket = std::make_unique<::zmq::socket_t>(context_, ::zmq::socket_type::dealer);
        setCommonOptions(*socket);
        socket->set(::zmq::sockopt::routing_id, identity_);
        socket->set(::zmq::sockopt::ipv6, wantsIpv6(connector.address));
        socket->set(::zmq::sockopt::reconnect_ivl,
                    static_cast<int>(options_.reconnectInitial.count()));
        socket->set(::zmq::sockopt::reconnect_ivl_max,
                    static_cast<int>(options_.reconnectMax.count()));
        // ZMQ_IMMEDIATE stays off: the pipe exists from connect() on and outlives each
        // connection, so frames sent while the link is down wait for it, and what was received
        // before a disconnect can still be read (with it on, libzmq discards both).
        auto monitor = monitorOf(*socket, ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
        try {
            socket->connect(connector.address);
        } catch (...) {
            zmq_socket_monitor(socket->handle(), nullptr, 0);
            throw;
        }
        connector.socket = std::move(socket);
        connector.monitor = std::move(monitor);
    } catch (const ::zmq::error_t& error) {
        const ErrorKind kind = error.num() == EINVAL || error.num() == EPROTONOSUPPORT
                                   ? ErrorKind::InvalidArgument
                                   : ErrorKind::Io;
        return fail(kind,
                    fmt::format("zmq: cannot connect to {}: {}", connector.address, error.what()));
    }
    return {};  // frames held meanwhile go out once the link is up
}

void ZmqTransport::closeConnector(Connector& connector) {
    if (const auto meter = meters_.find(connector.address); meter != meters_.end())
        meter->second->reset();  // the link is down; what libzmq held is dropped with the socket
    if (connector.socket) {
        zmq_socket_monitor(connector.socket->handle(), nullptr, 0);
        connector.monitor.reset();
        connector.socket.reset();
    }
    connector.up = false;
    connector.downPending = false;
}

void ZmqTransport::sendToConnector(Connector& connector, Buffer frame) {
    // Frames wait here, not in libzmq's pipe, until this thread has seen the link come up and
    // reported it: libzmq writes its pipe as soon as a handshake completes, and the peer must
    // not get a frame before this side's onConnected (nor before the hello).
    if (!connector.socket || !connector.up || connector.downPending || !connector.held.empty()) {
        connector.held.push_back(std::move(frame));
        return;
    }
    writeToDealer(connector, std::move(frame));
}

void ZmqTransport::flushHeld(Connector& connector) {
    std::deque<Buffer> held = std::move(connector.held);
    connector.held.clear();
    for (Buffer& frame : held) writeToDealer(connector, std::move(frame));
}

void ZmqTransport::writeToDealer(Connector& connector, Buffer frame) {
    const std::shared_ptr<SendMeter> meter = meterOf(connector.address);
    const std::size_t size = frame.size();
    ::zmq::message_t message = toMessage(std::move(frame), meter);
    // Counted before libzmq can release it; if it is never sent, `message` releases it here.
    const bool congested = meter->add(size);
    try {
        // With HWM 0 and ZMQ_IMMEDIATE off a DEALER always takes the message.
        if (!connector.socket->send(std::move(message), ::zmq::send_flags::dontwait)) {
            logger().warn("zmq: dropped a frame for {}: its queue is full", connector.address);
        }
    } catch (const ::zmq::error_t& error) {
        logger().warn("zmq: dropped a frame for {}: {}", connector.address, error.what());
    }
    if (congested) reportCongestion(connector.address, *meter);
}

// ---- send meters -------------------------------------------------------------------------------

const std::shared_ptr<SendMeter>& ZmqTransport::meterOf(const PeerId& peer) {
    auto& meter = meters_[peer];
    if (!meter) {
        meter = std::make_shared<SendMeter>(limits_);
        // A release on a libzmq thread that relieves the meter posts a poll to this thread. The
        // meter may be gone (or replaced by a newer link's) by then: the poll checks.
        std::weak_ptr<SendMeter> weak = meter;
        meter->setWake([this, peer, weak] {
            enqueue(Command{Command::Kind::Call, {}, {}, [this, peer, weak] {
                                const auto current = meters_.find(peer);
                                const auto meter = weak.lock();
                                if (meter && current != meters_.end() && current->second == meter &&
                                    meter->poll() && !stopping_) {
                                    handler_.onBackpressure(peer, false);
                                }
                            }});
        });
    }
    return meter;
}

void ZmqTransport::reportCongestion(const PeerId& peer, SendMeter& meter) {
    logger().debug("zmq: link of {} congested ({} bytes queued)", printable(peer), meter.bytes());
    if (!stopping_) handler_.onBackpressure(peer, true);
    // Releases may have brought it down already; if not, poll() arms the wake-up.
    if (meter.poll() && !stopping_) handler_.onBackpressure(peer, false);
}

void ZmqTransport::pumpDealerMonitor(Connector& connector) {
    while (connector.monitor) {
        auto event = readEvent(*connector.monitor);
        if (!event) return;
        switch (event->event) {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
                if (connector.downPending) finishDown(connector);
                if (!connector.up) {
                    connector.up = true;
                    logger().debug("zmq: link to {} up", connector.address);
                    if (!stopping_) handler_.onConnected(connector.address);
                }
                if (options_.announce) {
                    // Behind what may still wait in the pipe from before a disconnect; the
                    // listener takes either for the start of the connection (accepted_peers.h).
                    connector.socket->send(::zmq::message_t(), ::zmq::send_flags::sndmore);
                    connector.socket->send(::zmq::buffer(kHello), ::zmq::send_flags::none);
                }
                flushHeld(connector);
                break;
            case ZMQ_EVENT_DISCONNECTED:
                // Reported once what the connection delivered has been read.
                if (connector.up) connector.downPending = true;
                break;
            default:
                logger().debug("zmq: handshake with {} failed (event {:#x}, error {})",
                               connector.address, event->event, event->value);
                break;
        }
    }
}

void ZmqTransport::finishDown(Connector& connector) {
    connector.downPending = false;
    if (!connector.up) return;
    connector.up = false;
    // A link that goes down ends its congestion; frames libzmq still holds for the next
    // connection stay counted.
    if (const auto meter = meters_.find(connector.address); meter != meters_.end())
        meter->second->reset();
    logger().debug("zmq: link to {} down", connector.address);
    if (!stopping_) {
        handler_.onDisconnected(connector.address,
                                Error{ErrorKind::Disconnected, "connection closed or lost"});
    }
}

void ZmqTransport::receiveFromDealer(Connector& connector) {
    for (int n = 0; n < kReceiveBatch && !stopping_; ++n) {
        if (!connector.socket) return;  // refused meanwhile
        ::zmq::message_t first;
        if (!connector.socket->recv(first, ::zmq::recv_flags::dontwait)) {
            if (connector.downPending) finishDown(connector);
            return;
        }
        if (first.more()) {
            std::vector<::zmq::message_t> rest;
            bool more = true;
            while (more) {
                ::zmq::message_t part;
                if (!connector.socket->recv(part, ::zmq::recv_flags::dontwait)) break;
                more = part.more();
                rest.push_back(std::move(part));
            }
            if (first.size() == 0 && !rest.empty() && rest[0].to_string_view() == kRefused) {
                refuseListener(connector,
                               fmt::format("the listener refused this link: {}",
                                           rest.size() > 1 ? printable(rest[1].to_string_view())
                                                           : std::string("no reason given")));
            } else {
                logger().warn("zmq: dropped a message of {} frames from {} (expected one)",
                              rest.size() + 1, connector.address);
            }
            continue;
        }
        if (auto problem = versionProblem(first)) {
            refuseListener(connector, *problem);
            continue;
        }
        if (first.size() > maxFrameBytes_) {
            logger().warn("zmq: dropped a frame of {} bytes from {} (limit {})", first.size(),
                          connector.address, maxFrameBytes_);
            continue;
        }
        if (!connector.up) pumpDealerMonitor(connector);  // report the link up before its frames
        handler_.onFrame(connector.address, toBuffer(std::move(first)));
    }
}

void ZmqTransport::refuseListener(Connector& connector, std::string why) {
    logger().error("zmq: link to {} refused: {}; trying again in {} ms", connector.address, why,
                   options_.reconnectMax.count());
    const bool wasUp = connector.up;
    connector.socket->set(::zmq::sockopt::linger, 0);
    closeConnector(connector);
    connector.retryAt = Clock::now() + options_.reconnectMax;
    if (wasUp && !stopping_) {
        handler_.onDisconnected(connector.address, Error{ErrorKind::Protocol, std::move(why)});
    }
}

}  // namespace plexus::zmq
