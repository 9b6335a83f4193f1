#include "plexus/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace plexus {

spdlog::logger& logger() {
    // Created on first use; spdlog loggers are thread-safe with the _mt sink.
    static std::shared_ptr<spdlog::logger> instance = [] {
        auto created = std::make_shared<spdlog::logger>(
            "plexus", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
        created->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%P] %v");
        created->set_level(spdlog::level::info);
        return created;
    }();
    return *instance;
}

bool isLogLevelName(std::string_view level) noexcept {
    for (std::string_view name : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
        if (level == name) return true;
    }
    return false;
}

bool setLogLevel(std::string_view level) {
    if (!isLogLevelName(level)) return false;
    logger().set_level(spdlog::level::from_str(std::string(level)));
    return true;
}

}  // namespace plexus
