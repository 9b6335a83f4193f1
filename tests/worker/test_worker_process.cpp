// `plexus worker` as a real process, against a scheduler played by the test over the real TCP
// transport and Cap'n Proto codec plugins, running the test task libraries.

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "plexus/serialization.h"
#include "support/test_support.h"
#include "worker/fake_scheduler.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

std::filesystem::path taskLibrary(const std::string& name) {
    return std::filesystem::path(PLEXUS_TEST_TASK_LIBRARY_DIR) / ("libtasks_" + name + ".so");
}

// A worker process connected to `scheduler`, with fast heartbeats so tests run quickly.
class WorkerProcess {
  public:
    WorkerProcess(const FakeScheduler& scheduler, const std::string& extraConfig = "",
                  const std::string& library = "maths",
                  const std::vector<std::string>& extraArgs = {}) {
        config_ = dir_.write("worker.yaml",
                             "worker:\n"
                             "  scheduler:\n"
                             "    address: " +
                                 scheduler.address() +
                                 "\n"
                                 "    transport: tcp\n"
                                 "    codec: capnp\n"
                                 "  plugin_dir: " +
                                 buildPluginDir().string() +
                                 "\n"
                                 "  task_libraries: [" +
                                 taskLibrary(library).string() +
                                 "]\n"
                                 "  heartbeat_interval_seconds: 0.1\n"
                                 "  log_level: debug\n" +
                                 extraConfig);
        std::vector<std::string> args{"worker", "--config", config_.string()};
        args.insert(args.end(), extraArgs.begin(), extraArgs.end());
        process_ = std::make_unique<ChildProcess>(plexusBinary(), args);
    }

    ChildProcess& process() { return *process_; }
    const TempDir& dir() const { return dir_; }
    /// Waits for exit; returns the exit code, or -1 if the process did not exit normally in time.
    int exitCode(std::chrono::milliseconds timeout = 10s) {
        const int status = process_->waitExit(timeout);
        if (status == -1 || !WIFEXITED(status)) return -1;
        return WEXITSTATUS(status);
    }

  private:
    TempDir dir_;
    std::filesystem::path config_;
    std::unique_ptr<ChildProcess> process_;
};

Task nativeTask(const std::string& id, const std::string& function,
                const std::vector<std::string>& args) {
    Task task;
    task.taskId = id;
    task.source = "42|Client|0123456789abcdef";
    task.funcObjectId = "plexus:fn:" + function;
    for (const auto& arg : args) task.functionArgs.push_back(Argument{ArgumentType::objectID, arg});
    return task;
}

// A content response listing exactly `ids`, each object's payload split into `chunks` pieces.
ObjectResponse contentFor(const std::vector<Bytes>& ids,
                          const std::map<Bytes, std::string>& objects, std::size_t chunks = 1) {
    ObjectResponse response;
    response.responseType = ObjectResponseType::content;
    for (const auto& id : ids) {
        const std::string& bytes = objects.at(id);
        response.objectContent.ids.push_back(id);
        response.objectContent.types.push_back(ObjectType::object);
        response.objectContent.names.push_back("arg");
        std::vector<Buffer> payload;
        const std::size_t step = (bytes.size() + chunks - 1) / chunks;
        for (std::size_t offset = 0; offset < bytes.size(); offset += step) {
            payload.push_back(Buffer::copyOf(std::string_view(bytes).substr(offset, step)));
        }
        if (payload.empty()) payload.push_back(Buffer());
        response.objectContent.payloads.push_back(std::move(payload));
    }
    return response;
}

std::string payloadOf(const ObjectContent& content, std::size_t index = 0) {
    std::string out;
    for (const auto& chunk : content.payloads.at(index)) out += chunk.view();
    return out;
}

// The result of a task: the ObjectInstruction(create) that must come first, then the TaskResult.
struct Outcome {
    ObjectInstruction create;
    TaskResult result;
};

