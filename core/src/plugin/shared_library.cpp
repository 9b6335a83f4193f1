#include "plugin/shared_library.h"

#include <dlfcn.h>

#include <fmt/format.h>

namespace plexus::detail {
namespace {

// Why dlopen() refuses `path`: Boost.DLL reports every failure as "bad file descriptor" and clears
// dlerror(), so on failure (only) the load is repeated here to read the loader's reason.
std::string loadFailureReason(const std::filesystem::path& path) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle != nullptr) {
        ::dlclose(handle);
        return "unknown error";
    }
    const char* error = ::dlerror();
    std::string reason = error != nullptr ? error : "unknown error";
    // dlerror() usually starts with the path itself; say it once.
    if (const std::string prefix = path.string() + ": "; reason.rfind(prefix, 0) == 0)
        reason.erase(0, prefix.size());
    return reason;
}

}  // namespace

Result<std::unique_ptr<boost::dll::shared_library>> openSharedLibrary(
    const std::filesystem::path& file, const std::string& what) {
    // A name without a slash would make dlopen() search the system's library path instead of
    // opening this file.
    const std::filesystem::path path = file.has_parent_path() ? file : "." / file;
    auto library = std::make_unique<boost::dll::shared_library>();
    std::error_code ec;
    library->load(path, ec, boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now);
    if (ec) {
        return fail(ErrorKind::InvalidArgument, fmt::format("{}: cannot load {}: {}", file.string(),
                                                            what, loadFailureReason(path)));
    }
    return library;
}

}  // namespace plexus::detail
