// The zmq plugin's factory: option validation and context checks, through the real loader.

#include <gtest/gtest.h>

#include "conformance/transport_suite.h"
#include "plexus/config.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

class ZmqFactoryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->transport("zmq");
        ASSERT_TRUE(factory) << factory.error().describe();
        factory_ = *factory;
    }

    Result<std::unique_ptr<Transport>> create(const std::string& optionsYaml,
                                              Identity identity = "1|Test|00") {
        ConfigNode options =
            optionsYaml.empty() ? ConfigNode() : parseConfigText(optionsYaml, "zmq.yaml");
        return factory_->create(TransportContext{identity, 1u << 20, &handler_, options, {}});
    }

    RecordingHandler handler_;  // outlives the transports made in each test
    std::unique_ptr<PluginRegistry> registry_;
    const TransportFactory* factory_ = nullptr;
};

TEST_F(ZmqFactoryTest, AcceptsAbsentAndValidOptions) {
    EXPECT_TRUE(create(""));
    EXPECT_TRUE(
        create("reconnect_initial_ms: 50\nreconnect_max_ms: 2000\nkeepalive_idle_seconds: 10\n"
               "linger_ms: 0\nio_threads: 2\nannounce: false\n"));
    EXPECT_TRUE(create("pattern: router_dealer\n"));
    EXPECT_TRUE(create("pattern: pub\npub_sndhwm: 1\n"));
}

TEST_F(ZmqFactoryTest, RefusesUnknownOption) {
    auto result = create("reconect_initial_ms: 50\n");
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::InvalidConfig);
}

TEST_F(ZmqFactoryTest, RefusesBadValues) {
    for (const char* yaml :
         {"reconnect_initial_ms: -1\n", "reconnect_max_ms: 0\n", "keepalive_idle_seconds: soon\n",
          "linger_ms: -5\n", "io_threads: 0\n", "io_threads: 1000\n", "announce: maybe\n",
          "reconnect_initial_ms: 500\nreconnect_max_ms: 100\n", "reconnect_max_ms: 99999999999\n",
          "- a list\n", "pattern: dealer\n", "pattern: [pub]\n", "pub_sndhwm: 0\n",
          "pub_sndhwm: -1\n", "pattern: pub\npub_sndhwm: lots\n"}) {
        auto result = create(yaml);
        ASSERT_FALSE(result) << yaml;
        EXPECT_EQ(result.error().kind, ErrorKind::InvalidConfig) << yaml;
        EXPECT_FALSE(result.error().message.empty());
    }
}

TEST_F(ZmqFactoryTest, RefusesIdentityLibzmqWouldRefuse) {
    for (const Identity& identity : {Identity(), Identity(256, 'x'), Identity("\0abc", 4)}) {
        auto result = create("", identity);
        ASSERT_FALSE(result) << identity.size();
        EXPECT_EQ(result.error().kind, ErrorKind::InvalidArgument);
    }
    EXPECT_TRUE(create("", Identity(255, 'x')));
}

TEST_F(ZmqFactoryTest, RefusesNoHandler) {
    auto result =
        factory_->create(TransportContext{"1|Test|00", 1u << 20, nullptr, ConfigNode(), {}});
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::InvalidArgument);
}

TEST_F(ZmqFactoryTest, RefusesNonTcpAddresses) {
    auto transport = create("");
    ASSERT_TRUE(transport);
    for (const char* address : {"ipc:///tmp/x", "inproc://x", "127.0.0.1:5", ""}) {
        auto listened = (*transport)->listen(address);
        ASSERT_FALSE(listened) << address;
        EXPECT_EQ(listened.error().kind, ErrorKind::InvalidArgument);
        auto connected = (*transport)->connect(address);
        ASSERT_FALSE(connected) << address;
        EXPECT_EQ(connected.error().kind, ErrorKind::InvalidArgument);
    }
    auto bad = (*transport)->listen("tcp://not an address");
    ASSERT_FALSE(bad);
}

}  // namespace
}  // namespace plexus::test
