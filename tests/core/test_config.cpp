// Unit tests of ConfigNode, loadConfigFile and parseConfigText. The error messages are what a user
// reads to fix a configuration, so their structure is the contract under test: every error names
// the file, the 1-based line as "<file>:<line>:" and the dotted key path.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "plexus/config.h"
#include "support/test_support.h"

namespace plexus {
namespace {

// The message of the ConfigError `action` throws, or a test failure if it throws none.
std::string configErrorOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a ConfigError, none was thrown";
    return {};
}

// Checks that `message` names `file`, then ":<line>:", then `keyPath`.
void expectNamesFileLineKey(const std::string& message, const std::string& file, int line,
                            const std::string& keyPath) {
    const std::string where = file + ":" + std::to_string(line) + ":";
    EXPECT_EQ(message.rfind(where, 0), 0u) << "should start with '" << where << "': " << message;
    EXPECT_NE(message.find("'" + keyPath + "'"), std::string::npos)
        << "should name key '" << keyPath << "': " << message;
}

TEST(Config, MissingFileNamesTheFile) {
    test::TempDir dir;
    const auto missing = dir.path() / "absent.yaml";
    const std::string message = configErrorOf([&] { loadConfigFile(missing); });
    EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
}

TEST(Config, DirectoryIsNotAConfigFile) {
    test::TempDir dir;
    const std::string message = configErrorOf([&] { loadConfigFile(dir.path()); });
    EXPECT_NE(message.find(dir.path().string()), std::string::npos) << message;
}

TEST(Config, LoadsAFileAndErrorsNameIt) {
    test::TempDir dir;
    const auto file = dir.write("role.yaml", "scheduler:\n  port: 5\n  prot: 6\n");
    const ConfigNode config = loadConfigFile(file);
    EXPECT_EQ(config.file(), file.string());
    EXPECT_EQ(config["scheduler"].require<int>("port"), 5);
    const std::string message = configErrorOf([&] { config["scheduler"].allowOnly({"port"}); });
    expectNamesFileLineKey(message, file.string(), 3, "scheduler.prot");
}

TEST(Config, YamlSyntaxErrorNamesFileAndLine) {
    const std::string message =
        configErrorOf([] { parseConfigText("a: 1\nb: [1, 2\nc: 3\n", "broken.yaml"); });
    EXPECT_EQ(message.rfind("broken.yaml:3:", 0), 0u) << message;
}

TEST(Config, YamlSyntaxErrorInAFileNamesTheFile) {
    test::TempDir dir;
    const auto file = dir.write("broken.yaml", "a: 1\nb: 2\n  c: 3\n");
    const std::string message = configErrorOf([&] { loadConfigFile(file); });
    EXPECT_EQ(message.rfind(file.string() + ":3:", 0), 0u) << message;
}

TEST(Config, UnknownKeyNamesLinePathAndAllowedKeys) {
    const ConfigNode config = parseConfigText(
        "scheduler:\n"                    // 1
        "  address: tcp://127.0.0.1:0\n"  // 2
        "  endpoints:\n"                  // 3
        "    - trasnport: tcp\n"          // 4
        "      codec: capnp\n",           // 5
        "scheduler.yaml");
    const auto endpoints = config["scheduler"]["endpoints"].elements();
    ASSERT_EQ(endpoints.size(), 1u);
    EXPECT_EQ(endpoints[0].path(), "scheduler.endpoints[0]");
    const std::string message = configErrorOf([&] {
        endpoints[0].allowOnly({"transport", "codec", "options"});
    });
    expectNamesFileLineKey(message, "scheduler.yaml", 4, "scheduler.endpoints[0].trasnport");
    for (const char* allowed : {"transport", "codec", "options"}) {
        EXPECT_NE(message.find(allowed), std::string::npos)
            << "should list " << allowed << ": " << message;
    }
}

TEST(Config, AllowOnlyAcceptsKnownKeysAndAbsentSections) {
    const ConfigNode config = parseConfigText("a: 1\nb: 2\n", "ok.yaml");
    EXPECT_NO_THROW(config.allowOnly({"a", "b", "c"}));
    EXPECT_NO_THROW(config["absent"].allowOnly({"x"}));
}

TEST(Config, AllowOnlyRefusesARepeatedKey) {
    const ConfigNode config = parseConfigText("port: 1\nhost: x\nport: 2\n", "dup.yaml");
    const std::string message = configErrorOf([&] { config.allowOnly({"port", "host"}); });
    expectNamesFileLineKey(message, "dup.yaml", 3, "port");
}

TEST(Config, AllowOnlyRefusesAComplexKeyWithAConfigError) {
    const ConfigNode config = parseConfigText("section:\n  ? [a, b]\n  : 1\n", "complex.yaml");
    const std::string message = configErrorOf([&] { config["section"].allowOnly({"a"}); });
    expectNamesFileLineKey(message, "complex.yaml", 2, "section");
}

TEST(Config, AllowOnlyOnAScalarSaysAMapIsExpected) {
    const ConfigNode config = parseConfigText("a: 1\nscheduler: 5\n", "scalar.yaml");
    const std::string message = configErrorOf([&] { config["scheduler"].allowOnly({"port"}); });
    expectNamesFileLineKey(message, "scalar.yaml", 2, "scheduler");
}

// One wrong-typed value: the YAML text, the accessor that must refuse it, and where it is.
struct WrongType {
    const char* name;
    const char* yaml;
    std::function<void(const ConfigNode&)> read;
    int line;
    const char* keyPath;
};

void PrintTo(const WrongType& c, std::ostream* out) {
    *out << c.name;
}

class ConfigWrongType : public ::testing::TestWithParam<WrongType> {};

TEST_P(ConfigWrongType, NamesFileLineAndKey) {
    const WrongType& c = GetParam();
    const ConfigNode config = parseConfigText(c.yaml, "types.yaml");
    const std::string message = configErrorOf([&] { c.read(config); });
    expectNamesFileLineKey(message, "types.yaml", c.line, c.keyPath);
}

TEST_P(ConfigWrongType, GetDoesNotFallBackForAWrongType) {
    // A present but wrong value is an error even where the key is optional.
    const WrongType& c = GetParam();
    const ConfigNode config = parseConfigText(c.yaml, "types.yaml");
    EXPECT_THROW(c.read(config), ConfigError);
}

ConfigNode section(const ConfigNode& root) {
    return root["section"];
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigWrongType,
    ::testing::Values(
        WrongType{"StringForInt", "section:\n  port: abc\n",
                  [](const ConfigNode& c) { section(c).get<int>("port", 1); }, 2, "section.port"},
        WrongType{"NegativeForUnsigned", "section:\n  count: -1\n",
                  [](const ConfigNode& c) { section(c).get<std::uint32_t>("count", 1); }, 2,
                  "section.count"},
        WrongType{"NegativeForUint64", "section:\n  count: -1\n",
                  [](const ConfigNode& c) { section(c).require<std::uint64_t>("count"); }, 2,
                  "section.count"},
        WrongType{"ExponentForInt", "section:\n  limit: 1e3\n",
                  [](const ConfigNode& c) { section(c).require<int>("limit"); }, 2,
                  "section.limit"},
        WrongType{"FractionForInt", "section:\n  limit: 1.5\n",
                  [](const ConfigNode& c) { section(c).require<std::int64_t>("limit"); }, 2,
                  "section.limit"},
        WrongType{"OverflowForUint32", "section:\n  limit: 4294967296\n",
                  [](const ConfigNode& c) { section(c).require<std::uint32_t>("limit"); }, 2,
                  "section.limit"},
        WrongType{"OverflowForInt", "section:\n  limit: 2147483648\n",
                  [](const ConfigNode& c) { section(c).require<int>("limit"); }, 2,
                  "section.limit"},
        WrongType{"OverflowForInt64", "section:\n  limit: 9223372036854775808\n",
                  [](const ConfigNode& c) { section(c).require<std::int64_t>("limit"); }, 2,
                  "section.limit"},
        WrongType{"MaybeForBool", "section:\n  enabled: maybe\n",
                  [](const ConfigNode& c) { section(c).get<bool>("enabled", false); }, 2,
                  "section.enabled"},
        WrongType{"WordForDouble", "section:\n  ratio: half\n",
                  [](const ConfigNode& c) { section(c).get<double>("ratio", 0.5); }, 2,
                  "section.ratio"},
        // A block map's position is that of its first key, the line below the key it belongs to.
        WrongType{"MapForScalar", "section:\n  port:\n    number: 5\n",
                  [](const ConfigNode& c) { section(c).get<int>("port", 1); }, 3, "section.port"},
        WrongType{"ListForString", "section:\n  name: [a, b]\n",
                  [](const ConfigNode& c) { section(c).require<std::string>("name"); }, 2,
                  "section.name"},
        WrongType{"InsideAList", "section:\n  items:\n    - port: 1\n    - port: x\n",
                  [](const ConfigNode& c) {
                      for (const auto& item : section(c)["items"].elements()) {
                          item.require<int>("port");
                      }
                  },
                  4, "section.items[1].port"}),
    [](const ::testing::TestParamInfo<WrongType>& info) { return std::string(info.param.name); });

TEST(Config, TypedAccessorsReadValidValues) {
    const ConfigNode config = parseConfigText(
        "i: -42\nu32: 4294967295\nu64: 18446744073709551615\ni64: -9223372036854775808\n"
        "hex: 0x10\nb: true\nd: 0.25\ns: hello\nn: 7\n",
        "valid.yaml");
    EXPECT_EQ(config.require<int>("i"), -42);
    EXPECT_EQ(config.require<std::uint32_t>("u32"), 4294967295u);
    EXPECT_EQ(config.require<std::uint64_t>("u64"), UINT64_MAX);
    EXPECT_EQ(config.require<std::int64_t>("i64"), INT64_MIN);
    EXPECT_EQ(config.require<int>("hex"), 16);
    EXPECT_TRUE(config.require<bool>("b"));
    EXPECT_DOUBLE_EQ(config.require<double>("d"), 0.25);
    EXPECT_EQ(config.require<std::string>("s"), "hello");
    // A number is also a valid string (a port given where a name is allowed, say).
    EXPECT_EQ(config.require<std::string>("n"), "7");
}

TEST(Config, GetFallsBackForAbsentOrNullKeys) {
    const ConfigNode config = parseConfigText("present: 3\nempty:\ntilde: ~\n", "fallback.yaml");
    EXPECT_EQ(config.get<int>("present", 9), 3);
    EXPECT_EQ(config.get<int>("absent", 9), 9);
    EXPECT_EQ(config.get<std::string>("absent", "dflt"), "dflt");
    // A key with no value counts as absent.
    EXPECT_EQ(config.get<int>("empty", 9), 9);
    EXPECT_EQ(config.get<int>("tilde", 9), 9);
    EXPECT_FALSE(config.has("empty"));
    EXPECT_TRUE(config.has("present"));
}

TEST(Config, AbsentSectionsChainWithoutThrowing) {
    const ConfigNode config = parseConfigText("a: 1\n", "absent.yaml");
    const ConfigNode deep = config["missing"]["deeper"]["deepest"];
    EXPECT_FALSE(deep.isDefined());
    EXPECT_FALSE(deep.isMap());
    EXPECT_FALSE(deep.isSequence());
    EXPECT_EQ(deep.path(), "missing.deeper.deepest");
    EXPECT_EQ(config["missing"].get<int>("port", 5), 5);
    EXPECT_TRUE(config["missing"].elements().empty());
    EXPECT_NO_THROW(config["missing"].expectMap());
    // A scalar has no children either.
    EXPECT_FALSE(config["a"]["b"].isDefined());
}

TEST(Config, RequireOnAMissingKeyNamesTheKeyPath) {
    const ConfigNode config = parseConfigText("x: 0\nscheduler:\n  port: 1\n", "require.yaml");
    const std::string message =
        configErrorOf([&] { config["scheduler"].require<std::string>("address"); });
    // The missing key has no line of its own; the error points at the section that lacks it.
    expectNamesFileLineKey(message, "require.yaml", 3, "scheduler.address");
}

TEST(Config, RequireOnAMissingTopLevelKeyNamesTheKey) {
    const ConfigNode config = parseConfigText("x: 0\n", "require.yaml");
    const std::string message = configErrorOf([&] { config.require<int>("port"); });
    expectNamesFileLineKey(message, "require.yaml", 1, "port");
}

TEST(Config, ElementsOfANonListNamesFileLineAndKey) {
    const ConfigNode config = parseConfigText("a: 1\nitems: 5\n", "list.yaml");
    const std::string message = configErrorOf([&] { config["items"].elements(); });
    expectNamesFileLineKey(message, "list.yaml", 2, "items");
}

TEST(Config, ElementsOfAListCarryIndexedPathsAndLines) {
    const ConfigNode config = parseConfigText("items:\n  - a\n  - b\n", "list.yaml");
    const auto items = config["items"].elements();
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[1].path(), "items[1]");
    EXPECT_EQ(items[1].as<std::string>(), "b");
    EXPECT_EQ(items[1].location(), "list.yaml:3:5");
}

TEST(Config, ErrorValueIsInvalidConfigWithTheSameMessage) {
    const ConfigNode config = parseConfigText("a:\n  b: 1\n", "value.yaml");
    const ConfigNode b = config["a"]["b"];
    const Error error = b.errorValue("out of range");
    EXPECT_EQ(error.kind, ErrorKind::InvalidConfig);
    EXPECT_EQ(error.message, std::string(b.error("out of range").what()));
    expectNamesFileLineKey(error.message, "value.yaml", 2, "a.b");
    EXPECT_NE(error.message.find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace plexus
