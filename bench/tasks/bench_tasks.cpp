// The task library the benchmarks run (see bench/plexus_bench.cpp and docs/benchmarks.md).
//
//   bench.noop  any arguments -> empty result: measures the runtime's own per-task cost
//   bench.echo  one argument  -> that argument: payload-carrying tasks (1 KB in, 1 KB out)

#include <string>

#include <plexus/task_library.h>

PLEXUS_TASK_LIBRARY("plexus-bench") {
    registry.addRaw("bench.noop", [](const plexus::TaskArguments&) { return std::string(); });
    registry.addRaw("bench.echo", [](const plexus::TaskArguments& args) {
        return args.size() == 0 ? std::string() : std::string(args.bytes(0));
    });
}