// Reads the next two messages and checks they are a create and the result naming its object.
std::optional<Outcome> nextOutcome(FakeScheduler& scheduler, const std::string& output = "") {
    auto first = scheduler.next();
    if (!first || kindOf(*first) != MessageKind::objectInstruction) {
        ADD_FAILURE() << "expected ObjectInstruction(create), got "
                      << (first ? messageKindName(kindOf(*first)) : "nothing");
        return std::nullopt;
    }
    auto second = scheduler.next();
    if (!second || kindOf(*second) != MessageKind::taskResult) {
        ADD_FAILURE() << "expected TaskResult, got "
                      << (second ? messageKindName(kindOf(*second)) : "nothing");
        return std::nullopt;
    }
    Outcome outcome{std::move(std::get<ObjectInstruction>(*first)),
                    std::move(std::get<TaskResult>(*second))};
    EXPECT_EQ(outcome.create.instructionType, ObjectInstructionType::create);
    EXPECT_EQ(outcome.create.objectContent.ids.size(), 1u);
    EXPECT_EQ(outcome.result.results, outcome.create.objectContent.ids);
    return outcome;
}

// The tests that run tasks, once on executor threads and once in task processes.
class WorkerProcessEitherIsolation : public ::testing::TestWithParam<std::string> {
  protected:
    static std::string isolation() { return "  isolation: " + GetParam() + "\n"; }
};
INSTANTIATE_TEST_SUITE_P(Isolation, WorkerProcessEitherIsolation,
                         ::testing::Values("thread", "process"),
                         [](const auto& info) { return info.param; });

TEST(WorkerProcess, HeartbeatsArePingPong) {
    FakeScheduler scheduler;
    scheduler.setAutoEcho(false);
    WorkerProcess worker(scheduler);
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    // Unanswered, the worker does not send another (ten heartbeat intervals pass).
    EXPECT_FALSE(scheduler.waitForHeartbeats(2, 1s));
    scheduler.setAutoEcho(true);
    scheduler.send(WorkerHeartbeatEcho{});
    ASSERT_TRUE(scheduler.waitForHeartbeats(4)) << worker.process().output();
    const auto kinds = scheduler.kindsBeforeHeartbeats();
    ASSERT_GE(kinds.size(), 4u);
    for (const auto& kind : kinds) EXPECT_EQ(kind, MessageKind::workerCapabilities);
    EXPECT_TRUE(worker.process().running());
}

TEST_P(WorkerProcessEitherIsolation, RunsATaskFetchingOnlyMissingArguments) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, isolation());
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const std::map<Bytes, std::string> objects{{"obj-a", "hello "}, {"obj-b", "big world"}};

    scheduler.send(nativeTask("task-1", "concat", {"obj-a", "obj-b", "obj-a"}));
    auto request = scheduler.next();
    ASSERT_TRUE(request.has_value()) << worker.process().output();
    ASSERT_EQ(kindOf(*request), MessageKind::objectRequest);
    const auto ids = std::get<ObjectRequest>(*request).objectIds;
    EXPECT_EQ(ids, (std::vector<Bytes>{"obj-a", "obj-b"}));
    scheduler.send(contentFor(ids, objects, 3));  // multi-chunk payloads are joined

    auto outcome = nextOutcome(scheduler);
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(outcome->result.taskId, "task-1");
    EXPECT_EQ(outcome->result.status, TaskStatus::success);
    EXPECT_EQ(outcome->create.objectUser, "42|Client|0123456789abcdef");
    EXPECT_EQ(outcome->create.objectContent.ids[0].size(), 24u);
    EXPECT_EQ(payloadOf(outcome->create.objectContent), "hello big worldhello ");

    // The cached objects serve the next task without another request.
    scheduler.send(nativeTask("task-2", "concat", {"obj-b"}));
    outcome = nextOutcome(scheduler);
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(outcome->result.taskId, "task-2");
    EXPECT_EQ(payloadOf(outcome->create.objectContent), "big world");

    // A typed function, and a task without arguments.
    scheduler.send(nativeTask("task-3", "square", {"obj-x"}));
    request = scheduler.next();
    ASSERT_TRUE(request.has_value());
    ASSERT_EQ(kindOf(*request), MessageKind::objectRequest);
    scheduler.send(
        contentFor(std::get<ObjectRequest>(*request).objectIds, {{"obj-x", toBytes(1.5)}}));
    outcome = nextOutcome(scheduler);
    ASSERT_TRUE(outcome.has_value());
    EXPECT_EQ(fromBytes<double>(payloadOf(outcome->create.objectContent)), 2.25);
}

