#include "uds_transport.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "plexus/log.h"

namespace plexus::uds {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;
using boost::system::error_code;

namespace {

constexpr std::string_view kScheme = "unix://";
constexpr std::array<char, 4> kMagic{'Y', 'M', 'Q', 0x01};
constexpr std::size_t kHeaderBytes = 8;
/// Identities are "<pid>|<role>|<uuid4 hex>"; the bound stops a peer that has not finished its
/// handshake from making us hold more than this.
constexpr std::size_t kMaxIdentityBytes = 4096;
/// How long the destructor lets links write what is queued before it closes them anyway.
constexpr auto kDrainTimeout = std::chrono::seconds(5);
/// Frames per gather write: enough to amortise the system call, few enough to keep it short.
constexpr std::size_t kFramesPerWrite = 64;

void putU64(unsigned char* out, std::uint64_t value) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}
std::uint64_t getU64(const unsigned char* in) {
    std::uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | in[i];
    return value;
}

Error ioError(std::string_view what, const error_code& ec) {
    return Error{ErrorKind::Disconnected, fmt::format("uds: {}: {}", what, ec.message())};
}

/// A fresh socket path for "unix://": unique per process and call.
std::string freshSocketPath() {
    static std::atomic<unsigned> counter{0};
    const char* dir = std::getenv("TMPDIR");
    const std::string base = (dir != nullptr && *dir == '/') ? dir : "/tmp";
    return fmt::format(
        "{}/plexus-uds-{}-{}-{:x}.sock", base, ::getpid(), counter++,
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
}

}  // namespace

Result<std::string> parseUdsAddress(std::string_view address) {
    if (!address.starts_with(kScheme)) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("bad uds address '{}': expected unix:///absolute/path", address));
    }
    std::string path(address.substr(kScheme.size()));
    if (!path.empty() && path.front() != '/') {
        return fail(
            ErrorKind::InvalidArgument,
            fmt::format("bad uds address '{}': the path must be absolute (unix:///...)", address));
    }
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("bad uds address '{}': a socket path holds at most {} bytes",
                                address, sizeof(sockaddr_un::sun_path) - 1));
    }
    return path;
}

Result<UdsOptions> parseUdsOptions(const ConfigNode& node) noexcept {
    try {
        node.allowOnly({"socket_mode", "reconnect_initial_ms", "reconnect_max_ms"});
        UdsOptions options;
        if (node.has("socket_mode")) {
            // Written as an octal string ("0660") so YAML does not read it as decimal.
            const auto text = node["socket_mode"].as<std::string>();
            char* end = nullptr;
            const unsigned long mode = std::strtoul(text.c_str(), &end, 8);
            if (text.empty() || *end != '\0' || mode > 0777)
                throw node["socket_mode"].error("expected octal permission bits such as \"0660\"");
            options.socketMode = static_cast<unsigned>(mode);
        }
        const auto initial =
            node.get<std::int64_t>("reconnect_initial_ms", options.reconnectInitial.count());
        const auto max = node.get<std::int64_t>("reconnect_max_ms", options.reconnectMax.count());
        if (initial <= 0) throw node["reconnect_initial_ms"].error("must be a positive integer");
        if (max < initial)
            throw node["reconnect_max_ms"].error("must not be less than reconnect_initial_ms");
        options.reconnectInitial = std::chrono::milliseconds(initial);
        options.reconnectMax = std::chrono::milliseconds(max);
        return options;
    } catch (const ConfigError& error) {
        return fail(ErrorKind::InvalidConfig, error.what());
    } catch (const std::exception& error) {
        return fail(ErrorKind::InvalidConfig, node.errorValue(error.what()).message);
    }
}

// ---- Link: one connected socket, after or during the handshake ---------------------------------

