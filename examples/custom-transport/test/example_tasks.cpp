// A task library for the job-over-uds test.
#include <cctype>
#include <cstdint>
#include <string>

#include <plexus/task_library.h>

namespace {

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::uint64_t square(std::uint64_t x) {
    return x * x;
}

}  // namespace

PLEXUS_TASK_LIBRARY("uds-example") {
    registry.add("text.upper", &upper);
    registry.add("math.square", &square);
}
