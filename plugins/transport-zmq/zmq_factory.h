#pragma once

#include <memory>

#include "plexus/transport.h"

namespace plexus::zmq {

/// Builds ZmqTransports. Validates the context (handler present; identity 1..255 bytes, not
/// starting with a zero byte, as libzmq requires of a routing id) and the plugin options (see
/// zmq_options.h). Never throws: failures come back as InvalidArgument, InvalidConfig or
/// Internal errors. Thread-safe (stateless).
class ZmqTransportFactory final : public TransportFactory {
  public:
    Result<std::unique_ptr<Transport>> create(
        const TransportContext& context) const noexcept override;
};

}  // namespace plexus::zmq