/// One socket. Lives on the I/O thread; kept alive by its pending operations and by the
/// transport's maps. Reports to the transport: up (handshake done), each frame, down (once).
class Link : public std::enable_shared_from_this<Link> {
  public:
    Link(UdsTransport& transport, stream::socket socket, bool outbound, PeerId key)
        : transport_(transport),
          socket_(std::move(socket)),
          outbound_(outbound),
          key_(std::move(key)) {
        ++transport_.openLinks_;
    }

    bool outbound() const { return outbound_; }
    bool up() const { return up_; }
    /// The address (connect()ed links) or the peer's identity (accepted links, once up).
    const PeerId& key() const { return key_; }

    void start() {
        preamble_.assign(kMagic.begin(), kMagic.end());
        unsigned char header[kHeaderBytes];
        putU64(header, transport_.identity_.size());
        preamble_.append(reinterpret_cast<const char*>(header), kHeaderBytes);
        preamble_ += transport_.identity_;
        writing_ = true;
        asio::async_write(socket_, asio::buffer(preamble_),
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              self->writing_ = false;
                              if (ec) return self->fail(ioError("handshake write", ec));
                              self->writeMore();
                          });
        asio::async_read(
            socket_, asio::buffer(magic_),
            [self = shared_from_this()](const error_code& ec, std::size_t) {
                if (ec) return self->fail(ioError("handshake read", ec));
                if (self->magic_ != kMagic)
                    return self->fail({ErrorKind::Protocol, "uds: peer is not a YMQ peer"});
                self->readHeader(true);
            });
    }

    void send(Buffer frame) {
        queuedBytes_ += frame.size();
        queue_.push_back(std::move(frame));
        writeMore();
        checkQueue();
    }

    /// Frames queued but not handed to the socket yet (a reconnecting link sends them again).
    std::deque<Buffer> takeUnsent() { return std::exchange(queue_, {}); }

    /// Closes the socket once everything queued is written (at shutdown).
    void closeWhenDrained() {
        drainThenClose_ = true;
        if (!writing_ && queue_.empty()) close();
    }

    /// Idempotent; reports nothing to the handler.
    void close() {
        if (closed_) return;
        closed_ = true;
        error_code ignored;
        socket_.close(ignored);
        transport_.linkClosed();
    }

  private:
    void readHeader(bool identity) {
        asio::async_read(
            socket_, asio::buffer(header_),
            [self = shared_from_this(), identity](const error_code& ec, std::size_t) {
                if (ec)
                    return self->fail(ioError(ec == asio::error::eof ? "peer closed" : "read", ec));
                self->readBody(identity, getU64(self->header_.data()));
            });
    }

    void readBody(bool identity, std::uint64_t size) {
        const std::uint64_t limit = identity ? kMaxIdentityBytes : transport_.maxFrameBytes_;
        if ((identity && size == 0) || size > limit) {
            // Refused before allocating: a hostile length costs nothing.
            return fail({ErrorKind::TooLarge,
                         fmt::format("uds: peer sent a {} of {} bytes (limit {})",
                                     identity ? "handshake identity" : "frame", size, limit)});
        }
        body_ = Buffer::allocate(static_cast<std::size_t>(size));
        if (size == 0) return deliver(identity);
        asio::async_read(socket_, asio::buffer(body_.mutableData(), body_.size()),
                         [self = shared_from_this(), identity](const error_code& ec, std::size_t) {
                             if (ec) return self->fail(ioError("read", ec));
                             self->deliver(identity);
                         });
    }

    void deliver(bool identity) {
        if (closed_) return;
        auto self = shared_from_this();
        if (identity) {
            if (!outbound_) key_ = std::string(body_.view());
            body_ = Buffer();
            up_ = true;
            transport_.linkUp(self);
        } else {
            transport_.linkFrame(self, std::move(body_));
        }
        if (closed_) return;
        if (congested_ && transport_.limits_.pauseReadingWhenCongested) {
            readPaused_ = true;  // checkQueue() reads on once the link is relieved
            return;
        }
        readHeader(false);
    }

    /// Flow control (see plexus::SendLimits): reports watermark crossings, resumes a paused
    /// read, and closes an accepted link past the hard limit.
    void checkQueue() {
        if (closed_) return;
        const SendLimits& limits = transport_.limits_;
        if (!outbound_ && limits.hardLimitBytes != 0 && queuedBytes_ > limits.hardLimitBytes) {
            return fail({ErrorKind::Overloaded,
                         fmt::format("uds: {} bytes queued toward a peer that does not read them "
                                     "(hard limit {} bytes)",
                                     queuedBytes_, limits.hardLimitBytes)});
        }
        if (!congested_ && queuedBytes_ >= limits.highWatermarkBytes) {
            congested_ = true;
            transport_.linkCongestion(shared_from_this(), true);
        } else if (congested_ && queuedBytes_ <= limits.lowWatermarkBytes) {
            congested_ = false;
            transport_.linkCongestion(shared_from_this(), false);
            if (readPaused_ && !closed_) {
                readPaused_ = false;
                readHeader(false);
            }
        }
    }

    void writeMore() {
        if (writing_ || closed_) return;
        if (queue_.empty()) {
            if (drainThenClose_) close();
            return;
        }
        inFlight_.clear();
        headers_.clear();
        gather_.clear();
        inFlightBytes_ = 0;
        while (!queue_.empty() && inFlight_.size() < kFramesPerWrite) {
            inFlightBytes_ += queue_.front().size();
            inFlight_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        headers_.resize(inFlight_.size());
        for (std::size_t i = 0; i < inFlight_.size(); ++i) {
            putU64(headers_[i].data(), inFlight_[i].size());
            gather_.emplace_back(headers_[i].data(), kHeaderBytes);
            if (!inFlight_[i].empty())
                gather_.emplace_back(inFlight_[i].data(), inFlight_[i].size());
        }
        writing_ = true;
        asio::async_write(socket_, gather_,
                          [self = shared_from_this()](const error_code& ec, std::size_t) {
                              self->writing_ = false;
                              // Frames in flight when a link fails are dropped (at most once):
                              // resending a frame the peer refused would only get the link closed
                              // again.
                              self->inFlight_.clear();
                              self->queuedBytes_ -= self->inFlightBytes_;
                              if (ec) return self->fail(ioError("write", ec));
                              self->writeMore();
                              self->checkQueue();
                          });
    }

    void fail(const Error& reason) {
        if (closed_) return;
        close();
        transport_.linkDown(shared_from_this(), reason);
    }

    UdsTransport& transport_;
    stream::socket socket_;
    const bool outbound_;
    PeerId key_;
    bool up_ = false;
    bool closed_ = false;
    bool writing_ = false;
    bool drainThenClose_ = false;
    bool congested_ = false;
    bool readPaused_ = false;
    std::size_t queuedBytes_ = 0;  // queue_ and inFlight_ payloads
    std::size_t inFlightBytes_ = 0;
    std::string preamble_;
    std::array<char, 4> magic_{};
    std::array<unsigned char, kHeaderBytes> header_{};
    Buffer body_;
    std::deque<Buffer> queue_;
    std::vector<Buffer> inFlight_;
    std::vector<std::array<unsigned char, kHeaderBytes>> headers_;
    std::vector<asio::const_buffer> gather_;
};

