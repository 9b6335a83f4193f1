#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "plexus/result.h"

namespace plexus {

/// A configuration mistake. what() reads "<file>:<line>:<column>: <key path>: <problem>", so a
/// user can go straight to the offending line. Thrown only while loading configuration at
/// startup; plugin factories catch it and return it as an Error (never across the ABI).
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A node of a YAML configuration that remembers where it came from (file and key path), so
/// every error names the file, the line and the key. Cheap to copy (YAML nodes are handles).
///
/// Plugins receive the ConfigNode of their own subtree and validate it with allowOnly() and the
/// typed accessors; the core never interprets a plugin's keys.
class ConfigNode {
public:
    /// An absent node (as for an optional section that is not in the file).
    ConfigNode() = default;
    ConfigNode(YAML::Node node, std::shared_ptr<const std::string> file, std::string path);

    bool isDefined() const;
    bool isMap() const;
    bool isSequence() const;
    const std::string& file() const;
    /// Dotted key path from the document root, e.g. "scheduler.endpoints[0].transport".
    const std::string& path() const { return path_; }
    /// "<file>:<line>:<column>" of this node (line and column 1-based), or "<file>" if unknown.
    std::string location() const;

    /// Throws unless this node is a map (an absent node counts as an empty map).
    void expectMap() const;
    /// Throws for the first key of this map that is not in `keys`, listing the allowed ones.
    void allowOnly(std::initializer_list<std::string_view> keys) const;
    bool has(std::string_view key) const;
    /// The child at `key` (absent if missing).
    ConfigNode operator[](std::string_view key) const;
    /// The elements of a sequence; throws if this node is defined and not a sequence.
    std::vector<ConfigNode> elements() const;

    /// This node's value as T: std::string, bool, int, std::int64_t, std::uint32_t,
    /// std::uint64_t, double. Throws for a missing value or a wrong type.
    template <class T>
    T as() const;
    /// The value at `key`, or `fallback` when the key is absent; throws for a wrong type.
    template <class T>
    T get(std::string_view key, T fallback) const {
        ConfigNode child = (*this)[key];
        return child.isDefined() ? child.as<T>() : fallback;
    }
    /// The value at `key`; throws when absent or of the wrong type.
    template <class T>
    T require(std::string_view key) const;

    /// A ConfigError for this node: "<location>: <path>: <problem>".
    [[nodiscard]] ConfigError error(std::string_view problem) const;
    /// The same as an Error value (ErrorKind::InvalidConfig), for code that returns Results.
    [[nodiscard]] Error errorValue(std::string_view problem) const;

    /// The underlying YAML node, for plugins that need more than the accessors above.
    const YAML::Node& yaml() const { return node_; }

private:
    YAML::Node node_{YAML::NodeType::Undefined};
    std::shared_ptr<const std::string> file_;
    std::string path_;
};

/// Reads and parses a YAML file. Throws ConfigError naming the file for a missing or unreadable
/// file, and the file and line for a YAML syntax error.
ConfigNode loadConfigFile(const std::filesystem::path& file);
/// Parses YAML text; `name` stands in for the file name in errors.
ConfigNode parseConfigText(std::string_view text, std::string name);

}  // namespace plexus
