#include "plexus/plugin_registry.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <boost/dll/shared_library.hpp>

#include "plexus/log.h"
#include "plugin/install_paths.h"
#include "plugin/shared_library.h"

namespace plexus {
namespace {

namespace dll = boost::dll;

// Checks a descriptor in the order the ABI promises: version fields first, then the rest.
Result<PluginInfo> readDescriptor(const plexus_plugin_descriptor* d, const std::string& where) {
    if (d == nullptr)
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: entry returned no descriptor", where));
    if (d->abi_major != PLEXUS_PLUGIN_ABI_MAJOR || d->abi_minor > PLEXUS_PLUGIN_ABI_MINOR) {
        return fail(
            ErrorKind::AbiMismatch,
            fmt::format("{}: built for plugin ABI {}.{}, this plexus provides {}.{}; rebuild "
                        "the plugin against this plexus SDK",
                        where, d->abi_major, d->abi_minor, PLEXUS_PLUGIN_ABI_MAJOR,
                        PLEXUS_PLUGIN_ABI_MINOR));
    }
    if (d->struct_size < sizeof(plexus_plugin_descriptor)) {
        return fail(ErrorKind::AbiMismatch,
                    fmt::format("{}: descriptor is {} bytes, expected at least {}", where,
                                d->struct_size, sizeof(plexus_plugin_descriptor)));
    }
    if (d->kind != PLEXUS_PLUGIN_TRANSPORT && d->kind != PLEXUS_PLUGIN_CODEC) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: unknown plugin kind {}", where, d->kind));
    }
    if (d->name == nullptr || d->factory == nullptr) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: descriptor lacks a name or factory", where));
    }
    PluginInfo info;
    info.kind = d->kind == PLEXUS_PLUGIN_TRANSPORT ? PluginKind::transport : PluginKind::codec;
    info.name = d->name;
    info.version = d->version != nullptr ? d->version : "";
    info.abiMajor = d->abi_major;
    info.abiMinor = d->abi_minor;
    return info;
}

struct Opened {
    std::unique_ptr<dll::shared_library> library;
    const plexus_plugin_descriptor* descriptor = nullptr;
    PluginInfo info;
};

Result<Opened> openPlugin(const std::filesystem::path& file) {
    Opened opened;
    auto library = detail::openSharedLibrary(file, "plugin");
    if (!library) return tl::unexpected(library.error());
    opened.library = std::move(*library);
    if (!opened.library->has(PLEXUS_PLUGIN_ENTRY_SYMBOL)) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: not a plexus plugin (no '{}' symbol)", file.string(),
                                PLEXUS_PLUGIN_ENTRY_SYMBOL));
    }
    auto& entry =
        opened.library->get<const plexus_plugin_descriptor*()>(PLEXUS_PLUGIN_ENTRY_SYMBOL);
    opened.descriptor = entry();
    auto info = readDescriptor(opened.descriptor, file.string());
    if (!info) return tl::unexpected(info.error());
    opened.info = std::move(*info);
    opened.info.file = file;
    return opened;
}

}  // namespace

std::string_view pluginKindName(PluginKind kind) noexcept {
    return kind == PluginKind::transport ? "transport" : "codec";
}

std::string pluginFileName(PluginKind kind, std::string_view name) {
    return fmt::format("plexus_{}_{}.so", pluginKindName(kind), name);
}

std::filesystem::path coreLibraryDir() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<const void*>(&coreLibraryDir), &info) == 0 ||
        info.dli_fname == nullptr)
        return {};
    std::error_code ec;
    const auto library = std::filesystem::canonical(info.dli_fname, ec);
    return ec ? std::filesystem::path() : library.parent_path();
}

std::vector<std::filesystem::path> pluginSearchPath(
    const std::optional<std::filesystem::path>& configPluginDir) {
    std::vector<std::filesystem::path> path;
    if (configPluginDir) path.push_back(*configPluginDir);
    if (const char* env = std::getenv("PLEXUS_PLUGIN_PATH"); env != nullptr) {
        std::stringstream entries(env);
        std::string entry;
        while (std::getline(entries, entry, ':')) {
            if (!entry.empty()) path.emplace_back(entry);
        }
    }
    // Relative to this library: <libdir>/plexus/plugins wherever plexus is installed (or in the
    // build tree, which has the same layout), then the install path baked in at build time.
    const std::filesystem::path besideCore = coreLibraryDir() / "plexus" / "plugins";
    if (!besideCore.empty() && besideCore != std::filesystem::path(detail::kInstalledPluginDir)) {
        path.push_back(besideCore);
    }
    path.emplace_back(detail::kInstalledPluginDir);
    return path;
}