// ---- the transport ----------------------------------------------------------------------------

struct UdsTransport::Listener {
    explicit Listener(asio::io_context& io) : acceptor(io) {}
    ~Listener() { close(); }
    void close() {
        if (!acceptor.is_open()) return;
        error_code ignored;
        acceptor.close(ignored);
        // Remove the socket file only if it is still ours (not re-bound by someone else since).
        struct stat now {};
        if (::stat(path.c_str(), &now) == 0 && now.st_dev == device && now.st_ino == inode)
            ::unlink(path.c_str());
    }
    stream::acceptor acceptor;
    std::string path;
    dev_t device = 0;
    ino_t inode = 0;
};

struct UdsTransport::Connector {
    Connector(asio::io_context& io, PeerId address, std::string path,
              std::chrono::milliseconds delay)
        : address(std::move(address)), path(std::move(path)), socket(io), timer(io), delay(delay) {}
    const PeerId address;
    const std::string path;
    stream::socket socket;            // while dialling
    std::shared_ptr<Link> link;       // once connected (up or handshaking)
    std::deque<Buffer> pending;       // frames waiting for a link that is up
    asio::steady_timer timer;         // between attempts
    std::chrono::milliseconds delay;  // the next wait, doubled up to reconnectMax
    bool linkUpOnce = false;
};

