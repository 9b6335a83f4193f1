#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plexus/result.h"
#include "plexus/task_library.h"

namespace plexus::detail {

/// The functions of every task library a worker loaded, by name.
///
/// Lifetime: the shared libraries stay mapped until this object is destroyed, after every
/// TaskFunction it holds (the functions' code and captured state live in those libraries).
/// Whoever runs a function must therefore finish before this object goes away.
/// Thread-safety: load() at startup from one thread; afterwards find() and names() may be called
/// from any thread, and the functions themselves run on executor threads.
class TaskLibraries {
  public:
    TaskLibraries();
    ~TaskLibraries();
    TaskLibraries(const TaskLibraries&) = delete;
    TaskLibraries& operator=(const TaskLibraries&) = delete;

    /// Loads one task library and registers its functions. Errors: NotFound (no such file),
    /// InvalidArgument (not loadable, no entry symbol, a registration that failed or threw, a
    /// function name taken by this or an earlier library), AbiMismatch (built for another task
    /// ABI). On error nothing of this library is kept.
    Result<void> load(const std::filesystem::path& file);

    /// The function registered under `name`, or nullptr. The pointer stays valid as long as
    /// this object.
    const TaskFunction* find(std::string_view name) const;
    /// Every registered name, sorted.
    std::vector<std::string> names() const;
    std::size_t size() const { return functions_.size(); }

  private:
    struct Function {
        TaskFunction function;
        std::string library;  ///< "<file> (library '<name>')", for messages
    };

    // Declared first so that it is destroyed last: the libraries stay mapped until every
    // function below (code and captured state from those libraries) is gone. Type-erased so this
    // header does not pull in Boost.DLL.
    std::vector<std::shared_ptr<void>> libraries_;
    std::map<std::string, Function, std::less<>> functions_;
};

}  // namespace plexus::detail
