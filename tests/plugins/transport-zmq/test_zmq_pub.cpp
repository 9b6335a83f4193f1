// The zmq transport's `pub` pattern (Scaler's monitor socket) against raw cppzmq SUB sockets:
// every subscriber gets every frame whatever PeerId it was sent to, connect() is refused, the
// handler is never called, and a subscriber that does not read loses messages instead of
// holding the publisher back. Raw sockets are used by the test thread only.

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "conformance/transport_suite.h"
#include "plexus/config.h"
#include "plexus/identity.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

/// The next message on `socket` as its parts, or nothing within `timeout`.
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

class ZmqPubTest : public ::testing::Test {
  protected:
    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->transport("zmq");
        ASSERT_TRUE(factory) << factory.error().describe();
        auto created = (*factory)->create(
            TransportContext{makeIdentity("Monitor"),
                             1u << 20,
                             &handler_,
                             parseConfigText("pattern: pub\npub_sndhwm: 100\n", "zmq.yaml"),
                             {}});
        ASSERT_TRUE(created) << created.error().describe();
        publisher_ = std::move(*created);
        auto bound = publisher_->listen("tcp://127.0.0.1:0");
        ASSERT_TRUE(bound) << bound.error().describe();
        address_ = *bound;
    }

    zmq::socket_t subscriber(int receiveHighWaterMark = 0) {
        zmq::socket_t sub(context_, zmq::socket_type::sub);
        sub.set(zmq::sockopt::linger, 0);
        sub.set(zmq::sockopt::rcvhwm, receiveHighWaterMark);
        sub.set(zmq::sockopt::subscribe, "");  // everything, as scaler_top does
        sub.connect(address_);
        return sub;
    }

    /// Publishes probes until each of `subs` has received one (a SUB misses what was published
    /// before its subscription reached the publisher), then a "ready" marker that each reads up
    /// to, so the next frame each receives is the next one published.
    void waitSubscribed(std::initializer_list<zmq::socket_t*> subs) {
        for (zmq::socket_t* sub : subs) {
            std::optional<std::vector<std::string>> got;
            const auto deadline = std::chrono::steady_clock::now() + 20s;
            while (!got && std::chrono::steady_clock::now() < deadline) {
                publisher_->send("", Buffer::copyOf("probe"));
                got = receive(*sub, 50ms);
            }
            ASSERT_TRUE(got) << "no subscription within 20 s";
        }
        publisher_->send("", Buffer::copyOf("ready"));
        for (zmq::socket_t* sub : subs) {
            auto got = receive(*sub);
            while (got && got->at(0) != "ready") got = receive(*sub);
            ASSERT_TRUE(got) << "the ready marker did not arrive";
        }
    }

    RecordingHandler handler_;  // outlives the transport
    zmq::context_t context_;
    std::unique_ptr<PluginRegistry> registry_;
    std::unique_ptr<Transport> publisher_;  // destroyed before the handler and the registry
    std::string address_;
};

TEST_F(ZmqPubTest, EverySubscriberGetsEveryFrameInOrderWhateverThePeerId) {
    zmq::socket_t first = subscriber();
    zmq::socket_t second = subscriber();
    waitSubscribed({&first, &second});

    const std::vector<std::string> frames = {"to nobody", "to a client", std::string(4096, 'z'),
                                             ""};
    publisher_->send("", Buffer::copyOf(frames[0]));
    publisher_->send("1|Client|abc", Buffer::copyOf(frames[1]));
    publisher_->send("anything at all", Buffer::copyOf(frames[2]));
    publisher_->send("", Buffer::copyOf(frames[3]));
    for (zmq::socket_t* sub : {&first, &second}) {
        for (const auto& expected : frames) {
            const auto got = receive(*sub);
            ASSERT_TRUE(got);
            EXPECT_EQ(*got, std::vector<std::string>{expected});  // one part: the frame
        }
    }
    // There are no links: subscribers joining are not peers.
    EXPECT_EQ(handler_.calls(), 0u);
}

TEST_F(ZmqPubTest, ConnectIsRefusedAndDisconnectIsHarmless) {
    auto connected = publisher_->connect(address_);
    ASSERT_FALSE(connected);
    EXPECT_EQ(connected.error().kind, ErrorKind::InvalidArgument);
    EXPECT_NE(connected.error().message.find("pub"), std::string::npos)
        << connected.error().message;

    publisher_->disconnect("whoever");
    zmq::socket_t sub = subscriber();
    waitSubscribed({&sub});
    publisher_->send("", Buffer::copyOf("after"));
    EXPECT_EQ(receive(sub), std::vector<std::string>{"after"});
    EXPECT_EQ(handler_.calls(), 0u);
}

TEST_F(ZmqPubTest, StuckSubscriberLosesMessagesWhileOthersKeepReceiving) {
    // `stuck` never reads while the burst goes out: past pub_sndhwm (100) plus what its own
    // queue (100) and the kernel buffers hold, the PUB drops for it instead of buffering.
    zmq::socket_t stuck = subscriber(100);
    zmq::socket_t reader = subscriber();
    waitSubscribed({&stuck, &reader});

    constexpr int kBurst = 20000;
    const std::string payload(4096, 'p');  // 80 MB in all: far more than socket buffers hold
    for (int i = 0; i < kBurst; ++i) publisher_->send("", Buffer::copyOf(payload));

    // The stream goes on for the subscriber that reads: it gets a marker published after the
    // burst (published again until it arrives, since a reader slower than the burst may
    // itself have lost some, markers included).
    bool marked = false;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!marked && std::chrono::steady_clock::now() < deadline) {
        publisher_->send("", Buffer::copyOf("marker"));
        for (auto got = receive(reader, 100ms); got && !marked; got = receive(reader, 100ms)) {
            marked = got->at(0) == "marker";
        }
    }
    ASSERT_TRUE(marked) << "the reading subscriber was held back";

    // What the stuck one can still read is bounded: far less than the burst.
    int delivered = 0;
    while (receive(stuck, 2s)) ++delivered;
    EXPECT_LT(delivered, kBurst / 2);
    EXPECT_EQ(handler_.calls(), 0u);
}

}  // namespace
}  // namespace plexus::test
