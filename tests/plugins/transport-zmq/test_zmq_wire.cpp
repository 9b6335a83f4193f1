// The zmq transport against raw cppzmq sockets: Scaler's framing, refusal of malformed and
// over-size messages and of another protocol version, and what a stock (metadata-less) peer
// sees. Raw sockets are used by the test thread only.

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "conformance/transport_suite.h"
#include "plexus/config.h"
#include "plexus/identity.h"
#include "plexus/messages.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

constexpr int kZmqMetadata = 95;  // ZMQ_METADATA (draft-only in zmq.h, accepted by libzmq 4.3)

/// All parts of the next message on `socket`, or nothing within `timeout`.
std::optional<std::vector<std::string>> receive(zmq::socket_t& socket,
                                                std::chrono::milliseconds timeout = 10s) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    std::vector<std::string> parts;
    bool more = true;
    while (more) {
        zmq::message_t part;
        if (!socket.recv(part, zmq::recv_flags::none)) return std::nullopt;
        more = part.more();
        parts.push_back(part.to_string());
    }
    return parts;
}

void sendParts(zmq::socket_t& socket, const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto flags = i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
        ASSERT_TRUE(socket.send(zmq::buffer(parts[i]), flags));
    }
}

class ZmqWireTest : public ::testing::Test {
  protected:
    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->transport("zmq");
        ASSERT_TRUE(factory) << factory.error().describe();
        factory_ = *factory;
    }

    TestEndpoint make(const std::string& role, std::size_t maxFrameBytes = 1u << 20,
                      const std::string& optionsYaml = "") {
        TestEndpoint endpoint;
        endpoint.identity = makeIdentity(role);
        endpoint.handler = std::make_unique<RecordingHandler>();
        ConfigNode options =
            optionsYaml.empty() ? ConfigNode() : parseConfigText(optionsYaml, "zmq.yaml");
        auto created = factory_->create(TransportContext{
            endpoint.identity, maxFrameBytes, endpoint.handler.get(), options, {}});
        EXPECT_TRUE(created) << created.error().describe();
        if (created) endpoint.transport = std::move(*created);
        return endpoint;
    }

    TestEndpoint makeServer(std::size_t maxFrameBytes = 1u << 20) {
        TestEndpoint server = make("Server", maxFrameBytes);
        auto bound = server.transport->listen("tcp://127.0.0.1:0");
        EXPECT_TRUE(bound) << bound.error().describe();
        if (bound) address_ = *bound;
        return server;
    }

    /// A raw DEALER with `identity`, optionally announcing a plexus protocol version.
    zmq::socket_t rawDealer(const std::string& identity,
                            std::optional<std::string> version = std::nullopt) {
        zmq::socket_t dealer(context_, zmq::socket_type::dealer);
        dealer.set(zmq::sockopt::routing_id, identity);
        dealer.set(zmq::sockopt::linger, 0);
        dealer.set(zmq::sockopt::sndhwm, 0);
        dealer.set(zmq::sockopt::rcvhwm, 0);
        if (version) {
            const std::string property = "X-Plexus-Protocol:" + *version;
            EXPECT_EQ(
                zmq_setsockopt(dealer.handle(), kZmqMetadata, property.data(), property.size()), 0);
        }
        dealer.connect(address_);
        return dealer;
    }

    /// Round-trips one frame between `server` and the raw `dealer` whose identity is `id`.
    void expectRoundTrip(TestEndpoint& server, zmq::socket_t& dealer, const std::string& id,
                         const std::string& text) {
        const std::size_t before = server.handler->frameCount(id);
        dealer.send(zmq::buffer(text), zmq::send_flags::none);
        ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(id) == before + 1; }));
        EXPECT_EQ(server.handler->takeFrames(id).back().view(), text);
        server.transport->send(id, Buffer::copyOf("re: " + text));
        const auto reply = receive(dealer);
        ASSERT_TRUE(reply);
        EXPECT_EQ(*reply, std::vector<std::string>{"re: " + text});
    }

    zmq::context_t context_;  // after the transports' handlers: raw sockets close first
    std::unique_ptr<PluginRegistry> registry_;
    const TransportFactory* factory_ = nullptr;
    std::string address_;
};

TEST_F(ZmqWireTest, RawDealerWithItsIdentityRoundTrips) {
    TestEndpoint server = makeServer();
    const std::string id = "4242|Client|0123456789abcdef";
    zmq::socket_t dealer = rawDealer(id);
    expectRoundTrip(server, dealer, id, "ping");
    EXPECT_EQ(server.handler->connectedCount(id), 1);
    EXPECT_EQ(server.handler->framePeers(), std::set<PeerId>{});
    expectRoundTrip(server, dealer, id, "again");
    EXPECT_EQ(server.handler->connectedCount(id), 1);
}

