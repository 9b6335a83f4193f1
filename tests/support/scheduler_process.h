#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/test_support.h"

namespace plexus::test {

/// A real `plexus scheduler` process on loopback, started from a config with port 0 unless told
/// otherwise (tcp transport, capnp codec, the build tree's plugins); knows the address it bound.
/// Throws if the scheduler does not come up within 10 s. Killed on destruction if still running.
class SchedulerProcess {
  public:
    /// `extraConfig` is appended to the `scheduler:` section (indent it by two spaces).
    explicit SchedulerProcess(const std::string& extraConfig = "",
                              const std::string& address = "tcp://127.0.0.1:0");

    const std::string& address() const { return address_; }
    ChildProcess& process() { return *process_; }

  private:
    TempDir dir_;
    std::filesystem::path config_;
    std::filesystem::path addressFile_;
    std::string address_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace plexus::test