UdsTransport::UdsTransport(const TransportContext& context, UdsOptions options)
    : work_(asio::make_work_guard(io_)),
      identity_(context.identity),
      maxFrameBytes_(context.maxFrameBytes),
      handler_(context.handler),
      options_(options),
      limits_(context.sendLimits) {
    thread_ = std::thread([this] {
        try {
            io_.run();
        } catch (const std::exception& error) {
            logger().critical("uds transport: I/O thread stopped: {}", error.what());
        }
    });
}

UdsTransport::~UdsTransport() {
    destroying_ = true;
    auto drained = drained_.get_future();
    asio::post(io_, [this] { beginShutdown(); });
    drained.wait_for(kDrainTimeout);
    io_.stop();
    thread_.join();
    // The I/O thread is gone: plain members can be torn down from here.
    connectors_.clear();
    accepted_.clear();
    handshaking_.clear();
    listeners_.clear();
}

template <class Work>
auto UdsTransport::onIoThread(Work work) -> decltype(work()) {
    std::packaged_task<decltype(work())()> task(std::move(work));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
}

Result<std::string> UdsTransport::listen(std::string_view address) {
    auto parsed = parseUdsAddress(address);
    if (!parsed) return tl::unexpected(parsed.error());
    const std::string path = parsed->empty() ? freshSocketPath() : *parsed;
    return onIoThread([this, path]() -> Result<std::string> {
        auto listener = std::make_unique<Listener>(io_);
        error_code ec;
        listener->acceptor.open(stream(), ec);
        if (!ec) listener->acceptor.bind(stream::endpoint(path), ec);
        if (ec == asio::error::address_in_use) {
            // A file is there. If nobody accepts on it, it is left over from a process that
            // died: remove it and bind again. If somebody does, the address is taken.
            stream::socket probe(io_);
            error_code probeError;
            probe.connect(stream::endpoint(path), probeError);
            if (probeError == asio::error::connection_refused) {
                ::unlink(path.c_str());
                ec.clear();
                listener->acceptor.bind(stream::endpoint(path), ec);
            }
        }
        if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            return fail(ErrorKind::Io,
                        fmt::format("uds: cannot listen on unix://{}: {}", path, ec.message()));
        }
        struct stat bound {};
        if (::stat(path.c_str(), &bound) == 0) {
            listener->device = bound.st_dev;
            listener->inode = bound.st_ino;
        }
        listener->path = path;
        if (options_.socketMode != 0) ::chmod(path.c_str(), options_.socketMode);
        accept(*listener);
        listeners_.push_back(std::move(listener));
        return std::string(kScheme) + path;
    });
}

void UdsTransport::accept(Listener& listener) {
    listener.acceptor.async_accept([this, &listener](const error_code& ec, stream::socket socket) {
        if (ec == asio::error::operation_aborted || closing_) return;
        if (!ec) {
            auto link = std::make_shared<Link>(*this, std::move(socket), false, PeerId());
            handshaking_.insert(link);
            link->start();
        } else {
            logger().warn("uds: accept on unix://{} failed: {}", listener.path, ec.message());
        }
        accept(listener);
    });
}