TEST_F(ZmqWireTest, StockPeerWithoutMetadataIsUpAtItsFirstFrameEvenAnEmptyOne) {
    TestEndpoint server = makeServer();
    const std::string id = "7|Agent|stock";
    zmq::socket_t dealer = rawDealer(id);
    dealer.send(zmq::message_t(), zmq::send_flags::none);  // a frame, not a hello
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(id) == 1; }));
    EXPECT_EQ(server.handler->connectedCount(id), 1);
    EXPECT_TRUE(server.handler->takeFrames(id).at(0).empty());
}

TEST_F(ZmqWireTest, HelloReportsAPlexusPeerUpBeforeAnyFrame) {
    TestEndpoint server = makeServer();
    const std::string id = "8|Client|hello";
    zmq::socket_t dealer = rawDealer(id, std::to_string(kPlexusProtocolVersion) + ".7");
    sendParts(dealer, {"", "plexus-hello"});
    ASSERT_TRUE(waitUntil([&] { return server.handler->connectedCount(id) == 1; }));
    EXPECT_EQ(server.handler->totalFrames(), 0u);
    expectRoundTrip(server, dealer, id, "after hello");
}

TEST_F(ZmqWireTest, ThreeFrameMessageIsRefusedWhileOthersKeepRoundTripping) {
    TestEndpoint server = makeServer();
    const std::string offender = "1|Client|threeframes", bystander = "2|Client|bystander";
    zmq::socket_t bad = rawDealer(offender);
    zmq::socket_t good = rawDealer(bystander);
    sendParts(bad, {"two", "parts"});  // the ROUTER sees [id, "two", "parts"]
    sendParts(bad, {"", "plexus-unknown"});
    expectRoundTrip(server, good, bystander, "hello");
    // The refused messages are dropped; the offender's link itself stays usable.
    expectRoundTrip(server, bad, offender, "proper");
    EXPECT_EQ(server.handler->totalDisconnects(), 0);
    EXPECT_EQ(server.handler->frameCount(offender), 0u);  // taken by expectRoundTrip
}

TEST_F(ZmqWireTest, OversizeMessageIsRefusedWhileOthersKeepRoundTripping) {
    constexpr std::size_t kLimit = 64 * 1024;
    TestEndpoint server = makeServer(kLimit);
    const std::string offender = "1|Client|oversize", bystander = "2|Client|bystander";
    zmq::socket_t bad = rawDealer(offender);
    zmq::socket_t good = rawDealer(bystander);
    expectRoundTrip(server, bad, offender, "small first");
    const std::string big(kLimit + 1, 'x');
    bad.send(zmq::buffer(big), zmq::send_flags::none);
    // libzmq drops the offender's connection before allocating the message.
    ASSERT_TRUE(waitUntil([&] { return server.handler->disconnectedCount(offender) == 1; }));
    EXPECT_EQ(server.handler->frameCount(offender), 0u);
    expectRoundTrip(server, good, bystander, std::string(kLimit, 'y'));
    EXPECT_EQ(server.handler->disconnectedCount(bystander), 0);
}

TEST_F(ZmqWireTest, PeerAnnouncingAnotherProtocolVersionIsRefused) {
    TestEndpoint server = makeServer();
    const std::string future = "3|Client|future", bystander = "4|Client|bystander";
    zmq::socket_t other = rawDealer(future, std::to_string(kPlexusProtocolVersion + 98) + ".0");
    sendParts(other, {"", "plexus-hello"});
    other.send(zmq::str_buffer("from the future"), zmq::send_flags::none);
    // It is told why, in a control message that no data frame can look like.
    const auto notice = receive(other);
    ASSERT_TRUE(notice);
    ASSERT_EQ(notice->size(), 3u);
    EXPECT_EQ(notice->at(0), "");
    EXPECT_EQ(notice->at(1), "plexus-refused");
    EXPECT_NE(notice->at(2).find("protocol"), std::string::npos) << notice->at(2);

    zmq::socket_t good = rawDealer(bystander);
    expectRoundTrip(server, good, bystander, "still served");
    other.send(zmq::str_buffer("still from the future"), zmq::send_flags::none);
    expectRoundTrip(server, good, bystander, "still served 2");
    EXPECT_EQ(server.handler->connectedCount(future), 0);
    EXPECT_EQ(server.handler->frameCount(future), 0u);
    // Sends to a refused peer are dropped.
    server.transport->send(future, Buffer::copyOf("nothing"));
    expectRoundTrip(server, good, bystander, "still served 3");
    EXPECT_FALSE(receive(other, 100ms));
}

