// The tcp transport's flow control against a raw peer that stops reading: a server that asked
// for it stops reading a congested peer (so the peer cannot make it produce more) and resumes once
// the peer has read enough.

#include <gtest/gtest.h>

#include <string>

#include "conformance/transport_suite.h"
#include "plugins/transport-tcp/raw_peer.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

TEST(TcpBackpressure, ServerStopsReadingACongestedPeerUntilItIsRelieved) {
    auto registry = makeBuildRegistry();
    auto factory = registry->transport("tcp");
    ASSERT_TRUE(factory) << factory.error().describe();
    SendLimits limits;
    limits.highWatermarkBytes = std::size_t{1} << 20;
    limits.lowWatermarkBytes = std::size_t{256} << 10;
    limits.pauseReadingWhenCongested = true;
    RecordingHandler handler;
    const Identity identity = makeIdentity("Server");
    auto server =
        (*factory)->create(TransportContext{identity, 1u << 20, &handler, ConfigNode(), limits});
    ASSERT_TRUE(server) << server.error().describe();
    auto address = (*server)->listen("tcp://127.0.0.1:0");
    ASSERT_TRUE(address);

    RawSocket peer = RawSocket::connectTo(portOf(*address));
    ASSERT_TRUE(peer.readExactly(ymqPreamble(identity).size()));
    ASSERT_TRUE(peer.write(ymqPreamble("raw-peer")));
    ASSERT_TRUE(waitUntil([&] { return handler.connectedCount("raw-peer") == 1; }));

    // 128 MiB toward a peer that reads nothing: far more than the kernel buffers take.
    constexpr std::size_t kFrameBytes = 16 * 1024;
    constexpr std::size_t kFrames = 8192;
    const Buffer frame = Buffer::copyOf(std::string(kFrameBytes, 'x'));
    for (std::size_t i = 0; i < kFrames; ++i) (*server)->send("raw-peer", frame.share());
    ASSERT_TRUE(waitUntil([&] { return handler.backpressure("raw-peer").size() == 1; }, 60s));

    // Nothing the peer sends is read while the link stays congested.
    ASSERT_TRUE(peer.write(ymqFrame("first")));
    ASSERT_TRUE(peer.write(ymqFrame("second")));
    EXPECT_FALSE(waitUntil([&] { return handler.frameCount("raw-peer") > 0; }, 1s))
        << "the server read from a congested peer";

    // The peer reads everything: the link is relieved and reading resumes.
    std::size_t left = kFrames * (8 + kFrameBytes);
    while (left > 0) {
        const std::size_t chunk = std::min<std::size_t>(left, 1u << 20);
        ASSERT_TRUE(peer.readExactly(chunk, 60s)) << left << " bytes were never written";
        left -= chunk;
    }
    ASSERT_TRUE(waitUntil([&] { return handler.frameCount("raw-peer") == 2; }, 60s));
    EXPECT_EQ(handler.backpressure("raw-peer"), (std::vector<bool>{true, false}));
    const auto frames = handler.takeFrames("raw-peer");
    EXPECT_EQ(frames[0].view(), "first");
    EXPECT_EQ(frames[1].view(), "second");
    EXPECT_EQ(handler.disconnectedCount("raw-peer"), 0);
}

}  // namespace
}  // namespace plexus::test
