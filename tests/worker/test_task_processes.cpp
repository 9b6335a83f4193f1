// Task processes (isolation: process) driven directly: a TaskProcessPool in this process
// starting the real `plexus task-host` with the test task libraries.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "worker/task_libraries.h"
#include "worker/task_process_pool.h"

namespace plexus::detail {
namespace {

using namespace std::chrono_literals;

std::filesystem::path library(const std::string& name) {
    return std::filesystem::path(PLEXUS_TEST_TASK_LIBRARY_DIR) / ("libtasks_" + name + ".so");
}

TaskProcessSettings settings(const std::string& libraryName = "crashing",
                             std::size_t maxFrameBytes = std::size_t{1} << 30) {
    TaskProcessSettings out;
    out.command.program = test::plexusBinary();
    out.command.argv = {test::plexusBinary().string(), "task-host"};
    out.setup.maxFrameBytes = maxFrameBytes;
    out.setup.logLevel = "warn";
    out.setup.libraries = {library(libraryName).string()};
    return out;
}

// True once `pid` is neither running nor a zombie: it ended and was reaped.
bool gone(pid_t pid) {
    return !test::processStatus(pid).has_value();
}

class TaskProcesses : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(libraries_.load(library("crashing")).has_value());
        pool_ = std::make_unique<TaskProcessPool>(settings(), 2);
        auto started = pool_->start();
        ASSERT_TRUE(started.has_value()) << started.error().describe();
    }

    TaskJob job(const std::string& function, const std::vector<std::string>& args = {},
                const std::string& taskId = "task") const {
        TaskJob out;
        out.taskId = taskId;
        out.functionName = function;
        out.function = libraries_.find(function);
        for (const auto& arg : args) out.arguments.push_back(Buffer::copyOf(arg));
        return out;
    }

    TaskOutcome run(const std::string& function, const std::vector<std::string>& args = {}) {
        return pool_->run(job(function, args));
    }

    TaskLibraries libraries_;
    std::unique_ptr<TaskProcessPool> pool_;
};

TEST_F(TaskProcesses, RunTasksInChildProcessesOfTheirOwn) {
    const auto pids = pool_->pids();
    ASSERT_EQ(pids.size(), 2u);
    for (const pid_t pid : pids) {
        ASSERT_TRUE(test::processStatus(pid).has_value());
        EXPECT_EQ(test::processStatus(pid)->parent, ::getpid());
    }
    TaskOutcome outcome = run("pid");
    ASSERT_TRUE(outcome.success) << outcome.bytes;
    const pid_t ranIn = static_cast<pid_t>(std::stol(outcome.bytes));
    EXPECT_NE(ranIn, ::getpid());
    EXPECT_NE(std::find(pids.begin(), pids.end(), ranIn), pids.end());

    outcome = run("echo", {"hello"});
    EXPECT_TRUE(outcome.success);
    EXPECT_EQ(outcome.bytes, "hello");
    // A throwing function fails its task with its text, as on a thread; the process stays.
    outcome = run("fail", {"why"});
    EXPECT_FALSE(outcome.success);
    EXPECT_EQ(outcome.bytes, "failed on purpose: why");
    EXPECT_EQ(pool_->pids(), pids);
}

TEST_F(TaskProcesses, ACrashFailsItsTaskNamingTheSignalAndTheProcessIsReplaced) {
    const std::vector<std::pair<std::string, std::string>> crashes{
        {"segfault", "task 'segfault' killed by signal 11 (SIGSEGV) in its task process"},
        {"abort", "task 'abort' killed by signal 6 (SIGABRT) in its task process"},
        {"exit3", "task 'exit3' exited with code 3 in its task process"},
        {"kill_self", "task 'kill_self' killed by signal 9 (SIGKILL) in its task process"},
    };
    for (const auto& [function, message] : crashes) {
        const auto before = pool_->pids();
        TaskOutcome outcome = run(function);
        EXPECT_FALSE(outcome.success) << function;
        EXPECT_EQ(outcome.bytes, message);
        // The crashed process was reaped and replaced by a new one.
        const auto after = pool_->pids();
        ASSERT_EQ(after.size(), 2u);
        std::vector<pid_t> replaced;
        for (const pid_t pid : before) {
            if (std::find(after.begin(), after.end(), pid) == after.end()) replaced.push_back(pid);
        }
        ASSERT_EQ(replaced.size(), 1u) << function;
        EXPECT_TRUE(gone(replaced[0])) << function << ": not reaped";
        // Tasks after it run normally.
        outcome = run("echo", {"after " + function});
        EXPECT_TRUE(outcome.success) << outcome.bytes;
        EXPECT_EQ(outcome.bytes, "after " + function);
    }
    for (const auto& child : test::childrenOf(::getpid())) {
        EXPECT_NE(child.state, 'Z') << "zombie " << child.pid;
    }
}

