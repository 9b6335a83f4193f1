// A valid shared library under a plugin's file name that lacks the plexus_plugin_entry symbol:
// the loader must report it as "not a plexus plugin".

extern "C" __attribute__((visibility("default"))) int plexus_test_not_an_entry(void) {
    return 42;
}
