// The tcp plugin's factory: option validation and context checks, through the real loader.

#include <gtest/gtest.h>

#include "conformance/transport_suite.h"
#include "plexus/config.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

class TcpFactoryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->transport("tcp");
        ASSERT_TRUE(factory) << factory.error().describe();
        factory_ = *factory;
    }

    Result<std::unique_ptr<Transport>> create(const std::string& optionsYaml,
                                              Identity identity = "1|Test|00") {
        ConfigNode options =
            optionsYaml.empty() ? ConfigNode() : parseConfigText(optionsYaml, "tcp.yaml");
        return factory_->create(TransportContext{identity, 1u << 20, &handler_, options, {}});
    }

    RecordingHandler handler_;  // outlives the transports made in each test
    std::unique_ptr<PluginRegistry> registry_;
    const TransportFactory* factory_ = nullptr;
};

TEST_F(TcpFactoryTest, AcceptsAbsentAndValidOptions) {
    EXPECT_TRUE(create(""));
    EXPECT_TRUE(
        create("reconnect_initial_ms: 50\nreconnect_max_ms: 2000\n"
               "keepalive_idle_seconds: 10\nhandshake_timeout_ms: 1000\n"));
}

TEST_F(TcpFactoryTest, RefusesUnknownOption) {
    auto result = create("reconect_initial_ms: 50\n");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::InvalidConfig);
}

TEST_F(TcpFactoryTest, RefusesBadValues) {
    for (const char* yaml : {"reconnect_initial_ms: -1\n", "reconnect_max_ms: 0\n",
                             "keepalive_idle_seconds: soon\n", "handshake_timeout_ms: [1]\n",
                             "reconnect_initial_ms: 500\nreconnect_max_ms: 100\n", "- a list\n"}) {
        auto result = create(yaml);
        ASSERT_FALSE(result) << yaml;
        EXPECT_EQ(result.error().kind, ErrorKind::InvalidConfig) << yaml;
        EXPECT_FALSE(result.error().message.empty());
    }
}

TEST_F(TcpFactoryTest, RefusesIdentityPeersWouldRefuse) {
    auto empty = create("", "");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().kind, ErrorKind::InvalidArgument);
    auto huge = create("", std::string(5000, 'i'));
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().kind, ErrorKind::InvalidArgument);
}

TEST_F(TcpFactoryTest, RefusesBadAddresses) {
    auto transport = create("");
    ASSERT_TRUE(transport);
    for (const char* bad : {"tcp://localhost:0", "ipc:///tmp/x", "tcp://127.0.0.1"}) {
        auto listened = (*transport)->listen(bad);
        ASSERT_FALSE(listened) << bad;
        EXPECT_EQ(listened.error().kind, ErrorKind::InvalidArgument);
        auto connected = (*transport)->connect(bad);
        ASSERT_FALSE(connected) << bad;
        EXPECT_EQ(connected.error().kind, ErrorKind::InvalidArgument);
    }
}

TEST_F(TcpFactoryTest, ListenReportsAddressInUse) {
    auto first = create("");
    auto second = create("");
    ASSERT_TRUE(first && second);
    auto bound = (*first)->listen("tcp://127.0.0.1:0");
    ASSERT_TRUE(bound);
    auto clash = (*second)->listen(*bound);
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().kind, ErrorKind::Io);
}

TEST_F(TcpFactoryTest, ListensOnIpv6Loopback) {
    auto transport = create("");
    ASSERT_TRUE(transport);
    auto bound = (*transport)->listen("tcp://[::1]:0");
    if (!bound) GTEST_SKIP() << "no IPv6 loopback here: " << bound.error().describe();
    EXPECT_TRUE(bound->starts_with("tcp://[::1]:"));
    EXPECT_FALSE(bound->ends_with(":0"));

    RecordingHandler clientHandler;
    auto client =
        factory_->create(TransportContext{"1|Client|v6", 1u << 20, &clientHandler, {}, {}});
    ASSERT_TRUE(client);
    ASSERT_TRUE((*client)->connect(*bound));
    (*client)->send(*bound, Buffer::copyOf(std::string_view("over v6")));
    ASSERT_TRUE(waitUntil([&] { return handler_.frameCount("1|Client|v6") == 1; }));
}

}  // namespace
}  // namespace plexus::test
