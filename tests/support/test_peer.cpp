#include "support/test_peer.h"

#include <stdexcept>

#include "support/test_support.h"

namespace plexus::test {

TestPeer::TestPeer(const std::string& transport, const std::string& codec, const std::string& role)
    : registry_(makeBuildRegistry()), identity_(makeIdentity(role)) {
    codec_ = orThrow(orThrow(registry_->codec(codec))->create(CodecContext{}));
    transport_ = orThrow(
        orThrow(registry_->transport(transport))
            ->create(TransportContext{identity_, std::size_t{1} << 30, this, ConfigNode(), {}}));
}

TestPeer::~TestPeer() {
    transport_.reset();
}

void TestPeer::connect(const std::string& address) {
    scheduler_ = orThrow(transport_->connect(address));
}

void TestPeer::send(const Message& message) {
    transport_->send(scheduler_, orThrow(codec_->encode(message)));
}

void TestPeer::sendRaw(Buffer frame) {
    transport_->send(scheduler_, std::move(frame));
}

std::optional<Message> TestPeer::waitFor(MessageKind kind, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        for (auto it = received_.begin(); it != received_.end(); ++it) {
            if (kindOf(*it) == kind) {
                Message found = std::move(*it);
                received_.erase(it);
                return found;
            }
        }
        if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
    }
}

bool TestPeer::connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
}

void TestPeer::onConnected(const PeerId&) {
    std::lock_guard lock(mutex_);
    connected_ = true;
}

void TestPeer::onDisconnected(const PeerId&, const Error&) {
    std::lock_guard lock(mutex_);
    connected_ = false;
}

void TestPeer::onFrame(const PeerId&, Buffer frame) {
    auto message = codec_->decode(frame);
    if (!message) return;  // a test peer only collects what it can read
    {
        std::lock_guard lock(mutex_);
        received_.push_back(std::move(*message));
    }
    arrived_.notify_all();
}

}  // namespace plexus::test