struct PluginRegistry::Impl {
    // Declared first so that it is destroyed last: libraries stay mapped until every other
    // member (and, by contract, every object made by a factory) is gone.
    std::vector<std::unique_ptr<dll::shared_library>> libraries;
    std::vector<std::filesystem::path> searchPath;
    std::map<std::pair<PluginKind, std::string>, std::pair<PluginInfo, const void*>, std::less<>>
        plugins;

    Result<const void*> find(PluginKind kind, std::string_view name) {
        if (auto it = plugins.find(std::pair{kind, std::string(name)}); it != plugins.end()) {
            return it->second.second;
        }
        if (name.empty() || name.find('/') != std::string_view::npos) {
            return fail(ErrorKind::InvalidArgument,
                        fmt::format("invalid {} plugin name '{}'", pluginKindName(kind), name));
        }
        const std::string fileName = pluginFileName(kind, name);
        std::string tried;
        for (const auto& dir : searchPath) {
            const auto candidate = dir / fileName;
            tried += fmt::format("\n  {}", candidate.string());
            std::error_code ec;
            if (!std::filesystem::exists(candidate, ec)) continue;
            // A file that exists but cannot be used is an error at once: silently falling back to
            // another copy further down the path would hide a broken installation.
            auto opened = openPlugin(candidate);
            if (!opened) return tl::unexpected(opened.error());
            if (opened->info.kind != kind || opened->info.name != name) {
                return fail(ErrorKind::InvalidArgument,
                            fmt::format("{}: is the {} plugin '{}', expected the {} plugin '{}'",
                                        candidate.string(), pluginKindName(opened->info.kind),
                                        opened->info.name, pluginKindName(kind), name));
            }
            logger().debug("loaded {} plugin '{}' {} from {}", pluginKindName(kind), name,
                           opened->info.version, candidate.string());
            const void* factory = opened->descriptor->factory;
            libraries.push_back(std::move(opened->library));
            plugins.emplace(std::pair{kind, std::string(name)},
                            std::pair{std::move(opened->info), factory});
            return factory;
        }
        return fail(ErrorKind::NotFound, fmt::format("{} plugin '{}' not found; tried:{}",
                                                     pluginKindName(kind), name, tried));
    }
};

PluginRegistry::PluginRegistry(std::vector<std::filesystem::path> searchPath)
    : impl_(std::make_unique<Impl>()) {
    impl_->searchPath = std::move(searchPath);
}

PluginRegistry::~PluginRegistry() = default;

Result<const TransportFactory*> PluginRegistry::transport(std::string_view name) {
    auto found = impl_->find(PluginKind::transport, name);
    if (!found) return tl::unexpected(found.error());
    return static_cast<const TransportFactory*>(*found);
}

Result<const CodecFactory*> PluginRegistry::codec(std::string_view name) {
    auto found = impl_->find(PluginKind::codec, name);
    if (!found) return tl::unexpected(found.error());
    return static_cast<const CodecFactory*>(*found);
}

Result<PluginInfo> PluginRegistry::addBuiltin(const plexus_plugin_descriptor* descriptor) {
    auto info = readDescriptor(descriptor, "built-in plugin");
    if (!info) return info;
    auto key = std::pair{info->kind, info->name};
    if (impl_->plugins.count(key) != 0) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("a {} plugin named '{}' is already registered",
                                pluginKindName(info->kind), info->name));
    }
    impl_->plugins.emplace(key, std::pair{*info, descriptor->factory});
    return info;
}

std::vector<PluginInfo> PluginRegistry::loaded() const {
    std::vector<PluginInfo> out;
    for (const auto& [key, value] : impl_->plugins) out.push_back(value.first);
    return out;
}

const std::vector<std::filesystem::path>& PluginRegistry::searchPath() const {
    return impl_->searchPath;
}

Result<PluginInfo> PluginRegistry::inspect(const std::filesystem::path& file) {
    auto opened = openPlugin(file);
    if (!opened) return tl::unexpected(opened.error());
    return opened->info;
}

}  // namespace plexus
