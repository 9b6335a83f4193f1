// A second good library; its function name does not clash with maths.
#include <plexus/task_library.h>

namespace {
std::string reverse(const plexus::TaskArguments& args) {
    std::string s(args.bytes(0));
    return std::string(s.rbegin(), s.rend());
}
}  // namespace

PLEXUS_TASK_LIBRARY("other") {
    registry.addRaw("reverse", &reverse);
}