TEST_F(TaskProcesses, AProcessThatBreaksTheProtocolIsKilledAndReplaced) {
    const auto before = pool_->pids();
    // The task writes a frame of an unknown type to the channel, then would sleep for a minute.
    TaskOutcome outcome = run("scribble");
    EXPECT_FALSE(outcome.success);
    EXPECT_EQ(outcome.bytes,
              "task 'scribble': its task process broke the protocol (unknown frame type 12345) "
              "and was killed");
    const auto after = pool_->pids();
    ASSERT_EQ(after.size(), 2u);
    EXPECT_NE(after, before);
    for (const pid_t pid : before) {
        if (std::find(after.begin(), after.end(), pid) == after.end()) {
            EXPECT_TRUE(gone(pid)) << pid;
        }
    }
    EXPECT_EQ(run("echo", {"fine"}).bytes, "fine");
}

TEST_F(TaskProcesses, LargeArgumentsAndResultsCrossWhole) {
    // Three arguments, 40 MiB in all, checked by size and byte sum in the task process.
    std::vector<std::string> args{std::string(24 << 20, 'x'), std::string(16 << 20, 'y'), "z"};
    std::uint64_t sum = 0;
    std::uint64_t total = 0;
    for (const auto& arg : args) {
        for (unsigned char c : arg) sum += c;
        total += arg.size();
    }
    TaskOutcome outcome = run("measure", args);
    ASSERT_TRUE(outcome.success) << outcome.bytes;
    EXPECT_EQ(outcome.bytes, std::to_string(total) + ":" + std::to_string(sum));

    // A 48 MiB result.
    const std::size_t size = 48 << 20;
    outcome = run("bytes_of_size", {std::to_string(size)});
    ASSERT_TRUE(outcome.success);
    ASSERT_EQ(outcome.bytes.size(), size);
    for (std::size_t i = 0; i < size; i += 4099) {
        ASSERT_EQ(outcome.bytes[i], static_cast<char>('a' + i % 26)) << "byte " << i;
    }
    EXPECT_EQ(outcome.bytes.back(), static_cast<char>('a' + (size - 1) % 26));
}

TEST(TaskProcessesBounded, ArgumentsOrResultsOverMaxFrameBytesFailTheirTaskOnly) {
    TaskLibraries libraries;
    ASSERT_TRUE(libraries.load(library("crashing")).has_value());
    TaskProcessPool pool(settings("crashing", 4096), 1);
    ASSERT_TRUE(pool.start().has_value());
    const auto pids = pool.pids();
    auto make = [&](const std::string& function, const std::string& arg) {
        TaskJob job;
        job.taskId = "t";
        job.functionName = function;
        job.function = libraries.find(function);
        job.arguments.push_back(Buffer::copyOf(arg));
        return job;
    };
    TaskOutcome outcome = pool.run(make("echo", std::string(5000, 'a')));
    EXPECT_FALSE(outcome.success);
    EXPECT_NE(outcome.bytes.find("exceed max_frame_bytes (4096)"), std::string::npos)
        << outcome.bytes;
    outcome = pool.run(make("bytes_of_size", "5000"));
    EXPECT_FALSE(outcome.success);
    EXPECT_EQ(outcome.bytes, "the result of 5000 bytes exceeds max_frame_bytes (4096)");
    // Neither cost the process.
    outcome = pool.run(make("echo", "fine"));
    EXPECT_TRUE(outcome.success);
    EXPECT_EQ(outcome.bytes, "fine");
    EXPECT_EQ(pool.pids(), pids);
}

