#include "zmq_factory.h"

#include <exception>

#include <fmt/format.h>

#include "zmq_options.h"
#include "zmq_transport.h"

namespace plexus::zmq {

namespace {
// libzmq's limit for ZMQ_ROUTING_ID.
constexpr std::size_t kMaxRoutingIdBytes = 255;
}  // namespace

Result<std::unique_ptr<Transport>> ZmqTransportFactory::create(
    const TransportContext& context) const noexcept {
    try {
        if (context.handler == nullptr) {
            return fail(ErrorKind::InvalidArgument, "zmq transport: no handler given");
        }
        if (context.identity.empty() || context.identity.size() > kMaxRoutingIdBytes ||
            context.identity.front() == '\0') {
            return fail(ErrorKind::InvalidArgument,
                        fmt::format("zmq transport: identity must be 1 to {} bytes and not start "
                                    "with a zero byte (a ZeroMQ routing id), got {} bytes",
                                    kMaxRoutingIdBytes, context.identity.size()));
        }
        auto options = parseZmqOptions(context.options);
        if (!options) return tl::unexpected<Error>(options.error());
        return std::make_unique<ZmqTransport>(context, *options);
    } catch (const std::exception& error) {
        return fail(ErrorKind::Internal, fmt::format("zmq transport: {}", error.what()));
    } catch (...) {
        return fail(ErrorKind::Internal, "zmq transport: unknown exception");
    }
}

}  // namespace plexus::zmq
