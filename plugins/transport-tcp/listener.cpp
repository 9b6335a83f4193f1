#include "listener.h"

#include <chrono>

#include <fmt/format.h>
#include <boost/asio/error.hpp>

#include "address.h"
#include "plexus/log.h"

namespace plexus::tcp {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
/// Pause after a failed accept: long enough not to spin on EMFILE, short enough to recover fast.
constexpr std::chrono::milliseconds kAcceptRetryPause{100};
}  // namespace

Listener::Listener(asio::io_context& io, AcceptFn onAccept)
    : acceptor_(io), pause_(io), onAccept_(std::move(onAccept)) {}

Result<std::unique_ptr<Listener>> Listener::open(asio::io_context& io,
                                                 const asio::ip::tcp::endpoint& endpoint,
                                                 AcceptFn onAccept) {
    std::unique_ptr<Listener> listener(new Listener(io, std::move(onAccept)));
    auto failed = [&](const char* step, const error_code& ec) {
        return fail(ErrorKind::Io, fmt::format("cannot listen on {}: {} failed: {}",
                                               formatTcpAddress(endpoint), step, ec.message()));
    };
    error_code ec;
    asio::ip::tcp::acceptor& acceptor = listener->acceptor_;
    if (acceptor.open(endpoint.protocol(), ec); ec) return failed("socket", ec);
    if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
        return failed("SO_REUSEADDR", ec);
    }
    if (acceptor.bind(endpoint, ec); ec) return failed("bind", ec);
    if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
        return failed("listen", ec);
    }
    const auto bound = acceptor.local_endpoint(ec);
    if (ec) return failed("getsockname", ec);
    listener->address_ = formatTcpAddress(bound);
    return listener;
}

void Listener::start() {
    if (closed_) return;
    acceptor_.async_accept([this](const error_code& ec, asio::ip::tcp::socket socket) {
        onAccepted(ec, std::move(socket));
    });
}

void Listener::close() {
    closed_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    pause_.cancel();
}

void Listener::onAccepted(const error_code& ec, asio::ip::tcp::socket socket) {
    if (closed_ || ec == asio::error::operation_aborted) return;
    if (ec) {
        logger().warn("tcp: accept on {} failed: {}; retrying", address_, ec.message());
        pause_.expires_after(kAcceptRetryPause);
        pause_.async_wait([this](const error_code& waitError) {
            if (!waitError) start();
        });
        return;
    }
    onAccept_(std::move(socket));
    start();
}

}  // namespace plexus::tcp
