// A plugin built "for" the next major plugin ABI: the loader must refuse it with AbiMismatch
// before reading anything past the version fields.

#include "plexus/plugin_abi.h"

namespace {
// Never called; the descriptor only needs a non-null factory so that the ABI check is the one
// that fails.
const int kNotAFactory = 0;
}  // namespace

extern "C" __attribute__((visibility("default"))) const plexus_plugin_descriptor*
plexus_plugin_entry(void) noexcept {
    static const plexus_plugin_descriptor descriptor{PLEXUS_PLUGIN_ABI_MAJOR + 1,
                                                     0,
                                                     sizeof(plexus_plugin_descriptor),
                                                     PLEXUS_PLUGIN_TRANSPORT,
                                                     "badabi",
                                                     "0.0.1-test",
                                                     &kNotAFactory};
    return &descriptor;
}
