// The tcp transport against hand-made byte streams: the exact YMQ wire format, and peers that
// break it. Each bad peer must be closed while the good link keeps working.

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/transport-tcp/raw_peer.h"
#include "plugins/transport-tcp/tcp_test_fixture.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

/// Connects a raw socket to the server and reads the server's preamble.
RawSocket rawConnect(const std::string& address, const Identity& serverIdentity) {
    RawSocket raw = RawSocket::connectTo(portOf(address));
    const auto preamble = raw.readExactly(ymqPreamble(serverIdentity).size());
    EXPECT_TRUE(preamble);
    if (preamble) {
        EXPECT_EQ(*preamble, ymqPreamble(serverIdentity));
    }
    return raw;
}

TEST_F(TcpServerTest, SpeaksByteExactYmq) {
    RawSocket raw = rawConnect(address_, server_.identity);
    ASSERT_TRUE(raw.write(ymqPreamble("raw-peer") + ymqFrame("hello") + ymqFrame("")));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->frameCount("raw-peer") == 2; }));
    const auto frames = server_.handler->takeFrames("raw-peer");
    EXPECT_EQ(frames[0].view(), "hello");
    EXPECT_TRUE(frames[1].empty());

    server_.transport->send("raw-peer", Buffer::copyOf(std::string_view("abc")));
    server_.transport->send("raw-peer", Buffer());
    const std::string expected = std::string("\x03\0\0\0\0\0\0\0abc", 11) + std::string(8, '\0');
    const auto received = raw.readExactly(expected.size());
    ASSERT_TRUE(received);
    EXPECT_EQ(*received, expected);
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, RefusesWrongMagic) {
    RawSocket raw = rawConnect(address_, server_.identity);
    raw.write("YMQ\x02" + ymqFrame("bad-magic") + ymqFrame("frame"));
    EXPECT_TRUE(raw.waitClosed());
    EXPECT_EQ(server_.handler->connectedCount("bad-magic"), 0);
    EXPECT_EQ(server_.handler->frameCount("bad-magic"), 0u);
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, RefusesRandomBytes) {
    std::mt19937 random(12345);
    std::string garbage(4096, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    garbage[0] = 'Q';  // never a valid start, whatever the seed gives
    RawSocket raw = RawSocket::connectTo(portOf(address_));
    raw.write(garbage);
    EXPECT_TRUE(raw.waitClosed());
    EXPECT_EQ(server_.handler->connectedPeers(), std::set<PeerId>{good_.identity});
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, ClosesOnTruncatedFrame) {
    RawSocket raw = rawConnect(address_, server_.identity);
    ASSERT_TRUE(
        raw.write(ymqPreamble("truncated") + ymqFrame("whole") + le64(100) + std::string(50, 'x')));
    raw.shutdownWrite();
    ASSERT_TRUE(waitUntil([&] { return server_.handler->disconnectedCount("truncated") == 1; }));
    EXPECT_EQ(server_.handler->disconnectReasons("truncated").at(0).kind, ErrorKind::Decode);
    const auto frames = server_.handler->takeFrames("truncated");
    ASSERT_EQ(frames.size(), 1u);  // the whole frame before the cut, nothing of the cut one
    EXPECT_EQ(frames[0].view(), "whole");
    EXPECT_TRUE(raw.waitClosed());
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, RefusesFrameHeaderOverMaxFrameBytes) {
    RawSocket raw = rawConnect(address_, server_.identity);
    ASSERT_TRUE(raw.write(ymqPreamble("oversize")));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->connectedCount("oversize") == 1; }));
    raw.write(le64(kMaxFrameBytes + 1));  // the header alone: refused before any body arrives
    ASSERT_TRUE(waitUntil([&] { return server_.handler->disconnectedCount("oversize") == 1; }));
    EXPECT_EQ(server_.handler->disconnectReasons("oversize").at(0).kind, ErrorKind::TooLarge);
    EXPECT_TRUE(raw.waitClosed());
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, RefusesHugeLengthWithoutAllocating) {
    RawSocket raw = rawConnect(address_, server_.identity);
    raw.write(ymqPreamble("huge") + le64(~std::uint64_t{0}));
    EXPECT_TRUE(raw.waitClosed());
    ASSERT_TRUE(waitUntil([&] { return server_.handler->disconnectedCount("huge") == 1; }));
    EXPECT_EQ(server_.handler->disconnectReasons("huge").at(0).kind, ErrorKind::TooLarge);
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, RefusesOversizeOrEmptyIdentity) {
    RawSocket big = rawConnect(address_, server_.identity);
    big.write(ymqMagic() + le64(1u << 20));
    EXPECT_TRUE(big.waitClosed());
    RawSocket empty = rawConnect(address_, server_.identity);
    empty.write(ymqPreamble(""));
    EXPECT_TRUE(empty.waitClosed());
    EXPECT_EQ(server_.handler->connectedPeers(), std::set<PeerId>{good_.identity});
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, ClosesSilentPeerAfterHandshakeTimeout) {
    RawSocket raw = RawSocket::connectTo(portOf(address_));
    EXPECT_TRUE(raw.waitClosed(10s));  // the handshake timeout is 300 ms
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, ClosesHalfHandshakeAfterTimeout) {
    RawSocket magicOnly = RawSocket::connectTo(portOf(address_));
    magicOnly.write(ymqMagic());
    RawSocket halfIdentity = RawSocket::connectTo(portOf(address_));
    halfIdentity.write(ymqMagic() + le64(20) + "only-ten-b");
    EXPECT_TRUE(magicOnly.waitClosed(10s));
    EXPECT_TRUE(halfIdentity.waitClosed(10s));
    EXPECT_EQ(server_.handler->connectedPeers(), std::set<PeerId>{good_.identity});
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, ForgetsPeerThatLeavesMidHandshake) {
    {
        RawSocket raw = RawSocket::connectTo(portOf(address_));
        raw.write(ymqMagic() + le64(5) + "ab");
        raw.shutdownWrite();
        EXPECT_TRUE(raw.waitClosed());
    }
    EXPECT_EQ(server_.handler->totalDisconnects(), 0);  // never a link, so never reported
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, SurvivesManyBadPeersAtOnce) {
    std::vector<RawSocket> bad;
    for (int i = 0; i < 20; ++i) {
        bad.push_back(RawSocket::connectTo(portOf(address_)));
        switch (i % 4) {
            case 0:
                bad.back().write("GET / HTTP/1.1\r\n\r\n");
                break;
            case 1:
                bad.back().write(ymqPreamble("bad-" + std::to_string(i)) + le64(~0ull));
                break;
            case 2:
                bad.back().write(ymqMagic() + le64(1u << 30));
                break;
            case 3:
                break;  // silent
        }
    }
    expectGoodLinkUnaffected();
    for (auto& raw : bad) EXPECT_TRUE(raw.waitClosed());
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, NewLinkWithSameIdentityReplacesTheOld) {
    const Identity shared = "same-identity";
    RawSocket first = rawConnect(address_, server_.identity);
    ASSERT_TRUE(first.write(ymqPreamble(shared)));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->connectedCount(shared) == 1; }));

    RawSocket second = rawConnect(address_, server_.identity);
    ASSERT_TRUE(second.write(ymqPreamble(shared)));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->connectedCount(shared) == 2; }));
    EXPECT_EQ(server_.handler->disconnectedCount(shared), 1);  // the old link, reported first
    EXPECT_TRUE(first.waitClosed());

    server_.transport->send(shared, Buffer::copyOf(std::string_view("to the new one")));
    const auto received = second.readExactly(ymqFrame("to the new one").size());
    ASSERT_TRUE(received);
    EXPECT_EQ(*received, ymqFrame("to the new one"));
    expectGoodLinkUnaffected();
}

