#include "plexus/config.h"

#include <fmt/format.h>

#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <type_traits>

namespace plexus {
namespace {

const std::string& unknownFile() {
    static const std::string name = "<config>";
    return name;
}

std::string joinPath(const std::string& parent, std::string_view key) {
    return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

std::string typeName(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return fmt::format("'{}'", node.Scalar());
        case YAML::NodeType::Null:
            return "null";
        default:
            return "nothing";
    }
}

}  // namespace

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {
    // yaml-cpp's const operator[] returns an "invalid" node for a missing key, on which Type(),
    // IsMap() and Mark() throw YAML::InvalidNode. Keep a plain undefined node instead, so that an
    // absent section behaves like an empty one (cfg["absent"]["key"] is absent, not a crash).
    if (!node_.IsDefined()) node_ = YAML::Node(YAML::NodeType::Undefined);
}

bool ConfigNode::isDefined() const {
    return node_.IsDefined() && !node_.IsNull();
}
bool ConfigNode::isMap() const {
    return node_.IsMap();
}
bool ConfigNode::isSequence() const {
    return node_.IsSequence();
}
const std::string& ConfigNode::file() const {
    return file_ ? *file_ : unknownFile();
}

std::string ConfigNode::location() const {
    if (node_.IsDefined()) {
        const YAML::Mark mark = node_.Mark();
        if (mark.line >= 0) return fmt::format("{}:{}:{}", file(), mark.line + 1, mark.column + 1);
    }
    return file();
}

ConfigError ConfigNode::error(std::string_view problem) const {
    if (path_.empty()) return ConfigError(fmt::format("{}: {}", location(), problem));
    return ConfigError(fmt::format("{}: key '{}': {}", location(), path_, problem));
}

Error ConfigNode::errorValue(std::string_view problem) const {
    return Error{ErrorKind::InvalidConfig, error(problem).what()};
}

void ConfigNode::expectMap() const {
    if (isDefined() && !node_.IsMap())
        throw error(fmt::format("expected a map, found {}", typeName(node_)));
}

void ConfigNode::allowOnly(std::initializer_list<std::string_view> keys) const {
    expectMap();
    if (!isDefined()) return;
    // yaml-cpp keeps every entry of a map with a repeated key and lookups return the first, so
    // "port: 1\nport: 2" would silently mean port 1. YAML forbids repeated keys; refuse them here,
    // where each section is validated, naming the second occurrence.
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : node_) {
        if (!entry.first.IsScalar()) {
            ConfigNode offending(entry.first, file_, path_);
            throw offending.error(
                fmt::format("keys must be plain names, found {}", typeName(entry.first)));
        }
        const std::string& key = entry.first.Scalar();
        if (!seen.insert(key).second) {
            ConfigNode offending(entry.first, file_, joinPath(path_, key));
            throw offending.error("key appears more than once");
        }
        bool known = false;
        for (auto allowed : keys) known = known || allowed == key;
        if (known) continue;
        std::string expected;
        for (auto allowed : keys) {
            if (!expected.empty()) expected += ", ";
            expected += allowed;
        }
        ConfigNode offending(entry.first, file_, joinPath(path_, key));
        if (expected.empty()) throw offending.error("unknown key (this section takes no keys)");
        throw offending.error(fmt::format("unknown key (expected one of: {})", expected));
    }
}

bool ConfigNode::has(std::string_view key) const {
    return (*this)[key].isDefined();
}

ConfigNode ConfigNode::operator[](std::string_view key) const {
    const std::string childPath = joinPath(path_, key);
    if (!node_.IsMap()) return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, childPath);
    const YAML::Node& constNode = node_;  // const access never inserts
    const YAML::Node child = constNode[std::string(key)];
    // A missing key yields an invalid ("zombie") node whose accessors (and even assignment to
    // it) throw; use a valid undefined node instead so every accessor of an absent key behaves.
    if (!child.IsDefined())
        return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, childPath);
    return ConfigNode(child, file_, childPath);
}

std::vector<ConfigNode> ConfigNode::elements() const {
    std::vector<ConfigNode> out;
    if (!isDefined()) return out;
    if (!node_.IsSequence()) throw error(fmt::format("expected a list, found {}", typeName(node_)));
    for (std::size_t i = 0; i < node_.size(); ++i) {
        out.emplace_back(node_[i], file_, fmt::format("{}[{}]", path_, i));
    }
    return out;
}

