// A transport plugin that does nothing, built only for the registry tests: it proves that a
// well-formed plugin loads through the real loader and that its objects work while it is loaded.

#include <functional>
#include <memory>
#include <string>

#include "plexus/plugin_abi.h"
#include "plexus/transport.h"

namespace {

class FakeTransport final : public plexus::Transport {
  public:
    plexus::Result<std::string> listen(std::string_view address) override {
        return std::string(address);
    }
    plexus::Result<plexus::PeerId> connect(std::string_view address) override {
        return plexus::PeerId(address);
    }
    void send(const plexus::PeerId&, plexus::Buffer) override {}
    void disconnect(const plexus::PeerId&) override {}
    void post(std::function<void()>) override {}
};

class FakeTransportFactory final : public plexus::TransportFactory {
  public:
    plexus::Result<std::unique_ptr<plexus::Transport>> create(
        const plexus::TransportContext& context) const noexcept override {
        try {
            context.options.allowOnly({});
        } catch (const plexus::ConfigError& e) {
            return plexus::fail(plexus::ErrorKind::InvalidConfig, e.what());
        }
        return std::unique_ptr<plexus::Transport>(std::make_unique<FakeTransport>());
    }
};

}  // namespace

PLEXUS_TRANSPORT_PLUGIN("fake", "0.0.1-test", FakeTransportFactory)