TEST_F(TcpServerTest, FramesArriveWordAligned) {
    RawSocket raw = rawConnect(address_, server_.identity);
    std::string stream = ymqPreamble("aligned");
    for (int size : {1, 3, 7, 13, 100001, 5}) stream += ymqFrame(std::string(size, 'a'));
    ASSERT_TRUE(raw.write(stream));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->frameCount("aligned") == 6; }));
    for (const auto& frame : server_.handler->takeFrames("aligned")) {
        EXPECT_TRUE(frame.isWordAligned()) << "frame of " << frame.size() << " bytes";
    }
}

TEST_F(TcpServerTest, ServerDisconnectClosesTheLinkAndTheClientComesBack) {
    server_.transport->disconnect(good_.identity);
    ASSERT_TRUE(waitUntil([&] { return server_.handler->disconnectedCount(good_.identity) == 1; }));
    ASSERT_TRUE(waitUntil([&] { return good_.handler->disconnectedCount(address_) == 1; }));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->connectedCount(good_.identity) == 2; }));
    good_.transport->send(address_, Buffer::copyOf(std::string_view("again")));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->frameCount(good_.identity) == 1; }));
}

TEST_F(TcpServerTest, ClientDisconnectStopsTheLinkUntilConnectAgain) {
    good_.transport->disconnect(address_);
    ASSERT_TRUE(waitUntil([&] { return good_.handler->disconnectedCount(address_) == 1; }));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->disconnectedCount(good_.identity) == 1; }));
    good_.transport->send(address_, Buffer::copyOf(std::string_view("dropped")));  // unknown now

    ASSERT_TRUE(good_.transport->connect(address_));
    good_.transport->send(address_, Buffer::copyOf(std::string_view("after reconnect")));
    ASSERT_TRUE(waitUntil([&] { return server_.handler->frameCount(good_.identity) == 1; }));
    EXPECT_EQ(server_.handler->takeFrames(good_.identity).at(0).view(), "after reconnect");
    EXPECT_EQ(good_.handler->connectedCount(address_), 2);
}