template <class T>
T ConfigNode::as() const {
    if (!isDefined()) throw error("a value is required");
    if (!node_.IsScalar())
        throw error(fmt::format("expected a single value, found {}", typeName(node_)));
    const std::string& text = node_.Scalar();
    if constexpr (std::is_same_v<T, std::string>) {
        return text;
    } else if constexpr (std::is_same_v<T, bool>) {
        bool value = false;
        if (!YAML::convert<bool>::decode(node_, value))
            throw error(fmt::format("expected true or false, found '{}'", text));
        return value;
    } else if constexpr (std::is_integral_v<T>) {
        // Parse as the widest type of the same signedness, then range-check, so "-1" for an
        // unsigned key and "1e3" are refused instead of silently wrapped or truncated.
        using Wide = std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>;
        Wide wide{};
        std::size_t used = 0;
        bool ok = !text.empty() && (std::is_signed_v<T> || text.front() != '-');
        if (ok) {
            try {
                wide = std::is_signed_v<T> ? static_cast<Wide>(std::stoll(text, &used, 0))
                                           : static_cast<Wide>(std::stoull(text, &used, 0));
            } catch (const std::exception&) {
                ok = false;
            }
        }
        ok = ok && used == text.size() &&
             wide >= static_cast<Wide>(std::numeric_limits<T>::min()) &&
             wide <= static_cast<Wide>(std::numeric_limits<T>::max());
        if (!ok) {
            throw error(fmt::format("expected {} integer between {} and {}, found '{}'",
                                    std::is_signed_v<T> ? "an" : "a non-negative",
                                    std::numeric_limits<T>::min(), std::numeric_limits<T>::max(),
                                    text));
        }
        return static_cast<T>(wide);
    } else if constexpr (std::is_floating_point_v<T>) {
        std::size_t used = 0;
        double value = 0;
        try {
            value = std::stod(text, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != text.size())
            throw error(fmt::format("expected a number, found '{}'", text));
        return static_cast<T>(value);
    } else {
        static_assert(sizeof(T) == 0, "unsupported configuration value type");
    }
}

template <class T>
T ConfigNode::require(std::string_view key) const {
    ConfigNode child = (*this)[key];
    if (!child.isDefined()) {
        // The child has no position of its own: report the parent's, with the child's key path.
        throw ConfigNode(node_, file_, child.path()).error("required key is missing");
    }
    return child.as<T>();
}

#define PLEXUS_CONFIG_TYPE(T)             \
    template T ConfigNode::as<T>() const; \
    template T ConfigNode::require<T>(std::string_view) const;
PLEXUS_CONFIG_TYPE(std::string)
PLEXUS_CONFIG_TYPE(bool)
PLEXUS_CONFIG_TYPE(int)
PLEXUS_CONFIG_TYPE(std::int64_t)
PLEXUS_CONFIG_TYPE(std::uint32_t)
PLEXUS_CONFIG_TYPE(std::uint64_t)
PLEXUS_CONFIG_TYPE(double)
#undef PLEXUS_CONFIG_TYPE

ConfigNode parseConfigText(std::string_view text, std::string name) {
    auto file = std::make_shared<const std::string>(std::move(name));
    try {
        return ConfigNode(YAML::Load(std::string(text)), file, "");
    } catch (const YAML::Exception& e) {
        if (e.mark.is_null()) throw ConfigError(fmt::format("{}: invalid YAML: {}", *file, e.msg));
        throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", *file, e.mark.line + 1,
                                      e.mark.column + 1, e.msg));
    }
}

ConfigNode loadConfigFile(const std::filesystem::path& file) {
    // An ifstream opens a directory without complaint and then reads nothing, which would turn
    // a wrong path into an empty configuration.
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        throw ConfigError(
            fmt::format("{}: is a directory, not a configuration file", file.string()));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(fmt::format("{}: cannot open configuration file", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw ConfigError(fmt::format("{}: cannot read configuration file", file.string()));
    return parseConfigText(text.str(), file.string());
}

}  // namespace plexus
