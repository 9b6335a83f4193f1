#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "plexus/result.h"

namespace plexus::detail {

/// Loads `file` with Boost.DLL, RTLD_LOCAL (libraries' symbols stay apart) and RTLD_NOW
/// (unresolved symbols are reported now, at startup, not at the first call). `what` names the
/// kind of library in errors ("plugin", "task library"). A failure carries the loader's own
/// reason ("invalid ELF header", "undefined symbol: ..."), which Boost.DLL does not keep.
/// Call from one thread (dlopen's thread-safety is platform-dependent).
Result<std::unique_ptr<boost::dll::shared_library>> openSharedLibrary(
    const std::filesystem::path& file, const std::string& what);

}  // namespace plexus::detail