TEST_F(TcpServerTest, ConnectorRefusesBadServerAndKeepsRetrying) {
    RawListener bogus;
    TestEndpoint client = make("Client", "reconnect_initial_ms: 10\nreconnect_max_ms: 50\n");
    ASSERT_TRUE(client.transport);
    ASSERT_TRUE(client.transport->connect(bogus.address()));
    client.transport->send(bogus.address(), Buffer::copyOf(std::string_view("kept")));

    auto first = bogus.accept();
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->readExactly(ymqPreamble(client.identity).size()));  // its preamble only
    first->write("HTTP/1.1 400 Bad Request\r\n\r\n");
    EXPECT_TRUE(first->waitClosed());

    // It tries again; this time the server answers properly and gets the queued frame.
    auto second = bogus.accept();
    ASSERT_TRUE(second);
    ASSERT_TRUE(second->readExactly(ymqPreamble(client.identity).size()));
    second->write(ymqPreamble("patient-server"));
    const auto frame = second->readExactly(ymqFrame("kept").size());
    ASSERT_TRUE(frame);
    EXPECT_EQ(*frame, ymqFrame("kept"));
    EXPECT_EQ(client.handler->disconnectedCount(bogus.address()), 0);  // never up before
    EXPECT_TRUE(waitUntil([&] { return client.handler->connectedCount(bogus.address()) == 1; }));
}

/// Throws from onFrame for frames that say "throw"; records everything else.
class ThrowingHandler final : public TransportHandler {
  public:
    void onConnected(const PeerId& peer) override { recorded.onConnected(peer); }
    void onDisconnected(const PeerId& peer, const Error& reason) override {
        recorded.onDisconnected(peer, reason);
    }
    void onFrame(const PeerId& peer, Buffer frame) override {
        if (frame.view() == "throw") throw std::runtime_error("handler bug");
        recorded.onFrame(peer, std::move(frame));
    }
    RecordingHandler recorded;
};

TEST(TcpHandlerFaults, AThrowingHandlerDoesNotBreakTheLink) {
    auto registry = makeBuildRegistry();
    auto factory = registry->transport("tcp");
    ASSERT_TRUE(factory) << factory.error().describe();
    ThrowingHandler serverHandler;
    RecordingHandler clientHandler;
    auto server =
        (*factory)->create(TransportContext{"1|Server|t", 1u << 20, &serverHandler, {}, {}});
    auto client =
        (*factory)->create(TransportContext{"1|Client|t", 1u << 20, &clientHandler, {}, {}});
    ASSERT_TRUE(server && client);
    auto address = (*server)->listen("tcp://127.0.0.1:0");
    ASSERT_TRUE(address);
    ASSERT_TRUE((*client)->connect(*address));
    (*client)->send(*address, Buffer::copyOf(std::string_view("throw")));
    (*client)->send(*address, Buffer::copyOf(std::string_view("after")));
    ASSERT_TRUE(waitUntil([&] { return serverHandler.recorded.frameCount("1|Client|t") == 1; }));
    EXPECT_EQ(serverHandler.recorded.takeFrames("1|Client|t").at(0).view(), "after");
    EXPECT_EQ(serverHandler.recorded.disconnectedCount("1|Client|t"), 0);
}

}  // namespace
}  // namespace plexus::test
