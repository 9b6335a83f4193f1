// A registration function that throws: the loader reports it instead of crashing.
#include <stdexcept>

#include <plexus/task_library.h>

PLEXUS_TASK_LIBRARY("throwing") {
    throw std::runtime_error("cannot register today");
}
