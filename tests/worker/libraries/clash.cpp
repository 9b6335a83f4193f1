// Registers "concat", which maths registers too: loading both must fail naming both libraries.
#include <plexus/task_library.h>

PLEXUS_TASK_LIBRARY("clash") {
    registry.addRaw("concat", [](const plexus::TaskArguments&) { return std::string("clash"); });
}
