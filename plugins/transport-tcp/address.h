#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "plexus/result.h"

namespace plexus::tcp {

/// Parses "tcp://IP:PORT" where IP is an IPv4 literal ("127.0.0.1") or a bracketed IPv6 literal
/// ("[::1]"). Host names are refused (as in Scaler's YMQ: no DNS lookups on the I/O thread).
/// Errors are ErrorKind::InvalidArgument.
Result<boost::asio::ip::tcp::endpoint> parseTcpAddress(std::string_view address);

/// The "tcp://IP:PORT" form of `endpoint` (IPv6 in brackets); parseTcpAddress() reads it back.
std::string formatTcpAddress(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace plexus::tcp