Result<PeerId> UdsTransport::connect(std::string_view address) {
    auto parsed = parseUdsAddress(address);
    if (!parsed) return tl::unexpected(parsed.error());
    if (parsed->empty())
        return fail(ErrorKind::InvalidArgument, "uds: connect needs a socket path");
    return onIoThread([this, peer = PeerId(address), path = *parsed]() -> Result<PeerId> {
        if (connectors_.count(peer) == 0) {
            connectors_.emplace(
                peer, std::make_unique<Connector>(io_, peer, path, options_.reconnectInitial));
            dial(peer);
        }
        return peer;
    });
}

void UdsTransport::dial(const PeerId& address) {
    auto it = connectors_.find(address);
    if (it == connectors_.end() || closing_) return;
    Connector& c = *it->second;
    c.socket = stream::socket(io_);
    c.socket.async_connect(stream::endpoint(c.path), [this, address](const error_code& ec) {
        auto found = connectors_.find(address);
        if (ec == asio::error::operation_aborted || closing_ || found == connectors_.end()) return;
        Connector& connector = *found->second;
        if (ec) {
            logger().debug("uds: connect to {} failed: {}; retrying in {} ms", address,
                           ec.message(), connector.delay.count());
            return scheduleRedial(connector);
        }
        connector.link = std::make_shared<Link>(*this, std::move(connector.socket), true, address);
        connector.link->start();
    });
}

void UdsTransport::scheduleRedial(Connector& connector) {
    connector.timer.expires_after(connector.delay);
    connector.delay = std::min(connector.delay * 2, options_.reconnectMax);
    connector.timer.async_wait([this, address = connector.address](const error_code& ec) {
        if (!ec) dial(address);
    });
}

void UdsTransport::send(const PeerId& peer, Buffer frame) {
    asio::post(io_, [this, peer, frame = std::move(frame)]() mutable {
        if (closing_) return;
        if (auto c = connectors_.find(peer); c != connectors_.end()) {
            Connector& connector = *c->second;
            if (connector.link && connector.link->up()) {
                connector.link->send(std::move(frame));
            } else {
                connector.pending.push_back(std::move(frame));
            }
        } else if (auto a = accepted_.find(peer); a != accepted_.end()) {
            a->second->send(std::move(frame));
        } else {
            logger().debug("uds: dropping a frame of {} bytes for unknown peer {}", frame.size(),
                           printable(peer));
        }
    });
}

void UdsTransport::disconnect(const PeerId& peer) {
    asio::post(io_, [this, peer] {
        if (auto c = connectors_.find(peer); c != connectors_.end()) {
            auto link = c->second->link;
            connectors_.erase(c);  // cancels its timer and any connect in progress
            if (link) {
                const bool wasUp = link->up();
                link->close();
                if (wasUp && !closing_)
                    handler_->onDisconnected(
                        peer, {ErrorKind::Disconnected, "uds: disconnected locally"});
            }
        } else if (auto a = accepted_.find(peer); a != accepted_.end()) {
            auto link = a->second;
            accepted_.erase(a);
            link->close();
            if (!closing_)
                handler_->onDisconnected(peer,
                                         {ErrorKind::Disconnected, "uds: disconnected locally"});
        }
    });
}

void UdsTransport::post(std::function<void()> work) {
    asio::post(io_, [this, work = std::move(work)] {
        if (!destroying_) work();
    });
}

