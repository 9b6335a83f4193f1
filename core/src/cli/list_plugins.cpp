#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "cli/commands.h"
#include "plexus/plugin_registry.h"

namespace plexus::detail {

int listPlugins(const PluginsOptions& options) {
    std::optional<std::filesystem::path> first;
    if (!options.pluginDir.empty()) first = options.pluginDir;
    int problems = 0;
    std::set<std::filesystem::path> seen;
    for (const auto& dir : pluginSearchPath(first)) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            std::cout << fmt::format("{}: (no such folder)\n", dir.string());
            continue;
        }
        std::cout << fmt::format("{}:\n", dir.string());
        std::set<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            if (entry.path().extension() == ".so") files.insert(entry.path());
        }
        for (const auto& file : files) {
            const auto canonical = std::filesystem::weakly_canonical(file, ec);
            if (!seen.insert(canonical).second) continue;
            auto info = PluginRegistry::inspect(file);
            if (info) {
                std::cout << fmt::format("  {:<9} {:<10} {:<8} ABI {}.{}  {}\n",
                                         pluginKindName(info->kind), info->name, info->version,
                                         info->abiMajor, info->abiMinor, file.filename().string());
            } else {
                ++problems;
                std::cout << fmt::format("  cannot load {}: {}\n", file.filename().string(),
                                         info.error().message);
            }
        }
    }
    return problems == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace plexus::detail