// Runs `job` on a thread of its own: pool_->run() blocks. Joined at destruction.
class Runner {
  public:
    Runner(TaskProcessPool& pool, TaskJob job)
        : thread_([this, &pool, job = std::move(job)] { result_.set_value(pool.run(job)); }) {
        finished_ = result_.get_future();
    }
    ~Runner() { thread_.join(); }
    std::optional<TaskOutcome> wait(std::chrono::milliseconds timeout) {
        if (finished_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
        return finished_.get();
    }

  private:
    std::promise<TaskOutcome> result_;
    std::future<TaskOutcome> finished_;
    std::thread thread_;  // last: started once the promise and future exist
};

TEST_F(TaskProcesses, CancelKillsTheProcessRunningTheTask) {
    test::TempDir dir;
    const auto started = dir.path() / "started";
    // The task holds its process until a file that never appears does (60 s).
    Runner runner(
        *pool_, job("start_and_wait", {started.string(), (dir.path() / "never").string()}, "long"));
    ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(started); }, 30s));
    const auto pids = pool_->pids();
    pool_->cancel("long");
    const auto outcome = runner.wait(30s);
    ASSERT_TRUE(outcome.has_value()) << "cancel did not end the task";
    EXPECT_FALSE(outcome->success);
    EXPECT_EQ(outcome->bytes, "task 'start_and_wait' was cancelled: its task process was killed");
    // Its process was replaced, and the executor's slot is free again.
    EXPECT_NE(pool_->pids(), pids);
    TaskOutcome after = run("echo", {"next"});
    EXPECT_TRUE(after.success) << after.bytes;
    pool_->cancel("no-such-task");  // harmless
    EXPECT_EQ(run("echo", {"next"}).bytes, "next");
}

TEST_F(TaskProcesses, AnIdleProcessThatDiesIsReplaced) {
    const auto before = pool_->pids();
    ASSERT_EQ(::kill(before[0], SIGKILL), 0);
    EXPECT_TRUE(test::waitUntil(
        [&] {
            pool_->replaceExited();
            const auto now = pool_->pids();
            return now.size() == 2 && std::find(now.begin(), now.end(), before[0]) == now.end();
        },
        30s));
    EXPECT_TRUE(gone(before[0]));
    for (int i = 0; i < 4; ++i) {
        TaskOutcome outcome = run("echo", {"still here"});
        EXPECT_TRUE(outcome.success) << outcome.bytes;
    }
}

TEST_F(TaskProcesses, CloseStopsRunningAndIdleProcessesAndTheDestructorReapsThem) {
    test::TempDir dir;
    const auto started = dir.path() / "started";
    const auto pids = pool_->pids();
    {
        Runner runner(*pool_,
                      job("start_and_wait", {started.string(), (dir.path() / "never").string()}));
        ASSERT_TRUE(test::waitUntil([&] { return std::filesystem::exists(started); }, 30s));
        pool_->close();  // kills the busy process, lets the idle one exit
        const auto outcome = runner.wait(30s);
        ASSERT_TRUE(outcome.has_value()) << "close did not end the running task";
        EXPECT_FALSE(outcome->success);
    }
    EXPECT_FALSE(run("echo", {"late"}).success);  // closed: fails at once
    pool_.reset();
    for (const pid_t pid : pids) EXPECT_TRUE(gone(pid)) << pid;
    EXPECT_TRUE(test::childrenOf(::getpid()).empty());
}

TEST(TaskProcessesStart, FailsWithTheReasonOfTheProcess) {
    TaskProcessPool badLibrary(settings("badabi"), 1);
    auto started = badLibrary.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().message.find("could not start"), std::string::npos)
        << started.error().message;
    EXPECT_NE(started.error().message.find("libtasks_badabi.so"), std::string::npos)
        << started.error().message;

    TaskProcessSettings missing = settings();
    missing.command.program = "/nonexistent/plexus";
    TaskProcessPool noProgram(missing, 1);
    started = noProgram.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().message.find("/nonexistent/plexus"), std::string::npos)
        << started.error().message;
}

TEST_F(TaskProcesses, ManyTasksFromSeveralThreads) {
    // Four threads share two processes (run() waits for an idle one).
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 100; ++i) {
                const std::string text = std::to_string(t) + "/" + std::to_string(i);
                TaskOutcome outcome = pool_->run(job("echo", {text}, text));
                if (outcome.success && outcome.bytes == text) ++good;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(good.load(), 400);
}

}  // namespace
}  // namespace plexus::detail