TEST_P(WorkerProcessEitherIsolation, AThrowingTaskFailsWithItsErrorText) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, isolation());
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    scheduler.send(nativeTask("task-1", "fail", {"why"}));
    auto request = scheduler.next();
    ASSERT_TRUE(request.has_value());
    scheduler.send(contentFor(std::get<ObjectRequest>(*request).objectIds, {{"why", "no reason"}}));
    auto outcome = nextOutcome(scheduler);
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(outcome->result.status, TaskStatus::failed);
    EXPECT_EQ(payloadOf(outcome->create.objectContent), "boom: no reason");
    EXPECT_TRUE(worker.process().running());
}

TEST(WorkerProcess, AnUnknownFunctionOrAPythonTaskFails) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler);
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    scheduler.send(nativeTask("task-1", "no_such_function", {"obj-a"}));
    auto outcome = nextOutcome(scheduler);  // failed at once: no ObjectRequest first
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(outcome->result.status, TaskStatus::failed);
    EXPECT_NE(payloadOf(outcome->create.objectContent).find("no_such_function"), std::string::npos);

    Task python = nativeTask("task-2", "", {});
    python.funcObjectId = std::string(32, '\x07');
    scheduler.send(python);
    outcome = nextOutcome(scheduler);
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(outcome->result.taskId, "task-2");
    EXPECT_EQ(outcome->result.status, TaskStatus::failed);
}

TEST_P(WorkerProcessEitherIsolation, CancelDropsTasksNotStartedAndAnswersNotFoundForRunningOnes) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, isolation() + "  executors: 1\n");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const std::string gate = (worker.dir().path() / "gate").string();
    const std::string started = (worker.dir().path() / "started").string();

    // "blocker" occupies the one executor until the gate file exists.
    scheduler.send(nativeTask("blocker", "mark_and_wait_for_file", {"started-path", "gate-path"}));
    auto request = scheduler.next();
    ASSERT_TRUE(request.has_value());
    scheduler.send(contentFor(std::get<ObjectRequest>(*request).objectIds,
                              {{"started-path", started}, {"gate-path", gate}}));
    ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(started); }, 60s))
        << worker.process().output();
    // "queued" is handed to the busy executor and waits there to start; "waiting" waits for an
    // object that is never delivered.
    scheduler.send(nativeTask("queued", "concat", {"gate-path"}));
    scheduler.send(nativeTask("waiting", "concat", {"never"}));
    request = scheduler.next();
    ASSERT_TRUE(request.has_value());
    ASSERT_EQ(kindOf(*request), MessageKind::objectRequest);
    EXPECT_EQ(std::get<ObjectRequest>(*request).objectIds, std::vector<Bytes>{"never"});

    for (const char* id : {"waiting", "queued", "blocker"}) scheduler.send(TaskCancel{id});
    for (auto expected : {TaskStatus::canceled, TaskStatus::canceled, TaskStatus::notFound}) {
        auto result = scheduler.next();
        ASSERT_TRUE(result.has_value()) << worker.process().output();
        ASSERT_EQ(kindOf(*result), MessageKind::taskResult);
        EXPECT_EQ(std::get<TaskResult>(*result).status, expected);
        EXPECT_TRUE(std::get<TaskResult>(*result).results.empty());
    }

    // Open the gate: the blocker's result is dropped (or, in a task process, the blocker was
    // killed), so the next thing to arrive is the result of a task sent afterwards (one
    // executor: it can only run after the blocker finished).
    { std::ofstream(gate) << "open"; }
    scheduler.send(nativeTask("after", "concat", {"gate-path"}));
    auto outcome = nextOutcome(scheduler);
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(outcome->result.taskId, "after");
    EXPECT_EQ(payloadOf(outcome->create.objectContent), gate);
}

