#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "plexus/codec.h"
#include "plexus/messages.h"
#include "plexus/plugin_registry.h"
#include "plexus/transport.h"

namespace plexus::test {

/// A protocol peer for end-to-end tests: connects to an address with a real transport plugin and
/// codec plugin loaded through the registry, sends messages, and collects decoded replies.
/// Thread-safety: send() and the waits may be called from the test thread while the transport's
/// I/O thread delivers frames.
class TestPeer final : public TransportHandler {
  public:
    TestPeer(const std::string& transport, const std::string& codec,
             const std::string& role = "Client");
    ~TestPeer() override;

    const Identity& identity() const { return identity_; }
    void connect(const std::string& address);
    void send(const Message& message);
    /// Sends raw bytes as one frame (for bad-input tests).
    void sendRaw(Buffer frame);
    /// The next received message of `kind`, skipping others, or nothing after `timeout`.
    std::optional<Message> waitFor(MessageKind kind,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));
    bool connected() const;

    void onConnected(const PeerId& peer) override;
    void onDisconnected(const PeerId& peer, const Error& reason) override;
    void onFrame(const PeerId& peer, Buffer frame) override;

  private:
    std::unique_ptr<PluginRegistry> registry_;
    Identity identity_;
    std::unique_ptr<Codec> codec_;
    PeerId scheduler_;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::deque<Message> received_;
    bool connected_ = false;
    std::unique_ptr<Transport> transport_;  // last: destroyed first
};

}  // namespace plexus::test
