#include "client/fake_scheduler.h"

#include <stdexcept>

#include "support/test_support.h"

namespace plexus::test {

FakeScheduler::FakeScheduler() : registry_(makeBuildRegistry()) {
    codec_ = orThrow(orThrow(registry_->codec("capnp"))->create(CodecContext{}));
    transport_ =
        orThrow(orThrow(registry_->transport("tcp"))
                    ->create(TransportContext{
                        makeIdentity("scheduler"), std::size_t{1} << 30, this, ConfigNode(), {}}));
    address_ = orThrow(transport_->listen("tcp://127.0.0.1:0"));
}

FakeScheduler::~FakeScheduler() {
    transport_.reset();
}

std::optional<Message> FakeScheduler::waitFor(MessageKind kind, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if (kindOf(*it) == kind) {
                Message found = std::move(*it);
                pending_.erase(it);
                return found;
            }
        }
        if (arrived_.wait_until(lock, deadline) == std::cv_status::timeout) {
            for (auto it = pending_.begin(); it != pending_.end(); ++it) {
                if (kindOf(*it) == kind) {
                    Message found = std::move(*it);
                    pending_.erase(it);
                    return found;
                }
            }
            return std::nullopt;
        }
    }
}

std::vector<MessageKind> FakeScheduler::kinds() const {
    std::lock_guard lock(mutex_);
    std::vector<MessageKind> out;
    for (const auto& message : log_) out.push_back(kindOf(message));
    return out;
}

std::size_t FakeScheduler::count(MessageKind kind) const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& message : log_) n += kindOf(message) == kind;
    return n;
}

std::vector<Message> FakeScheduler::log() const {
    std::lock_guard lock(mutex_);
    std::vector<Message> out;
    for (const auto& message : log_) out.push_back(cloneMessage(message));
    return out;
}

bool FakeScheduler::waitForClient(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [this] { return !client_.empty(); });
}

void FakeScheduler::send(const Message& message) {
    PeerId client;
    {
        std::lock_guard lock(mutex_);
        client = client_;
    }
    if (client.empty()) throw std::runtime_error("fake scheduler: no client yet");
    transport_->send(client, orThrow(codec_->encode(message)));
}

void FakeScheduler::dropClient() {
    std::lock_guard lock(mutex_);
    if (!client_.empty()) transport_->disconnect(client_);
}

void FakeScheduler::onConnected(const PeerId& peer) {
    {
        std::lock_guard lock(mutex_);
        client_ = peer;
    }
    arrived_.notify_all();
}

void FakeScheduler::onDisconnected(const PeerId&, const Error&) {}

void FakeScheduler::onFrame(const PeerId& peer, Buffer frame) {
    auto message = codec_->decode(frame);
    if (!message) return;
    const bool echo = kindOf(*message) == MessageKind::clientHeartbeat && autoEcho_;
    {
        std::lock_guard lock(mutex_);
        client_ = peer;
        log_.push_back(cloneMessage(*message));
        pending_.push_back(std::move(*message));
    }
    arrived_.notify_all();
    if (echo) transport_->send(peer, orThrow(codec_->encode(ClientHeartbeatEcho{})));
}

}  // namespace plexus::test