TEST(WorkerProcess, ClusterShutdownEndsTheWorkerWithExitZero) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler);
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    scheduler.send(ClientDisconnect{DisconnectType::shutdown});
    EXPECT_EQ(worker.exitCode(), 0) << worker.process().output();
}

TEST(WorkerProcess, SigtermSendsDisconnectRequestAndExitsZero) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler);
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    worker.process().signal(SIGTERM);
    auto request = scheduler.waitFor(MessageKind::disconnectRequest);
    ASSERT_TRUE(request.has_value()) << worker.process().output();
    const Bytes identity = std::get<DisconnectRequest>(*request).worker;
    EXPECT_NE(identity.find("|Worker|"), std::string::npos) << printable(identity);
    EXPECT_EQ(worker.exitCode(), 0) << worker.process().output();
}

TEST_P(WorkerProcessEitherIsolation, SigtermWhileATaskRunsStillExitsPromptly) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, isolation() + "  executors: 1\n");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    scheduler.send(nativeTask("blocker", "wait_for_file", {"gate-path"}));
    auto request = scheduler.next();
    ASSERT_TRUE(request.has_value());
    scheduler.send(contentFor(std::get<ObjectRequest>(*request).objectIds,
                              {{"gate-path", (worker.dir().path() / "never-opened").string()}}));
    // The task is running once a heartbeat reports it held; then stop the worker.
    ASSERT_TRUE(waitUntil([&] {
        for (const auto& message : scheduler.background()) {
            if (const auto* heartbeat = std::get_if<WorkerHeartbeat>(&message);
                heartbeat && heartbeat->taskLock) {
                return true;
            }
        }
        return false;
    })) << worker.process().output();
    worker.process().signal(SIGTERM);
    EXPECT_TRUE(scheduler.waitFor(MessageKind::disconnectRequest).has_value());
    EXPECT_EQ(worker.exitCode(), 0) << worker.process().output();
}

TEST(WorkerProcess, ExitsNonZeroWhenTheSchedulerStopsEchoing) {
    FakeScheduler scheduler;
    scheduler.setAutoEcho(false);
    WorkerProcess worker(scheduler, "  death_timeout_seconds: 1\n");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const int code = worker.exitCode();
    EXPECT_NE(code, -1) << worker.process().output();
    EXPECT_NE(code, 0) << worker.process().output();
}

TEST(WorkerProcess, SchedulerAddressFromTheCommandLine) {
    FakeScheduler scheduler;
    TempDir dir;
    const auto config =
        dir.write("w.yaml", "worker:\n  plugin_dir: " + buildPluginDir().string() +
                                "\n  task_libraries: [" + taskLibrary("maths").string() + "]\n");
    ChildProcess worker(plexusBinary(), {"worker", "--config", config.string(),
                                         "--scheduler-address", scheduler.address()});
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.output();
    worker.signal(SIGTERM);
    const int status = worker.waitExit(10s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << worker.output();
}

TEST(WorkerProcess, ABadTaskLibraryStopsTheWorkerAtStartup) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, "", "badabi");
    EXPECT_EQ(worker.exitCode(), 1);
    const std::string output = worker.process().output();
    EXPECT_NE(output.find("libtasks_badabi.so"), std::string::npos) << output;
}

