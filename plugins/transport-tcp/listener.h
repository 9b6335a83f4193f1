#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "plexus/result.h"

namespace plexus::tcp {

/// One listening socket. Hands every accepted socket to `onAccept` and keeps accepting; a
/// failed accept (e.g. out of file descriptors) is logged and retried after a short pause
/// instead of spinning.
///
/// Thread: I/O thread only. Owned by the TcpTransport, which destroys it only after its I/O
/// thread has stopped (pending handlers refer to `this`).
class Listener {
  public:
    using AcceptFn = std::function<void(boost::asio::ip::tcp::socket)>;

    /// Binds (with SO_REUSEADDR, so a restarted process gets its port back at once) and listens.
    /// Errors: ErrorKind::Io naming the address (e.g. address in use).
    static Result<std::unique_ptr<Listener>> open(boost::asio::io_context& io,
                                                  const boost::asio::ip::tcp::endpoint& endpoint,
                                                  AcceptFn onAccept);

    /// The bound address, with a requested port 0 resolved: "tcp://127.0.0.1:40123".
    const std::string& address() const noexcept { return address_; }
    void start();
    void close();

  private:
    Listener(boost::asio::io_context& io, AcceptFn onAccept);
    void onAccepted(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer pause_;
    AcceptFn onAccept_;
    std::string address_;
    bool closed_ = false;
};

}  // namespace plexus::tcp
