#include "link_env.h"

#include <exception>

#include "plexus/identity.h"
#include "plexus/log.h"

namespace plexus::tcp {
namespace {

template <class Call>
void guarded(const char* what, const PeerId& peer, Call call) noexcept {
    try {
        call();
    } catch (const std::exception& error) {
        logger().error("tcp: TransportHandler::{}({}) threw: {}", what, printable(peer),
                       error.what());
    } catch (...) {
        logger().error("tcp: TransportHandler::{}({}) threw", what, printable(peer));
    }
}

}  // namespace

void LinkEnv::notifyConnected(const PeerId& peer) noexcept {
    if (stopping) return;
    guarded("onConnected", peer, [&] { handler.onConnected(peer); });
}

void LinkEnv::notifyDisconnected(const PeerId& peer, const Error& reason) noexcept {
    if (stopping) return;
    guarded("onDisconnected", peer, [&] { handler.onDisconnected(peer, reason); });
}

void LinkEnv::notifyFrame(const PeerId& peer, Buffer frame) noexcept {
    if (stopping) return;
    guarded("onFrame", peer, [&] { handler.onFrame(peer, std::move(frame)); });
}

void LinkEnv::notifyBackpressure(const PeerId& peer, bool congested) noexcept {
    if (stopping) return;
    guarded("onBackpressure", peer, [&] { handler.onBackpressure(peer, congested); });
}

}  // namespace plexus::tcp