TEST(WorkerProcess, NameFromTheCommandLineReplacesTheConfiguredOne) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, "  name: from-file\n", "maths", {"--name", "from-cli"});
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    worker.process().signal(SIGTERM);
    auto request = scheduler.waitFor(MessageKind::disconnectRequest);
    ASSERT_TRUE(request.has_value()) << worker.process().output();
    const Bytes identity = std::get<DisconnectRequest>(*request).worker;
    EXPECT_EQ(identity.rfind("from-cli|", 0), 0u) << printable(identity);
    EXPECT_EQ(worker.exitCode(), 0) << worker.process().output();

    // A name the identity cannot carry stops the worker before it connects.
    WorkerProcess badName(scheduler, "", "maths", {"--name", "a|b"});
    EXPECT_EQ(badName.exitCode(), 1) << badName.process().output();
}

// ---- isolation: process ---------------------------------------------------------------------

// Sends `args` as the objects of a task and returns its outcome (one ObjectRequest first).
std::optional<Outcome> runWithObjects(FakeScheduler& scheduler, const std::string& id,
                                      const std::string& function,
                                      const std::map<Bytes, std::string>& objects) {
    std::vector<std::string> ids;
    for (const auto& [objectId, bytes] : objects) ids.push_back(objectId);
    scheduler.send(nativeTask(id, function, ids));
    auto request = scheduler.next();
    if (!request || kindOf(*request) != MessageKind::objectRequest) {
        ADD_FAILURE() << "expected an ObjectRequest";
        return std::nullopt;
    }
    scheduler.send(contentFor(std::get<ObjectRequest>(*request).objectIds, objects));
    return nextOutcome(scheduler);
}

TEST(WorkerProcessIsolation, ACrashingTaskFailsAloneAndTheWorkerKeepsServing) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, "  isolation: process\n  executors: 2\n", "crashing");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const pid_t workerPid = worker.process().pid();
    ASSERT_TRUE(waitUntil([&] { return liveChildrenOf(workerPid).size() == 2; }))
        << worker.process().output();

    // Runs in a task process: a child of the worker.
    auto ranIn = [&](const std::string& id) -> pid_t {
        scheduler.send(nativeTask(id, "pid", {}));
        auto outcome = nextOutcome(scheduler);
        if (!outcome || outcome->result.status != TaskStatus::success) return -1;
        return static_cast<pid_t>(std::stol(payloadOf(outcome->create.objectContent)));
    };
    const pid_t before = ranIn("before");
    ASSERT_GT(before, 0) << worker.process().output();
    EXPECT_NE(before, workerPid);
    EXPECT_EQ(processStatus(before)->parent, workerPid);

    const std::vector<std::pair<std::string, std::string>> crashes{
        {"segfault", "task 'segfault' killed by signal 11 (SIGSEGV) in its task process"},
        {"abort", "task 'abort' killed by signal 6 (SIGABRT) in its task process"},
        {"exit3", "task 'exit3' exited with code 3 in its task process"},
    };
    for (const auto& [function, message] : crashes) {
        scheduler.send(nativeTask("crash-" + function, function, {}));
        auto outcome = nextOutcome(scheduler);
        ASSERT_TRUE(outcome.has_value()) << worker.process().output();
        EXPECT_EQ(outcome->result.taskId, "crash-" + function);
        EXPECT_EQ(outcome->result.status, TaskStatus::failed);
        EXPECT_EQ(payloadOf(outcome->create.objectContent), message);
    }
    // A throwing task still fails with its own text, and arguments still arrive.
    auto thrown = runWithObjects(scheduler, "throws", "fail", {{"why", "no reason"}});
    ASSERT_TRUE(thrown.has_value());
    EXPECT_EQ(thrown->result.status, TaskStatus::failed);
    EXPECT_EQ(payloadOf(thrown->create.objectContent), "failed on purpose: no reason");

    // The same worker process (and so the same identity and link) keeps serving.
    const pid_t after = ranIn("after");
    ASSERT_GT(after, 0) << worker.process().output();
    EXPECT_EQ(processStatus(after)->parent, workerPid);
    EXPECT_TRUE(worker.process().running());
    const auto heartbeats = scheduler.heartbeats();
    EXPECT_TRUE(scheduler.waitForHeartbeats(heartbeats + 2)) << worker.process().output();
    EXPECT_FALSE(scheduler.next(0ms).has_value());  // no stray message (e.g. a second result)

    // Every crashed process was reaped and replaced: two task processes, no zombie.
    EXPECT_TRUE(waitUntil([&] { return liveChildrenOf(workerPid).size() == 2; }));
    for (const auto& child : childrenOf(workerPid)) {
        EXPECT_NE(child.state, 'Z') << "zombie task process " << child.pid;
    }
}

