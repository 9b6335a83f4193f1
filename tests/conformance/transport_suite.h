#pragma once

// The transport conformance suite: written once against the Transport API, instantiated for
// every transport plugin, which it loads through the real plugin loader. Nothing here may depend
// on a particular transport.
//
// To run it for a plugin, add tests/conformance/transport_suite.cpp to the test executable's
// SOURCES and, in one of its files:
//
//   #include "conformance/transport_suite.h"
//   PLEXUS_INSTANTIATE_TRANSPORT_SUITE(Tcp, "tcp", "tcp://127.0.0.1:0");
//
// The listen address must request port 0; the suite reuses the resolved port when it restarts
// a listener.

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "plexus/plugin_registry.h"
#include "plexus/transport.h"

namespace plexus::test {

struct TransportSuiteParam {
    std::string plugin;         ///< plugin name, e.g. "tcp"
    std::string listenAddress;  ///< an address with port 0, e.g. "tcp://127.0.0.1:0"
};

/// How gtest prints a parameter in test names and failure messages.
inline void PrintTo(const TransportSuiteParam& param, std::ostream* out) {
    *out << param.plugin << " at " << param.listenAddress;
}

/// A TransportHandler that records everything, for tests. Thread-safe; it also checks the
/// handler contract: calls come from a single thread, one at a time.
class RecordingHandler final : public TransportHandler {
  public:
    void onConnected(const PeerId& peer) override;
    void onDisconnected(const PeerId& peer, const Error& reason) override;
    void onFrame(const PeerId& peer, Buffer frame) override;
    void onBackpressure(const PeerId& peer, bool congested) override;

    /// While held, onFrame() blocks, and with it the transport's I/O thread: the way to make a
    /// transport stop reading (a stalled peer). Release before destroying the transport.
    void holdFrames();
    void releaseFrames();
    /// The congestion reports for `peer`, oldest first.
    std::vector<bool> backpressure(const PeerId& peer) const;

    int connectedCount(const PeerId& peer) const;
    int disconnectedCount(const PeerId& peer) const;
    int totalDisconnects() const;
    /// Peers connected now (onConnected without a later onDisconnected).
    std::set<PeerId> connectedPeers() const;
    std::size_t frameCount(const PeerId& peer) const;
    std::size_t totalFrames() const;
    /// Every frame from `peer` so far (moved out of the handler).
    std::vector<Buffer> takeFrames(const PeerId& peer);
    /// Every peer that sent at least one frame.
    std::set<PeerId> framePeers() const;
    /// The reasons given for `peer` going down, oldest first.
    std::vector<Error> disconnectReasons(const PeerId& peer) const;
    /// Number of handler calls so far.
    std::size_t calls() const;
    /// False if two calls overlapped or came from different threads.
    bool contractHeld() const;
    /// The thread every call came from (default-constructed before the first call).
    std::thread::id callThread() const;

  private:
    void enter();
    void leave();

    mutable std::mutex mutex_;
    std::map<PeerId, int> connected_;
    std::map<PeerId, std::vector<Error>> disconnected_;
    std::map<PeerId, std::vector<Buffer>> frames_;
    std::map<PeerId, std::vector<bool>> backpressure_;
    std::condition_variable released_;
    bool holding_ = false;
    std::size_t calls_ = 0;
    bool inCall_ = false;
    bool contractHeld_ = true;
    std::thread::id thread_;
};

/// One transport with its handler. The handler outlives the transport (declared first).
struct TestEndpoint {
    Identity identity;
    std::unique_ptr<RecordingHandler> handler;
    std::unique_ptr<Transport> transport;
};

class TransportSuite : public ::testing::TestWithParam<TransportSuiteParam> {
  protected:
    static constexpr std::size_t kDefaultMaxFrameBytes = 64u << 20;

    void SetUp() override;

    /// A transport from the plugin under test, with a fresh identity of `role`. Fails the test
    /// (returns an endpoint without a transport) if the plugin cannot be loaded or created.
    TestEndpoint make(const std::string& role, std::size_t maxFrameBytes = kDefaultMaxFrameBytes,
                      const SendLimits& limits = {});
    /// make() + listen() on the suite's address; stores the bound address in `address`.
    TestEndpoint makeServer(std::string& address, std::size_t maxFrameBytes = kDefaultMaxFrameBytes,
                            const SendLimits& limits = {});
    /// make() + connect(address); waits until both sides report the link up.
    TestEndpoint makeConnectedClient(TestEndpoint& server, const std::string& address,
                                     const SendLimits& limits = {});

    std::unique_ptr<PluginRegistry> registry_;  // outlives every transport made from it
    const TransportFactory* factory_ = nullptr;
};

}  // namespace plexus::test

// gtest pastes the suite name into identifiers, so it must be usable unqualified.
using plexus::test::TransportSuite;

/// Instantiates the suite for one transport plugin. PREFIX names the instantiation in test names
/// (e.g. Tcp/TransportSuite.RoundTripBothWays/tcp).
#define PLEXUS_INSTANTIATE_TRANSPORT_SUITE(PREFIX, PLUGIN, LISTEN_ADDRESS)              \
    INSTANTIATE_TEST_SUITE_P(                                                           \
        PREFIX, TransportSuite,                                                         \
        ::testing::Values(::plexus::test::TransportSuiteParam{PLUGIN, LISTEN_ADDRESS}), \
        [](const auto& info) { return info.param.plugin; })
