// A plugin that needs a symbol nothing provides (linked without --no-undefined): the loader opens
// plugins with RTLD_NOW, so it must fail at load time and say which symbol is missing, instead of
// crashing at the first call.

extern "C" int plexus_test_symbol_nobody_defines(void);

extern "C" __attribute__((visibility("default"))) int plexus_test_call_missing(void) {
    return plexus_test_symbol_nobody_defines();
}
