// Registers the same name twice within one library.
#include <plexus/task_library.h>

PLEXUS_TASK_LIBRARY("twice") {
    registry.addRaw("same", [](const plexus::TaskArguments&) { return std::string("1"); });
    registry.addRaw("same", [](const plexus::TaskArguments&) { return std::string("2"); });
}
