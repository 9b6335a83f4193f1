// A shared library without plexus_task_library_entry.
extern "C" __attribute__((visibility("default"))) int plexus_not_a_task_library() {
    return 1;
}
