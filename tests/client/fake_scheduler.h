#pragma once

// A scheduler played by the test: listens with the real tcp transport and capnp codec (loaded
// through the real plugin loader), records every message a client sends, and sends what the test
// tells it to. It echoes heartbeats by itself unless told not to.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "plexus/codec.h"
#include "plexus/messages.h"
#include "plexus/plugin_registry.h"
#include "plexus/transport.h"

namespace plexus::test {

class FakeScheduler final : public TransportHandler {
  public:
    FakeScheduler();
    ~FakeScheduler() override;

    /// The bound address ("tcp://127.0.0.1:<port>").
    const std::string& address() const { return address_; }
    /// Whether ClientHeartbeats are answered with an echo at once (default true).
    void setAutoEcho(bool on) { autoEcho_ = on; }

    /// The next message of `kind` not yet taken, skipping (and keeping) others; nothing after
    /// `timeout`.
    std::optional<Message> waitFor(MessageKind kind,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// The kinds of every message received so far, in order.
    std::vector<MessageKind> kinds() const;
    std::size_t count(MessageKind kind) const;
    /// Copies of every message received so far, in order.
    std::vector<Message> log() const;
    /// Waits until the client's link is up; false after `timeout`.
    bool waitForClient(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// Sends to the client (the last peer that sent something).
    void send(const Message& message);
    /// Closes the client's link.
    void dropClient();

    void onConnected(const PeerId& peer) override;
    void onDisconnected(const PeerId& peer, const Error& reason) override;
    void onFrame(const PeerId& peer, Buffer frame) override;

  private:
    std::unique_ptr<PluginRegistry> registry_;
    std::unique_ptr<Codec> codec_;
    std::string address_;
    std::atomic<bool> autoEcho_{true};
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<Message> pending_;
    std::vector<Message> log_;
    PeerId client_;
    std::unique_ptr<Transport> transport_;  // last: destroyed first
};

}  // namespace plexus::test
