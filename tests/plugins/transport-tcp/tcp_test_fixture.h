#pragma once

// A tcp-plugin server with one well-behaved client connected, for tests that attack the server
// with raw sockets and check that the good link is unaffected.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "conformance/transport_suite.h"
#include "plexus/config.h"
#include "plexus/identity.h"
#include "support/test_support.h"

namespace plexus::test {

class TcpServerTest : public ::testing::Test {
  protected:
    /// Small limits so the tests are quick: a silent peer is closed after 300 ms, frames are
    /// capped at 1 MiB.
    static constexpr std::size_t kMaxFrameBytes = 1u << 20;
    static constexpr const char* kServerOptions = "handshake_timeout_ms: 300\n";

    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->transport("tcp");
        ASSERT_TRUE(factory) << factory.error().describe();
        factory_ = *factory;
        server_ = make("Server", kServerOptions, kMaxFrameBytes);
        ASSERT_TRUE(server_.transport);
        auto bound = server_.transport->listen("tcp://127.0.0.1:0");
        ASSERT_TRUE(bound) << bound.error().describe();
        address_ = *bound;
        good_ = make("Client", "", kMaxFrameBytes);
        ASSERT_TRUE(good_.transport);
        ASSERT_TRUE(good_.transport->connect(address_));
        ASSERT_TRUE(waitUntil([&] {
            return server_.handler->connectedCount(good_.identity) == 1 &&
                   good_.handler->connectedCount(address_) == 1;
        }));
    }

    TestEndpoint make(const std::string& role, const std::string& options,
                      std::size_t maxFrameBytes = kMaxFrameBytes) {
        TestEndpoint endpoint;
        endpoint.identity = makeIdentity(role);
        endpoint.handler = std::make_unique<RecordingHandler>();
        auto created = factory_->create(TransportContext{
            endpoint.identity,
            maxFrameBytes,
            endpoint.handler.get(),
            options.empty() ? ConfigNode() : parseConfigText(options, "test-options"),
            {}});
        EXPECT_TRUE(created) << created.error().describe();
        if (created) endpoint.transport = std::move(*created);
        return endpoint;
    }

    /// The good client still round-trips, and its link never dropped.
    void expectGoodLinkUnaffected() {
        const std::string tag = "probe " + std::to_string(++probes_);
        good_.transport->send(address_, Buffer::copyOf(tag));
        ASSERT_TRUE(waitUntil([&] { return server_.handler->frameCount(good_.identity) == 1; }));
        EXPECT_EQ(server_.handler->takeFrames(good_.identity).at(0).view(), tag);
        server_.transport->send(good_.identity, Buffer::copyOf(tag));
        ASSERT_TRUE(waitUntil([&] { return good_.handler->frameCount(address_) == 1; }));
        EXPECT_EQ(good_.handler->takeFrames(address_).at(0).view(), tag);
        EXPECT_EQ(server_.handler->disconnectedCount(good_.identity), 0);
        EXPECT_EQ(good_.handler->disconnectedCount(address_), 0);
    }

    std::unique_ptr<PluginRegistry> registry_;
    const TransportFactory* factory_ = nullptr;
    TestEndpoint server_;
    std::string address_;
    TestEndpoint good_;
    int probes_ = 0;
};

}  // namespace plexus::test
