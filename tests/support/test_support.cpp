#include "support/test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace plexus::test {

std::filesystem::path buildPluginDir() {
    return PLEXUS_BUILD_PLUGIN_DIR;
}
std::filesystem::path sourceDir() {
    return PLEXUS_SOURCE_DIR;
}
std::filesystem::path binaryDir() {
    return PLEXUS_BINARY_DIR;
}
std::filesystem::path plexusBinary() {
    return binaryDir() / "plexus";
}

std::unique_ptr<PluginRegistry> makeBuildRegistry() {
    return std::make_unique<PluginRegistry>(std::vector<std::filesystem::path>{buildPluginDir()});
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(100);
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return condition();
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(20));
    }
}

ChildProcess::ChildProcess(const std::filesystem::path& program,
                           const std::vector<std::string>& args,
                           const std::vector<std::string>& extraEnv) {
    char pattern[] = "/tmp/plexus-child-XXXXXX";
    const int fd = ::mkstemp(pattern);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    outputFile_ = pattern;

    std::vector<std::string> argStrings{program.string()};
    argStrings.insert(argStrings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argStrings) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> envStrings;
    for (char** e = environ; *e != nullptr; ++e) envStrings.emplace_back(*e);
    envStrings.insert(envStrings.end(), extraEnv.begin(), extraEnv.end());
    std::vector<char*> envp;
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(fd);
}

ChildProcess::~ChildProcess() {
    if (running()) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status_, 0);
    }
    std::error_code ec;
    std::filesystem::remove(outputFile_, ec);
}

std::string ChildProcess::output() const {
    std::ifstream in(outputFile_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void ChildProcess::signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
}

bool ChildProcess::running() {
    if (pid_ <= 0 || status_ != -1) return false;
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = status;
        return false;
    }
    return r == 0;
}

int ChildProcess::waitExit(std::chrono::milliseconds timeout) {
    if (!waitUntil([this] { return !running(); }, timeout)) return -1;
    return status_;
}

std::optional<ProcessStatus> processStatus(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // "<pid> (<command>) <state> <parent> ...": the command may hold spaces and parentheses.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(close + 1));
    ProcessStatus status;
    status.pid = pid;
    rest >> status.state >> status.parent;
    if (!rest) return std::nullopt;
    return status;
}

std::vector<ProcessStatus> childrenOf(pid_t parent) {
    std::vector<ProcessStatus> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        auto status = processStatus(static_cast<pid_t>(std::stol(name)));
        if (status && status->parent == parent) out.push_back(*status);
    }
    return out;
}

std::vector<pid_t> liveChildrenOf(pid_t parent) {
    std::vector<pid_t> out;
    for (const auto& child : childrenOf(parent)) {
        if (child.state != 'Z') out.push_back(child.pid);
    }
    return out;
}

TempDir::TempDir() {
    char pattern[] = "/tmp/plexus-test-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << content;
    return file;
}

}  // namespace plexus::test
