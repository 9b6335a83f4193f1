#include "plexus/config.h"

#include <fmt/format.h>

#include <fstream>
#include <limits>
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
        case YAML::NodeType::Map: return "a map";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Scalar: return fmt::format("'{}'", node.Scalar());
        case YAML::NodeType::Null: return "null";
        default: return "nothing";
    }
}

}  // namespace

ConfigNode::ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

bool ConfigNode::isDefined() const { return node_.IsDefined() && !node_.IsNull(); }
bool ConfigNode::isMap() const { return node_.IsMap(); }
bool ConfigNode::isSequence() const { return node_.IsSequence(); }
const std::string& ConfigNode::file() const { return file_ ? *file_ : unknownFile(); }

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
    if (isDefined() && !node_.IsMap()) throw error(fmt::format("expected a map, found {}", typeName(node_)));
}

void ConfigNode::allowOnly(std::initializer_list<std::string_view> keys) const {
    expectMap();
    if (!isDefined()) return;
    for (const auto& entry : node_) {
        const std::string key = entry.first.as<std::string>();
        bool known = false;
        for (auto allowed : keys) known = known || allowed == key;
        if (known) continue;
        std::string expected;
        for (auto allowed : keys) {
            if (!expected.empty()) expected += ", ";
            expected += allowed;
        }
        ConfigNode offending(entry.first, file_, joinPath(path_, key));
        throw offending.error(fmt::format("unknown key (expected one of: {})", expected));
    }
}

bool ConfigNode::has(std::string_view key) const { return (*this)[key].isDefined(); }

ConfigNode ConfigNode::operator[](std::string_view key) const {
    const std::string childPath = joinPath(path_, key);
    if (!node_.IsMap()) return ConfigNode(YAML::Node(YAML::NodeType::Undefined), file_, childPath);
    const YAML::Node& constNode = node_;  // const access never inserts
    return ConfigNode(constNode[std::string(key)], file_, childPath);
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
    if (!node_.IsScalar()) throw error(fmt::format("expected a single value, found {}", typeName(node_)));
    const std::string& text = node_.Scalar();
    if constexpr (std::is_same_v<T, std::string>) {
        return text;
    } else if constexpr (std::is_same_v<T, bool>) {
        bool value = false;
        if (!YAML::convert<bool>::decode(node_, value)) throw error(fmt::format("expected true or false, found '{}'", text));
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
        ok = ok && used == text.size() && wide >= static_cast<Wide>(std::numeric_limits<T>::min()) &&
             wide <= static_cast<Wide>(std::numeric_limits<T>::max());
        if (!ok) {
            throw error(fmt::format("expected {} integer between {} and {}, found '{}'",
                                    std::is_signed_v<T> ? "an" : "a non-negative",
                                    std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), text));
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
        if (used == 0 || used != text.size()) throw error(fmt::format("expected a number, found '{}'", text));
        return static_cast<T>(value);
    } else {
        static_assert(sizeof(T) == 0, "unsupported configuration value type");
    }
}

template <class T>
T ConfigNode::require(std::string_view key) const {
    ConfigNode child = (*this)[key];
    if (!child.isDefined()) throw error(fmt::format("missing required key '{}'", key));
    return child.as<T>();
}

#define PLEXUS_CONFIG_TYPE(T) \
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
        throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", *file, e.mark.line + 1,
                                      e.mark.column + 1, e.msg));
    }
}

ConfigNode loadConfigFile(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(fmt::format("{}: cannot open configuration file", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw ConfigError(fmt::format("{}: cannot read configuration file", file.string()));
    return parseConfigText(text.str(), file.string());
}

}  // namespace plexus
