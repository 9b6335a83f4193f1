#include "address.h"

#include <charconv>

#include <fmt/format.h>

namespace plexus::tcp {

namespace asio = boost::asio;

Result<asio::ip::tcp::endpoint> parseTcpAddress(std::string_view address) {
    constexpr std::string_view kScheme = "tcp://";
    auto invalid = [&](std::string_view why) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("bad tcp address '{}': {} (expected tcp://IP:PORT)", address, why));
    };
    if (!address.starts_with(kScheme)) return invalid("no tcp:// scheme");
    const std::string_view rest = address.substr(kScheme.size());
    const std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return invalid("no port");
    std::string_view host = rest.substr(0, colon);
    const std::string_view portText = rest.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return invalid("an IPv6 address must be in brackets");
    }

    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (portText.empty() || ec != std::errc() || end != portText.data() + portText.size() ||
        port > 65535) {
        return invalid("port is not a number in 0..65535");
    }

    boost::system::error_code parseError;
    const asio::ip::address ip = asio::ip::make_address(std::string(host), parseError);
    if (parseError) return invalid("host is not an IP literal");
    return asio::ip::tcp::endpoint(ip, static_cast<unsigned short>(port));
}

std::string formatTcpAddress(const asio::ip::tcp::endpoint& endpoint) {
    const asio::ip::address ip = endpoint.address();
    if (ip.is_v6()) return fmt::format("tcp://[{}]:{}", ip.to_string(), endpoint.port());
    return fmt::format("tcp://{}:{}", ip.to_string(), endpoint.port());
}

}  // namespace plexus::tcp
