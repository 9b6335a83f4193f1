#pragma once

#include <memory>

#include "plexus/transport.h"

namespace plexus::tcp {

/// Builds TcpTransports. Validates the context (handler present, identity 1..4096 bytes) and the
/// plugin options (see tcp_options.h). Never throws: failures come back as InvalidArgument,
/// InvalidConfig or Internal errors. Thread-safe (stateless).
class TcpTransportFactory final : public TransportFactory {
  public:
    Result<std::unique_ptr<Transport>> create(
        const TransportContext& context) const noexcept override;
};

}  // namespace plexus::tcp
