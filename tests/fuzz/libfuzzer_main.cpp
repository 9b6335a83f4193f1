// The libFuzzer entry point of one fuzz executable; PLEXUS_FUZZ_CHECK names its target (a
// function of fuzz_targets.h). A violated invariant aborts, which libFuzzer reports as a crash
// and saves the input of.

#include <cstdio>
#include <cstdlib>

#include "fuzz_targets.h"

#ifndef PLEXUS_FUZZ_CHECK
#error "PLEXUS_FUZZ_CHECK must name the fuzz target this executable runs"
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (const auto violation = plexus::fuzz::PLEXUS_FUZZ_CHECK({data, size})) {
        std::fprintf(stderr, "plexus fuzz: invariant violated: %s\n", violation->c_str());
        std::abort();
    }
    return 0;
}