TEST_F(ZmqWireTest, ConnectedSideRefusesAListenerOfAnotherVersion) {
    zmq::socket_t router(context_, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    const std::string property = "X-Plexus-Protocol:" + std::to_string(kPlexusProtocolVersion + 1);
    ASSERT_EQ(zmq_setsockopt(router.handle(), kZmqMetadata, property.data(), property.size()), 0);
    router.bind("tcp://127.0.0.1:0");
    const std::string address = router.get(zmq::sockopt::last_endpoint);

    TestEndpoint client = make("Client", 1u << 20, "reconnect_max_ms: 60000\n");
    ASSERT_TRUE(client.transport->connect(address));
    // The plexus DEALER's hello, as the ROUTER sees it: three frames.
    const auto hello = receive(router);
    ASSERT_TRUE(hello);
    EXPECT_EQ(*hello, (std::vector<std::string>{client.identity, "", "plexus-hello"}));
    ASSERT_TRUE(waitUntil([&] { return client.handler->connectedCount(address) == 1; }));

    sendParts(router, {client.identity, "a frame from another version"});
    ASSERT_TRUE(waitUntil([&] { return client.handler->disconnectedCount(address) == 1; }));
    EXPECT_EQ(client.handler->disconnectReasons(address).at(0).kind, ErrorKind::Protocol);
    EXPECT_EQ(client.handler->frameCount(address), 0u);
}

TEST_F(ZmqWireTest, WithoutAnnounceAStockRouterSeesExactlyScalerFraming) {
    zmq::socket_t router(context_, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:0");
    const std::string address = router.get(zmq::sockopt::last_endpoint);

    TestEndpoint client = make("Client", 1u << 20, "announce: false\n");
    ASSERT_TRUE(client.transport->connect(address));
    client.transport->send(address, Buffer::copyOf("heartbeat"));
    const auto first = receive(router);
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, (std::vector<std::string>{client.identity, "heartbeat"}));

    sendParts(router, {client.identity, "echo"});
    ASSERT_TRUE(waitUntil([&] { return client.handler->frameCount(address) == 1; }));
    EXPECT_EQ(client.handler->takeFrames(address).at(0).view(), "echo");
    EXPECT_EQ(client.handler->connectedCount(address), 1);
}

TEST_F(ZmqWireTest, DisconnectingAnAcceptedPeerClosesItsConnectionAndItComesBack) {
    TestEndpoint server = makeServer();
    TestEndpoint client = make("Client");
    ASSERT_TRUE(client.transport->connect(address_));
    ASSERT_TRUE(waitUntil([&] {
        return server.handler->connectedCount(client.identity) == 1 &&
               client.handler->connectedCount(address_) == 1;
    }));
    server.transport->disconnect(client.identity);
    ASSERT_TRUE(waitUntil([&] { return server.handler->disconnectedCount(client.identity) == 1; }));
    EXPECT_EQ(server.handler->disconnectReasons(client.identity).at(0).kind,
              ErrorKind::Disconnected);
    // The client sees its link drop, reconnects, and is reported up again.
    ASSERT_TRUE(waitUntil([&] { return client.handler->disconnectedCount(address_) == 1; }));
    ASSERT_TRUE(waitUntil([&] { return server.handler->connectedCount(client.identity) == 2; }));
    client.transport->send(address_, Buffer::copyOf("back"));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(client.identity) == 1; }));
    EXPECT_EQ(server.handler->disconnectedCount(client.identity), 1);
    EXPECT_TRUE(server.handler->contractHeld());
}

TEST_F(ZmqWireTest, DisconnectingAConnectedAddressStopsIt) {
    TestEndpoint server = makeServer();
    TestEndpoint client = make("Client");
    ASSERT_TRUE(client.transport->connect(address_));
    ASSERT_TRUE(waitUntil([&] { return server.handler->connectedCount(client.identity) == 1; }));
    client.transport->disconnect(address_);
    ASSERT_TRUE(waitUntil([&] {
        return client.handler->disconnectedCount(address_) == 1 &&
               server.handler->disconnectedCount(client.identity) == 1;
    }));
    client.transport->send(address_, Buffer::copyOf("dropped"));  // unknown now
    ASSERT_TRUE(client.transport->connect(address_));
    client.transport->send(address_, Buffer::copyOf("delivered"));
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(client.identity) == 1; }));
    EXPECT_EQ(server.handler->takeFrames(client.identity).at(0).view(), "delivered");
}

TEST_F(ZmqWireTest, LargeFramesArriveWordAligned) {
    TestEndpoint server = makeServer(64u << 20);
    TestEndpoint client = make("Client", 64u << 20);
    ASSERT_TRUE(client.transport->connect(address_));
    for (std::size_t size : {1u, 7u, 100u, 8191u, 8192u, 100000u, 4u << 20}) {
        client.transport->send(address_, Buffer::copyOf(std::string(size, 'a')));
    }
    ASSERT_TRUE(waitUntil([&] { return server.handler->frameCount(client.identity) == 7; }));
    for (const auto& frame : server.handler->takeFrames(client.identity)) {
        EXPECT_TRUE(frame.isWordAligned()) << frame.size();
    }
}

}  // namespace
}  // namespace plexus::test
