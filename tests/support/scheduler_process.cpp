#include "support/scheduler_process.h"

#include <fstream>
#include <stdexcept>

namespace plexus::test {

SchedulerProcess::SchedulerProcess(const std::string& extraConfig, const std::string& address) {
    config_ = dir_.write("scheduler.yaml",
                         "scheduler:\n"
                         "  endpoints:\n"
                         "    - address: " +
                             address +
                             "\n"
                             "      transport: tcp\n"
                             "      codec: capnp\n"
                             "  plugin_dir: " +
                             buildPluginDir().string() + "\n" + extraConfig);
    addressFile_ = dir_.path() / "address";
    process_ = std::make_unique<ChildProcess>(
        plexusBinary(), std::vector<std::string>{"scheduler", "--config", config_.string(),
                                                 "--address-file", addressFile_.string()});
    const bool ready =
        waitUntil([this] { return std::filesystem::exists(addressFile_) || !process_->running(); });
    if (!ready || !std::filesystem::exists(addressFile_)) {
        throw std::runtime_error("scheduler did not start:\n" + process_->output());
    }
    // The scheduler writes the file atomically (rename), so it is complete once it exists.
    std::ifstream in(addressFile_);
    std::getline(in, address_);
}

}  // namespace plexus::test
