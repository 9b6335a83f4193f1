#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plexus/codec.h"
#include "plexus/plugin_abi.h"
#include "plexus/result.h"
#include "plexus/transport.h"

namespace plexus {

enum class PluginKind { transport, codec };
std::string_view pluginKindName(PluginKind kind) noexcept;

struct PluginInfo {
    PluginKind kind;
    std::string name;
    std::string version;
    std::uint32_t abiMajor = 0;
    std::uint32_t abiMinor = 0;
    std::filesystem::path file;  ///< empty for a built-in plugin
};

/// The file a plugin of `kind` and `name` is expected in: "plexus_<kind>_<name>.so".
std::string pluginFileName(PluginKind kind, std::string_view name);

/// The search path, in order: `configPluginDir` (if given), each entry of $PLEXUS_PLUGIN_PATH
/// (colon-separated), `plexus/plugins` beside libplexus-core.so (so an installation anywhere, and
/// the build tree, find their own plugins), then the install path baked in at build time.
/// The folder libplexus-core.so was loaded from (empty if unknown).
std::filesystem::path coreLibraryDir();

std::vector<std::filesystem::path> pluginSearchPath(
    const std::optional<std::filesystem::path>& configPluginDir);

/// Loads plugins by name, on demand, from a search path, and keeps them loaded.
///
/// Lifetime: the registry must outlive every transport and codec its factories created (the
/// shared libraries stay mapped until the registry is destroyed). Own it in the object that owns
/// those transports and codecs, declared before them.
/// Thread-safety: none; use it from one thread (plugins are loaded at startup).
class PluginRegistry {
  public:
    explicit PluginRegistry(std::vector<std::filesystem::path> searchPath);
    ~PluginRegistry();
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    /// The transport factory called `name`, loading its plugin on first use. Errors: NotFound
    /// (lists every path tried), AbiMismatch, InvalidArgument (the file is a plugin of another
    /// kind or name, or not a plexus plugin).
    Result<const TransportFactory*> transport(std::string_view name);
    Result<const CodecFactory*> codec(std::string_view name);

    /// Registers a plugin that is linked in rather than loaded (tests, static builds). The
    /// descriptor is checked like a loaded one.
    Result<PluginInfo> addBuiltin(const plexus_plugin_descriptor* descriptor);

    /// Every plugin loaded so far.
    std::vector<PluginInfo> loaded() const;
    const std::vector<std::filesystem::path>& searchPath() const;

    /// Opens one file and reads its descriptor without keeping it (for `plexus plugins`).
    static Result<PluginInfo> inspect(const std::filesystem::path& file);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace plexus
