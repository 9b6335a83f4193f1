#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace plexus {

/// The process-wide logger, shared by the core and every plugin (plugins link the shared core,
/// so there is one instance). Thread-safe. Writes to stderr.
spdlog::logger& logger();

/// Sets the level by name: trace, debug, info, warn, error, critical, off. Returns false for an
/// unknown name and leaves the level unchanged.
bool setLogLevel(std::string_view level);

/// True for the level names setLogLevel accepts.
bool isLogLevelName(std::string_view level) noexcept;

}  // namespace plexus
