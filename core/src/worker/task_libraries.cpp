#include "worker/task_libraries.h"

#include <fmt/format.h>
#include <boost/dll/shared_library.hpp>

#include "plexus/log.h"
#include "plugin/shared_library.h"

namespace plexus::detail {

namespace {

// Collects one library's registrations. Never throws: addRaw() is called from the library's
// code, and no exception may cross that boundary; problems are recorded and reported after
// register_tasks() returns.
class Registrar final : public TaskRegistrar {
  public:
    void addRaw(std::string_view name, TaskFunction function) override {
        try {
            if (!errors.empty()) return;
            if (name.empty()) {
                errors.push_back("registered a function with an empty name");
            } else if (!function) {
                errors.push_back(fmt::format("registered an empty function as '{}'", name));
            } else if (!functions.emplace(std::string(name), std::move(function)).second) {
                errors.push_back(fmt::format("registered the function '{}' twice", name));
            }
        } catch (...) {  // bad_alloc
            errors.push_back("out of memory while registering functions");
        }
    }

    std::map<std::string, TaskFunction, std::less<>> functions;
    std::vector<std::string> errors;
};

}  // namespace

TaskLibraries::TaskLibraries() = default;

TaskLibraries::~TaskLibraries() {
    functions_.clear();  // explicitly before the libraries, whatever the member order says
}

Result<void> TaskLibraries::load(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        return fail(ErrorKind::NotFound, fmt::format("{}: task library not found", file.string()));
    }
    auto opened = openSharedLibrary(file, "task library");
    if (!opened) return tl::unexpected(opened.error());
    std::shared_ptr<boost::dll::shared_library> library = std::move(*opened);
    if (!library->has(PLEXUS_TASK_LIBRARY_ENTRY_SYMBOL)) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: not a plexus task library (no '{}' symbol)", file.string(),
                                PLEXUS_TASK_LIBRARY_ENTRY_SYMBOL));
    }
    auto& entry =
        library->get<const plexus_task_library_descriptor*()>(PLEXUS_TASK_LIBRARY_ENTRY_SYMBOL);
    const plexus_task_library_descriptor* d = entry();
    // The version fields first: nothing else of the descriptor may be read before they match.
    if (d == nullptr) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: task library entry returned no descriptor", file.string()));
    }
    if (d->abi_major != PLEXUS_TASK_ABI_MAJOR || d->abi_minor > PLEXUS_TASK_ABI_MINOR) {
        return fail(
            ErrorKind::AbiMismatch,
            fmt::format(
                "{}: built for task library ABI {}.{}, this plexus worker provides {}.{}; rebuild "
                "the library against this plexus SDK",
                file.string(), d->abi_major, d->abi_minor, PLEXUS_TASK_ABI_MAJOR,
                PLEXUS_TASK_ABI_MINOR));
    }
    if (d->struct_size < sizeof(plexus_task_library_descriptor)) {
        return fail(
            ErrorKind::AbiMismatch,
            fmt::format("{}: task library descriptor is {} bytes, expected at least {}",
                        file.string(), d->struct_size, sizeof(plexus_task_library_descriptor)));
    }
    if (d->register_tasks == nullptr) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: task library descriptor has no register_tasks function",
                                file.string()));
    }
    const std::string where =
        fmt::format("{} (library '{}')", file.string(), d->name != nullptr ? d->name : "");

    Registrar registrar;
    try {
        d->register_tasks(registrar);
    } catch (const std::exception& e) {
        registrar.errors.push_back(fmt::format("register_tasks threw: {}", e.what()));
    } catch (...) {
        registrar.errors.push_back("register_tasks threw an unknown exception");
    }
    if (!registrar.errors.empty()) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("{}: {}", where, registrar.errors.front()));
    }
    for (const auto& [name, function] : registrar.functions) {
        if (auto it = functions_.find(name); it != functions_.end()) {
            return fail(ErrorKind::InvalidArgument,
                        fmt::format("the function '{}' is registered by both {} and {}", name,
                                    it->second.library, where));
        }
    }
    // Committed only now, so a failed library leaves nothing behind (the registrar's functions
    // are destroyed before `library` when this function returns on an error path).
    libraries_.push_back(library);
    for (auto& [name, function] : registrar.functions) {
        functions_.emplace(name, Function{std::move(function), where});
    }
    logger().info("loaded task library {}: {} function(s)", where, registrar.functions.size());
    return {};
}

const TaskFunction* TaskLibraries::find(std::string_view name) const {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : &it->second.function;
}

std::vector<std::string> TaskLibraries::names() const {
    std::vector<std::string> out;
    out.reserve(functions_.size());
    for (const auto& [name, function] : functions_) out.push_back(name);
    return out;
}

}  // namespace plexus::detail
