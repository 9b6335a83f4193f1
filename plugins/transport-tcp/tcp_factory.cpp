#include "tcp_factory.h"

#include <exception>

#include <fmt/format.h>

#include "framing.h"
#include "tcp_options.h"
#include "tcp_transport.h"

namespace plexus::tcp {

Result<std::unique_ptr<Transport>> TcpTransportFactory::create(
    const TransportContext& context) const noexcept {
    try {
        if (context.handler == nullptr) {
            return fail(ErrorKind::InvalidArgument, "tcp transport: no handler given");
        }
        // Peers refuse an empty or oversize identity frame (see FrameDecoder), so refuse it here.
        if (context.identity.empty() || context.identity.size() > kMaxIdentityBytes) {
            return fail(ErrorKind::InvalidArgument,
                        fmt::format("tcp transport: identity must be 1 to {} bytes, not {}",
                                    kMaxIdentityBytes, context.identity.size()));
        }
        auto options = parseTcpOptions(context.options);
        if (!options) return tl::unexpected<Error>(options.error());
        return std::make_unique<TcpTransport>(context, *options);
    } catch (const std::exception& error) {
        return fail(ErrorKind::Internal, fmt::format("tcp transport: {}", error.what()));
    } catch (...) {
        return fail(ErrorKind::Internal, "tcp transport: unknown exception");
    }
}

}  // namespace plexus::tcp
