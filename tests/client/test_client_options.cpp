// ClientOptions::fromConfig: the example file parses, and mistakes name file, line and key.

#include <cctype>

#include <gtest/gtest.h>

#include "plexus/client.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

std::string errorOf(const std::string& yaml, const std::string& name = "client.yaml") {
    try {
        ClientOptions::fromConfig(parseConfigText(yaml, name));
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "";
}

TEST(ClientOptions, TheExampleConfigParses) {
    const auto options =
        ClientOptions::fromConfig(loadConfigFile(sourceDir() / "config" / "client.yaml"));
    EXPECT_EQ(options.address, "tcp://127.0.0.1:2345");
    EXPECT_EQ(options.transport, "tcp");
    EXPECT_EQ(options.codec, "capnp");
    EXPECT_EQ(options.heartbeatInterval, 2s);
    EXPECT_EQ(options.timeout, 60s);
    EXPECT_EQ(options.maxFrameBytes, std::size_t{1} << 30);
    EXPECT_FALSE(options.pluginDir.has_value());
}

TEST(ClientOptions, ReadsEveryKeyAndResolvesPluginDirAgainstTheFile) {
    TempDir dir;
    const auto file = dir.write("c.yaml",
                                "client:\n"
                                "  scheduler:\n"
                                "    address: tcp://10.0.0.1:9\n"
                                "    transport: zmq\n"
                                "    codec: protobuf\n"
                                "    transport_options: {reconnect_max_ms: 100}\n"
                                "  plugin_dir: plugins\n"
                                "  heartbeat_interval_seconds: 0.5\n"
                                "  timeout_seconds: 30\n"
                                "  max_frame_bytes: 4096\n"
                                "scheduler:\n"
                                "  endpoints: []\n");
    const auto options = ClientOptions::fromConfig(loadConfigFile(file));
    EXPECT_EQ(options.address, "tcp://10.0.0.1:9");
    EXPECT_EQ(options.transport, "zmq");
    EXPECT_EQ(options.codec, "protobuf");
    EXPECT_TRUE(options.transportOptions.isDefined());
    EXPECT_FALSE(options.codecOptions.isDefined());
    EXPECT_EQ(options.pluginDir, dir.path() / "plugins");
    EXPECT_EQ(options.heartbeatInterval, 500ms);
    EXPECT_EQ(options.timeout, 30s);
    EXPECT_EQ(options.maxFrameBytes, 4096u);
}

TEST(ClientOptions, DefaultsForTransportAndCodec) {
    const auto options = ClientOptions::fromConfig(
        parseConfigText("client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n", "c.yaml"));
    EXPECT_EQ(options.transport, "tcp");
    EXPECT_EQ(options.codec, "capnp");
}

struct BadCase {
    const char* yaml;
    const char* expected;  // "<file>:<line>:" and the key path must appear
    const char* key;
};

void PrintTo(const BadCase& c, std::ostream* out) {
    *out << c.key;
}

// Names each case after the key it breaks ("client_timeout_seconds"), so ctest lists readable
// names.
std::string caseName(const ::testing::TestParamInfo<BadCase>& info) {
    std::string name = std::to_string(info.index) + "_";
    for (const char* c = info.param.key; *c != 0; ++c)
        name += std::isalnum(static_cast<unsigned char>(*c)) ? *c : '_';
    return name;
}

class ClientOptionsErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ClientOptionsErrors, NameFileLineAndKey) {
    const auto& c = GetParam();
    const std::string message = errorOf(c.yaml);
    EXPECT_NE(message.find(c.expected), std::string::npos) << message;
    EXPECT_NE(message.find(c.key), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ClientOptionsErrors,
    ::testing::Values(
        BadCase{"client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n  colour: blue\n",
                "client.yaml:4:", "client.colour"},
        BadCase{"client:\n  scheduler:\n    adress: tcp://1.2.3.4:5\n",
                "client.yaml:3:", "client.scheduler.adress"},
        BadCase{"client:\n  scheduler:\n    transport: tcp\n",
                "client.yaml:3:", "client.scheduler.address"},
        BadCase{"client:\n  plugin_dir: x\n", "client.yaml:2:", "client"},
        BadCase{"client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n  timeout_seconds: soon\n",
                "client.yaml:4:", "client.timeout_seconds"},
        BadCase{"client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n  "
                "heartbeat_interval_seconds: 0\n",
                "client.yaml:4:", "client.heartbeat_interval_seconds"},
        BadCase{"client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n  "
                "heartbeat_interval_seconds: 5\n  timeout_seconds: 2\n",
                "client.yaml:5:", "client.timeout_seconds"},
        BadCase{"client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n  max_frame_bytes: 10\n",
                "client.yaml:4:", "client.max_frame_bytes"},
        BadCase{"client:\n  scheduler:\n    address: tcp://1.2.3.4:5\n    codec_options: [1]\n",
                "client.yaml:4:", "client.scheduler.codec_options"},
        BadCase{"clients:\n  scheduler:\n    address: tcp://1.2.3.4:5\n",
                "client.yaml:1:", "clients"}),
    caseName);

TEST(ClientOptions, AMissingSectionIsAnError) {
    const std::string message = errorOf("scheduler:\n  endpoints: []\n");
    EXPECT_NE(message.find("client.yaml"), std::string::npos) << message;
    EXPECT_NE(message.find("client"), std::string::npos) << message;
}

}  // namespace
}  // namespace plexus::test