void UdsTransport::linkUp(const std::shared_ptr<Link>& link) {
    if (link->outbound()) {
        auto c = connectors_.find(link->key());
        if (c == connectors_.end() || c->second->link != link) return link->close();
        Connector& connector = *c->second;
        connector.delay = options_.reconnectInitial;
        if (!closing_) handler_->onConnected(link->key());
        while (!connector.pending.empty()) {
            link->send(std::move(connector.pending.front()));
            connector.pending.pop_front();
        }
        return;
    }
    handshaking_.erase(link);
    if (auto old = accepted_.find(link->key()); old != accepted_.end()) {
        // The same peer again (it reconnected before we saw the old link drop): the new link wins.
        auto previous = old->second;
        accepted_.erase(old);
        previous->close();
        if (!closing_)
            handler_->onDisconnected(link->key(),
                                     {ErrorKind::Disconnected, "uds: replaced by a new link"});
    }
    accepted_.emplace(link->key(), link);
    if (!closing_) handler_->onConnected(link->key());
}

void UdsTransport::linkFrame(const std::shared_ptr<Link>& link, Buffer frame) {
    if (!closing_) handler_->onFrame(link->key(), std::move(frame));
}

void UdsTransport::linkCongestion(const std::shared_ptr<Link>& link, bool congested) {
    if (closing_) return;
    if (link->outbound()) {
        auto c = connectors_.find(link->key());
        if (c == connectors_.end() || c->second->link != link) return;
    } else if (auto a = accepted_.find(link->key()); a == accepted_.end() || a->second != link) {
        return;
    }
    handler_->onBackpressure(link->key(), congested);
}

void UdsTransport::linkDown(const std::shared_ptr<Link>& link, const Error& reason) {
    if (link->outbound()) {
        auto c = connectors_.find(link->key());
        if (c == connectors_.end() || c->second->link != link) return;
        Connector& connector = *c->second;
        // What was queued but never written goes out first on the next link, in order.
        auto unsent = link->takeUnsent();
        connector.pending.insert(connector.pending.begin(), std::make_move_iterator(unsent.begin()),
                                 std::make_move_iterator(unsent.end()));
        connector.link.reset();
        if (link->up() && !closing_) handler_->onDisconnected(link->key(), reason);
        if (!closing_) scheduleRedial(connector);
        return;
    }
    handshaking_.erase(link);
    if (auto a = accepted_.find(link->key()); a != accepted_.end() && a->second == link) {
        accepted_.erase(a);
        if (!closing_) handler_->onDisconnected(link->key(), reason);
    }
}

void UdsTransport::linkClosed() {
    --openLinks_;
    if (closing_ && openLinks_ == 0 && !drainedSet_) {
        drainedSet_ = true;
        drained_.set_value();
    }
}

void UdsTransport::beginShutdown() {
    closing_ = true;
    for (auto& listener : listeners_) listener->close();
    for (auto& [address, connector] : connectors_) {
        connector->timer.cancel();
        error_code ignored;
        connector->socket.close(ignored);
        if (connector->link) {
            if (connector->link->up()) {
                connector->link->closeWhenDrained();
            } else {
                connector->link->close();
            }
        }
    }
    for (const auto& link : std::vector(handshaking_.begin(), handshaking_.end())) link->close();
    for (auto& [identity, link] : accepted_) link->closeWhenDrained();
    if (openLinks_ == 0 && !drainedSet_) {
        drainedSet_ = true;
        drained_.set_value();
    }
}

Result<std::unique_ptr<Transport>> UdsTransportFactory::create(
    const TransportContext& context) const noexcept {
    try {
        if (context.handler == nullptr)
            return fail(ErrorKind::InvalidArgument, "uds transport: no handler given");
        if (context.identity.empty() || context.identity.size() > kMaxIdentityBytes) {
            return fail(
                ErrorKind::InvalidArgument,
                fmt::format("uds transport: identity must be 1 to {} bytes", kMaxIdentityBytes));
        }
        auto options = parseUdsOptions(context.options);
        if (!options) return tl::unexpected(options.error());
        return std::make_unique<UdsTransport>(context, *options);
    } catch (const std::exception& error) {
        return fail(ErrorKind::Internal, fmt::format("uds transport: {}", error.what()));
    } catch (...) {
        return fail(ErrorKind::Internal, "uds transport: unknown exception");
    }
}

}  // namespace plexus::uds
