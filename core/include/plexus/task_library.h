#pragma once

// Task libraries: shared libraries that a plexus worker loads at start, each exporting named
// functions. A function takes its arguments as bytes and returns its result as bytes; typed
// functions get their arguments decoded and their result encoded with serialization.h's formats.
//
//   #include <plexus/task_library.h>
//   double square(double x) { return x * x; }
//   PLEXUS_TASK_LIBRARY("maths") {
//       registry.add("square", &square);                       // typed
//       registry.addRaw("echo", [](const plexus::TaskArguments& args) {  // bytes in, bytes out
//           return std::string(args.bytes(0));
//       });
//   }
//
// A function that throws fails its task; the client receives the exception's what() text.
// Functions run on the worker's executor threads, several at once: they must be thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "plexus/serialization.h"

#define PLEXUS_TASK_ABI_MAJOR 1u
#define PLEXUS_TASK_ABI_MINOR 0u
#define PLEXUS_TASK_LIBRARY_ENTRY_SYMBOL "plexus_task_library_entry"

namespace plexus {

/// The arguments of one task call: one byte string per argument, valid during the call.
class TaskArguments {
  public:
    explicit TaskArguments(std::span<const std::string_view> values) : values_(values) {}
    std::size_t size() const { return values_.size(); }
    std::string_view bytes(std::size_t index) const {
        if (index >= values_.size()) {
            throw DecodeError("argument " + std::to_string(index) + " requested but the task got " +
                              std::to_string(values_.size()));
        }
        return values_[index];
    }
    template <class T>
    T get(std::size_t index) const {
        return fromBytes<T>(bytes(index));
    }

  private:
    std::span<const std::string_view> values_;
};

using TaskFunction = std::function<std::string(const TaskArguments&)>;

/// Collects the functions of one task library while it registers them.
class TaskRegistrar {
  public:
    virtual ~TaskRegistrar() = default;
    /// Registers a bytes-in, bytes-out function under `name`.
    virtual void addRaw(std::string_view name, TaskFunction function) = 0;

    /// Registers a typed function: each argument is decoded with fromBytes<Param>, the result
    /// encoded with toBytes. The argument count is checked at call time.
    template <class R, class... Params>
    void add(std::string_view name, R (*function)(Params...)) {
        addRaw(name, [function](const TaskArguments& args) -> std::string {
            if (args.size() != sizeof...(Params)) {
                throw DecodeError("expected " + std::to_string(sizeof...(Params)) +
                                  " arguments, got " + std::to_string(args.size()));
            }
            return callTyped(function, args, std::index_sequence_for<Params...>{});
        });
    }

  private:
    template <class R, class... Params, std::size_t... I>
    static std::string callTyped(R (*function)(Params...), const TaskArguments& args,
                                 std::index_sequence<I...>) {
        return toBytes<R>(function(args.get<std::decay_t<Params>>(I)...));
    }
};

}  // namespace plexus

extern "C" {
struct plexus_task_library_descriptor {
    std::uint32_t abi_major;
    std::uint32_t abi_minor;
    std::uint32_t struct_size;
    const char* name;
    void (*register_tasks)(plexus::TaskRegistrar& registry);
};
}

/// Defines a task library's entry symbol and opens the body of its registration function, in
/// which `registry` is the TaskRegistrar. Use once per library.
#define PLEXUS_TASK_LIBRARY(NAME)                                                                 \
    static void plexusRegisterTasks(::plexus::TaskRegistrar& registry);                           \
    extern "C" __attribute__((visibility("default"))) const plexus_task_library_descriptor*       \
    plexus_task_library_entry(void) noexcept {                                                    \
        static const plexus_task_library_descriptor descriptor{                                   \
            PLEXUS_TASK_ABI_MAJOR, PLEXUS_TASK_ABI_MINOR, sizeof(plexus_task_library_descriptor), \
            NAME, &plexusRegisterTasks};                                                          \
        return &descriptor;                                                                       \
    }                                                                                             \
    static void plexusRegisterTasks(::plexus::TaskRegistrar& registry)