TEST(WorkerProcessIsolation, AnIdleTaskProcessThatDiesIsReplaced) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, "  isolation: process\n  executors: 1\n", "crashing");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const pid_t workerPid = worker.process().pid();
    ASSERT_TRUE(waitUntil([&] { return liveChildrenOf(workerPid).size() == 1; }));
    const pid_t first = liveChildrenOf(workerPid).front();
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    // Replaced at the next heartbeat tick (0.1 s here), without any task asking for it.
    EXPECT_TRUE(waitUntil(
        [&] {
            const auto children = childrenOf(workerPid);
            return children.size() == 1 && children.front().pid != first &&
                   children.front().state != 'Z';
        },
        30s))
        << worker.process().output();
    auto outcome = runWithObjects(scheduler, "echo", "echo", {{"text", "still serving"}});
    ASSERT_TRUE(outcome.has_value()) << worker.process().output();
    EXPECT_EQ(payloadOf(outcome->create.objectContent), "still serving");
}

TEST(WorkerProcessIsolation, StoppingTheWorkerEndsItsTaskProcesses) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, "  isolation: process\n  executors: 2\n", "crashing");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const pid_t workerPid = worker.process().pid();
    ASSERT_TRUE(waitUntil([&] { return liveChildrenOf(workerPid).size() == 2; }));
    const auto children = liveChildrenOf(workerPid);
    // One of them is busy with a task that would run for a minute.
    const auto started = worker.dir().path() / "started";
    scheduler.send(nativeTask("long", "start_and_wait", {"started", "never"}));
    auto request = scheduler.next();
    ASSERT_TRUE(request.has_value());
    scheduler.send(contentFor(
        std::get<ObjectRequest>(*request).objectIds,
        {{"started", started.string()}, {"never", (worker.dir().path() / "never").string()}}));
    ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(started); }, 30s))
        << worker.process().output();

    worker.process().signal(SIGTERM);
    EXPECT_EQ(worker.exitCode(), 0) << worker.process().output();
    // The worker reaped them before it exited: they are gone, not orphans.
    for (const pid_t child : children) EXPECT_FALSE(processStatus(child).has_value()) << child;
}

TEST(WorkerProcessIsolation, AWorkerKilledOutrightTakesItsTaskProcessesAlong) {
    FakeScheduler scheduler;
    WorkerProcess worker(scheduler, "  isolation: process\n  executors: 2\n", "crashing");
    ASSERT_TRUE(scheduler.waitForHeartbeats(1)) << worker.process().output();
    const pid_t workerPid = worker.process().pid();
    ASSERT_TRUE(waitUntil([&] { return liveChildrenOf(workerPid).size() == 2; }));
    const auto children = liveChildrenOf(workerPid);
    worker.process().signal(SIGKILL);
    // PR_SET_PDEATHSIG: each is killed with it (then reaped by whoever inherits it).
    for (const pid_t child : children) {
        EXPECT_TRUE(waitUntil(
            [&] {
                auto status = processStatus(child);
                return !status || status->state == 'Z';
            },
            30s))
            << "task process " << child << " outlived its worker";
    }
}

}  // namespace
}  // namespace plexus::test
