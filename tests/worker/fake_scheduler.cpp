#include "worker/fake_scheduler.h"

#include <stdexcept>

#include "support/test_support.h"

namespace plexus::test {

FakeScheduler::FakeScheduler(const std::string& transport, const std::string& codec)
    : registry_(makeBuildRegistry()), identity_(makeIdentity("Scheduler")) {
    codec_ = orThrow(orThrow(registry_->codec(codec))->create(CodecContext{}));
    transport_ = orThrow(
        orThrow(registry_->transport(transport))
            ->create(TransportContext{identity_, std::size_t{1} << 30, this, ConfigNode(), {}}));
    address_ = orThrow(transport_->listen("tcp://127.0.0.1:0"));
}

FakeScheduler::~FakeScheduler() {
    transport_.reset();
}

void FakeScheduler::send(const Message& message) {
    PeerId worker;
    {
        std::lock_guard lock(mutex_);
        worker = worker_;
    }
    if (worker.empty()) throw std::runtime_error("FakeScheduler::send: no worker has connected");
    transport_->send(worker, orThrow(codec_->encode(message)));
}

std::optional<Message> FakeScheduler::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_for(lock, timeout, [this] { return !received_.empty(); }))
        return std::nullopt;
    Message message = std::move(received_.front());
    received_.pop_front();
    return message;
}

std::optional<Message> FakeScheduler::waitFor(MessageKind kind, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto message = next(std::max(left, std::chrono::milliseconds(0)));
        if (!message) return std::nullopt;
        if (kindOf(*message) == kind) return message;
    }
}

bool FakeScheduler::waitForHeartbeats(std::uint64_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return heartbeats_ >= count; });
}

std::uint64_t FakeScheduler::heartbeats() const {
    std::lock_guard lock(mutex_);
    return heartbeats_;
}

std::vector<std::optional<MessageKind>> FakeScheduler::kindsBeforeHeartbeats() const {
    std::lock_guard lock(mutex_);
    return beforeHeartbeat_;
}

std::vector<Message> FakeScheduler::background() const {
    std::lock_guard lock(mutex_);
    std::vector<Message> out;
    for (const auto& message : background_) out.push_back(cloneMessage(message));
    return out;
}

namespace {
// Kinds a worker sends every heartbeat round; the per-test queue would drown in them.
bool isBackground(MessageKind kind) {
    return kind == MessageKind::workerHeartbeat || kind == MessageKind::workerCapabilities;
}
}  // namespace

bool FakeScheduler::connected() const {
    std::lock_guard lock(mutex_);
    return connected_;
}

void FakeScheduler::onConnected(const PeerId& peer) {
    {
        std::lock_guard lock(mutex_);
        worker_ = peer;
        connected_ = true;
    }
    arrived_.notify_all();
}

void FakeScheduler::onDisconnected(const PeerId&, const Error&) {
    {
        std::lock_guard lock(mutex_);
        connected_ = false;
    }
    arrived_.notify_all();
}

void FakeScheduler::onFrame(const PeerId& peer, Buffer frame) {
    auto message = codec_->decode(frame);
    if (!message) return;  // a fake scheduler only collects what it can read
    const MessageKind kind = kindOf(*message);
    {
        std::lock_guard lock(mutex_);
        worker_ = peer;
        if (kind == MessageKind::workerHeartbeat) {
            ++heartbeats_;
            beforeHeartbeat_.push_back(lastKind_);
        }
        if (isBackground(kind)) {
            background_.push_back(std::move(*message));
        } else {
            received_.push_back(std::move(*message));
        }
        lastKind_ = kind;
    }
    if (kind == MessageKind::workerHeartbeat && autoEcho_) {
        transport_->send(peer, orThrow(codec_->encode(WorkerHeartbeatEcho{})));
    }
    arrived_.notify_all();
}

}  // namespace plexus::test
