// A descriptor that claims task ABI major + 1.
#include <plexus/task_library.h>

namespace {
void registerNothing(plexus::TaskRegistrar&) {}
}  // namespace

extern "C" __attribute__((visibility("default"))) const plexus_task_library_descriptor*
plexus_task_library_entry(void) noexcept {
    static const plexus_task_library_descriptor descriptor{PLEXUS_TASK_ABI_MAJOR + 1, 0,
                                                           sizeof(plexus_task_library_descriptor),
                                                           "badabi", &registerNothing};
    return &descriptor;
}
