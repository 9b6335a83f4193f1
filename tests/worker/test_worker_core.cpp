// WorkerCore driven directly: messages in, messages out, a fake clock and executors the test
// runs by hand, so ordering and timing are checked exactly.

#include <algorithm>

#include <gtest/gtest.h>

#include "worker/worker_core.h"

namespace plexus::detail {
namespace {

using namespace std::chrono_literals;

class FakeOutbox final : public WorkerOutbox {
  public:
    void send(const Message& message) override { sent.push_back(cloneMessage(message)); }
    void execute(TaskJob job) override { jobs.push_back(std::move(job)); }
    // A job not started yet (still in `jobs`) can be taken back.
    bool withdraw(const Bytes& taskId) override {
        auto it = std::find_if(jobs.begin(), jobs.end(),
                               [&](const TaskJob& job) { return job.taskId == taskId; });
        if (it == jobs.end()) return false;
        withdrawn.push_back(taskId);
        jobs.erase(it);
        return true;
    }
    void cancelRunning(const Bytes& taskId) override { cancelledRunning.push_back(taskId); }
    void exit(int code, std::chrono::milliseconds grace) override {
        exitCode = code;
        exitGrace = grace;
    }

    /// The sent messages of `kind`, in order.
    template <class T>
    std::vector<T> sentOf() const {
        std::vector<T> out;
        for (const auto& message : sent) {
            if (const T* m = std::get_if<T>(&message)) {
                if constexpr (std::is_copy_constructible_v<T>) out.push_back(*m);
            }
        }
        return out;
    }
    std::vector<MessageKind> kinds() const {
        std::vector<MessageKind> out;
        for (const auto& message : sent) out.push_back(kindOf(message));
        return out;
    }

    std::vector<Message> sent;
    std::vector<TaskJob> jobs;  // handed to the executors, not started
    std::vector<TaskJob> started;
    std::vector<Bytes> withdrawn;
    std::vector<Bytes> cancelledRunning;
    std::optional<int> exitCode;
    std::chrono::milliseconds exitGrace{-1};
};

class WorkerCoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(libraries_.load(std::filesystem::path(PLEXUS_TEST_TASK_LIBRARY_DIR) /
                                    "libtasks_maths.so"));
        makeCore(1, 16);
    }

    // A fresh core whose link is up, with nothing sent yet.
    void makeCore(std::uint32_t executors, std::uint32_t jobsPerExecutor) {
        WorkerSettings settings;
        settings.identity = "1|Worker|abc";
        settings.executors = executors;
        settings.jobsPerExecutor = jobsPerExecutor;
        settings.deathTimeout = 10s;
        core_.reset();
        core_ = std::make_unique<WorkerCore>(settings, libraries_, outbox_, now_);
        core_->onLinkUp(now_);
        outbox_.sent.clear();
    }

    static Task task(const std::string& id, const std::string& function,
                     std::vector<std::string> args) {
        Task t;
        t.taskId = id;
        t.source = "7|Client|ff";
        t.funcObjectId = "plexus:fn:" + function;
        for (auto& arg : args)
            t.functionArgs.push_back(Argument{ArgumentType::objectID, std::move(arg)});
        return t;
    }

    static ObjectResponse response(const std::vector<std::string>& ids,
                                   const std::vector<std::vector<std::string>>& chunks) {
        ObjectResponse r;
        r.objectContent.ids = ids;
        for (std::size_t i = 0; i < chunks.size(); ++i) {
            r.objectContent.types.push_back(ObjectType::object);
            r.objectContent.names.push_back("arg");
            std::vector<Buffer> payload;
            for (const auto& c : chunks[i]) payload.push_back(Buffer::copyOf(c));
            r.objectContent.payloads.push_back(std::move(payload));
        }
        return r;
    }

    // Runs the oldest job handed to the executors and reports it back.
    void runNextJob() {
        startNextJob();
        finishStartedJob();
    }
    // An executor takes the oldest job handed to it (it can no longer be withdrawn).
    void startNextJob() {
        ASSERT_FALSE(outbox_.jobs.empty());
        outbox_.started.push_back(std::move(outbox_.jobs.front()));
        outbox_.jobs.erase(outbox_.jobs.begin());
    }
    // The oldest started job finishes and is reported.
    void finishStartedJob() {
        ASSERT_FALSE(outbox_.started.empty());
        TaskJob job = std::move(outbox_.started.front());
        outbox_.started.erase(outbox_.started.begin());
        core_->onTaskFinished(job.taskId, runTaskJob(job));
    }

    // The task ids of `jobs`, in order.
    static std::vector<Bytes> idsOf(const std::vector<TaskJob>& jobs) {
        std::vector<Bytes> out;
        for (const auto& job : jobs) out.push_back(job.taskId);
        return out;
    }

    TaskLibraries libraries_;
    FakeOutbox outbox_;
    WorkerClock::time_point now_{};
    std::unique_ptr<WorkerCore> core_;
};

TEST_F(WorkerCoreTest, HeartbeatsArePingPongAndSilenceIsFatal) {
    // The first heartbeat went out when the link came up; no second one until it is echoed.
    core_->onTick(now_ + 2s);
    EXPECT_TRUE(outbox_.sentOf<WorkerHeartbeat>().empty());
    core_->onMessage(WorkerHeartbeatEcho{}, now_ + 3s);
    core_->onTick(now_ + 4s);
    EXPECT_EQ(outbox_.sentOf<WorkerHeartbeat>().size(), 1u);
    core_->onTick(now_ + 6s);
    EXPECT_EQ(outbox_.sentOf<WorkerHeartbeat>().size(), 1u);
    EXPECT_FALSE(outbox_.exitCode.has_value());
    // 10 s after the last echo (at 3 s) the worker gives up: DisconnectRequest, exit non-zero.
    core_->onTick(now_ + 13s);
    ASSERT_TRUE(outbox_.exitCode.has_value());
    EXPECT_NE(*outbox_.exitCode, 0);
    ASSERT_EQ(outbox_.sentOf<DisconnectRequest>().size(), 1u);
    EXPECT_EQ(outbox_.sentOf<DisconnectRequest>()[0].worker, "1|Worker|abc");
}

TEST_F(WorkerCoreTest, FetchesMissingArgumentsOnceThenSendsObjectBeforeResult) {
    core_->onMessage(task("t1", "concat", {"a", "b", "a"}), now_);
    auto requests = outbox_.sentOf<ObjectRequest>();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].objectIds, (std::vector<Bytes>{"a", "b"}));  // deduplicated, in order
    EXPECT_TRUE(outbox_.jobs.empty());

    // A response whose id list is not exactly a request's is not ours.
    core_->onMessage(response({"b", "a"}, {{"B"}, {"A"}}), now_);
    EXPECT_TRUE(outbox_.jobs.empty());
    core_->onMessage(response({"a", "b"}, {{"A1", "A2"}, {"B"}}), now_);
    ASSERT_EQ(outbox_.jobs.size(), 1u);
    outbox_.sent.clear();
    runNextJob();
    ASSERT_EQ(outbox_.kinds(),
              (std::vector<MessageKind>{MessageKind::objectInstruction, MessageKind::taskResult}));
    const auto& create = std::get<ObjectInstruction>(outbox_.sent[0]);
    const auto& result = std::get<TaskResult>(outbox_.sent[1]);
    EXPECT_EQ(create.instructionType, ObjectInstructionType::create);
    EXPECT_EQ(create.objectUser, "7|Client|ff");
    ASSERT_EQ(create.objectContent.ids.size(), 1u);
    EXPECT_EQ(create.objectContent.ids[0].size(), 24u);
    std::string payload;
    for (const auto& chunk : create.objectContent.payloads.at(0)) payload += chunk.view();
    EXPECT_EQ(payload, "A1A2BA1A2");
    EXPECT_EQ(result.taskId, "t1");
    EXPECT_EQ(result.status, TaskStatus::success);
    EXPECT_TRUE(result.metadata.empty());
    EXPECT_EQ(result.results, create.objectContent.ids);

    // Cached now: a second task needs no request. After a delete it does again.
    outbox_.sent.clear();
    core_->onMessage(task("t2", "concat", {"b"}), now_);
    EXPECT_TRUE(outbox_.sentOf<ObjectRequest>().empty());
    ASSERT_EQ(outbox_.jobs.size(), 1u);
    runNextJob();
    ObjectInstruction del;
    del.instructionType = ObjectInstructionType::del;
    del.objectUser = "1|Worker|abc";
    del.objectContent.ids = {"b"};
    core_->onMessage(std::move(del), now_);
    EXPECT_EQ(core_->cachedObjects(), 1u);
    core_->onMessage(task("t3", "concat", {"b", "a"}), now_);
    requests = outbox_.sentOf<ObjectRequest>();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].objectIds, (std::vector<Bytes>{"b"}));
}

TEST_F(WorkerCoreTest, AnObjectAlreadyRequestedIsNotRequestedAgain) {
    core_->onMessage(task("t1", "concat", {"a"}), now_);
    core_->onMessage(task("t2", "concat", {"a", "b"}), now_);
    auto requests = outbox_.sentOf<ObjectRequest>();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[1].objectIds, (std::vector<Bytes>{"b"}));
    core_->onMessage(response({"b"}, {{"B"}}), now_);
    EXPECT_TRUE(outbox_.jobs.empty());
    core_->onMessage(response({"a"}, {{"A"}}), now_);
    // Both ready: both handed to the one executor, to run back to back in this order.
    EXPECT_EQ(idsOf(outbox_.jobs), (std::vector<Bytes>{"t1", "t2"}));
    runNextJob();
    runNextJob();
    const auto results = outbox_.sentOf<TaskResult>();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].taskId, "t1");
    EXPECT_EQ(results[1].taskId, "t2");
}

TEST_F(WorkerCoreTest, FailuresCarryTheErrorText) {
    core_->onMessage(task("t1", "fail", {}), now_);
    runNextJob();
    core_->onMessage(task("t2", "nope", {}), now_);
    Task python = task("t3", "x", {});
    python.funcObjectId = "0123456789abcdef";
    core_->onMessage(std::move(python), now_);
    EXPECT_TRUE(outbox_.jobs.empty());

    ASSERT_EQ(outbox_.kinds().size(), 6u);
    std::vector<std::string> texts;
    for (std::size_t i = 0; i < 6; i += 2) {
        const auto& create = std::get<ObjectInstruction>(outbox_.sent[i]);
        const auto& result = std::get<TaskResult>(outbox_.sent[i + 1]);
        EXPECT_EQ(result.status, TaskStatus::failed);
        EXPECT_EQ(result.results, create.objectContent.ids);
        texts.emplace_back(create.objectContent.payloads.at(0).at(0).view());
    }
    EXPECT_EQ(texts[0], "boom: ");
    EXPECT_NE(texts[1].find("unknown function 'nope'"), std::string::npos) << texts[1];
    EXPECT_NE(texts[2].find("plexus:fn:"), std::string::npos) << texts[2];
}

TEST_F(WorkerCoreTest, CancelDropsTasksNotStartedButNotRunningOnes) {
    makeCore(1, 2);  // one executor, two jobs handed to it at a time
    // No arguments: straight to the executor, until it holds two jobs.
    core_->onMessage(task("running", "concat", {}), now_);
    core_->onMessage(task("atExecutor", "concat", {}), now_);
    core_->onMessage(task("queued", "concat", {}), now_);
    core_->onMessage(task("waiting", "concat", {"a"}), now_);
    ASSERT_EQ(idsOf(outbox_.jobs), (std::vector<Bytes>{"running", "atExecutor"}));
    startNextJob();
    outbox_.sent.clear();

    core_->onMessage(TaskCancel{"waiting"}, now_);
    core_->onMessage(TaskCancel{"queued"}, now_);
    core_->onMessage(TaskCancel{"atExecutor"}, now_);
    core_->onMessage(TaskCancel{"running"}, now_);
    core_->onMessage(TaskCancel{"unknown"}, now_);
    auto results = outbox_.sentOf<TaskResult>();
    ASSERT_EQ(results.size(), 5u);
    const std::vector<TaskStatus> expected{TaskStatus::canceled, TaskStatus::canceled,
                                           TaskStatus::canceled, TaskStatus::notFound,
                                           TaskStatus::notFound};
    for (std::size_t i = 0; i < results.size(); ++i) {
        EXPECT_EQ(results[i].status, expected[i]) << results[i].taskId;
        EXPECT_TRUE(results[i].results.empty());
    }
    // The job waiting at the executor was taken back; only the running one is handed to the
    // executor to stop (a task process is killed).
    EXPECT_EQ(outbox_.withdrawn, std::vector<Bytes>{"atExecutor"});
    EXPECT_TRUE(outbox_.jobs.empty());
    EXPECT_EQ(outbox_.cancelledRunning, std::vector<Bytes>{"running"});

    // The running task's result is dropped; the cancelled ones never run; late objects are cached.
    outbox_.sent.clear();
    finishStartedJob();
    core_->onMessage(response({"a"}, {{"A"}}), now_);
    EXPECT_TRUE(outbox_.sent.empty());
    EXPECT_TRUE(outbox_.jobs.empty());
    EXPECT_EQ(core_->heldTasks(), 0u);
    EXPECT_EQ(core_->dispatchedTasks(), 0u);
}

TEST_F(WorkerCoreTest, HandsJobsPerExecutorAheadAndRefillsAsTheyFinish) {
    makeCore(2, 2);
    for (const char* id : {"t1", "t2", "t3", "t4", "t5", "t6"})
        core_->onMessage(task(id, "concat", {}), now_);
    EXPECT_EQ(idsOf(outbox_.jobs), (std::vector<Bytes>{"t1", "t2", "t3", "t4"}));
    EXPECT_EQ(core_->dispatchedTasks(), 4u);
    // Busy as far as the scheduler can tell; it is told of two executors, not four slots.
    core_->onMessage(WorkerHeartbeatEcho{}, now_);
    core_->onTick(now_ + 1s);
    const auto heartbeats = outbox_.sentOf<WorkerHeartbeat>();
    ASSERT_EQ(heartbeats.size(), 1u);
    EXPECT_TRUE(heartbeats[0].taskLock);
    EXPECT_EQ(heartbeats[0].queuedTasks, 6u);
    const auto capabilities = outbox_.sentOf<WorkerCapabilities>();
    ASSERT_EQ(capabilities.size(), 1u);
    EXPECT_EQ(capabilities[0].executors, 2u);

    // Each finished job makes room for the next queued task; a withdrawn one does too.
    runNextJob();
    EXPECT_EQ(idsOf(outbox_.jobs), (std::vector<Bytes>{"t2", "t3", "t4", "t5"}));
    core_->onMessage(TaskCancel{"t3"}, now_);
    EXPECT_EQ(idsOf(outbox_.jobs), (std::vector<Bytes>{"t2", "t4", "t5", "t6"}));
    while (!outbox_.jobs.empty()) runNextJob();
    std::vector<Bytes> answered;
    for (const auto& result : outbox_.sentOf<TaskResult>()) answered.push_back(result.taskId);
    EXPECT_EQ(answered, (std::vector<Bytes>{"t1", "t3", "t2", "t4", "t5", "t6"}));
    EXPECT_EQ(core_->heldTasks(), 0u);
}

TEST_F(WorkerCoreTest, LeavingTakesBackJobsNotStarted) {
    for (const char* id : {"t1", "t2", "t3"}) core_->onMessage(task(id, "concat", {}), now_);
    startNextJob();
    core_->leave(0, "test");
    // The jobs waiting at the executor never start; the running one's result is dropped.
    std::sort(outbox_.withdrawn.begin(), outbox_.withdrawn.end());
    EXPECT_EQ(outbox_.withdrawn, (std::vector<Bytes>{"t2", "t3"}));
    EXPECT_TRUE(outbox_.jobs.empty());
    outbox_.sent.clear();
    finishStartedJob();
    EXPECT_TRUE(outbox_.sent.empty());
}

TEST_F(WorkerCoreTest, ShutdownLeavesWithExitZero) {
    core_->onMessage(ClientDisconnect{DisconnectType::shutdown}, now_);
    ASSERT_EQ(outbox_.sentOf<DisconnectRequest>().size(), 1u);
    ASSERT_TRUE(outbox_.exitCode.has_value());
    EXPECT_EQ(*outbox_.exitCode, 0);
    EXPECT_GT(outbox_.exitGrace.count(), 0);
    // Nothing more is sent once leaving: tasks are ignored, results of running ones dropped.
    outbox_.sent.clear();
    core_->onMessage(task("t", "concat", {}), now_);
    core_->onTick(now_ + 1h);
    EXPECT_TRUE(outbox_.sent.empty());
}

TEST_F(WorkerCoreTest, AMissingObjectFailsTheTask) {
    core_->onMessage(task("t1", "concat", {"a", "b"}), now_);
    core_->onMessage(response({"a", "b"}, {{"A"}}),
                     now_);  // lists both, delivers one (as Scaler may)
    const auto results = outbox_.sentOf<TaskResult>();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, TaskStatus::failed);
}

}  // namespace
}  // namespace plexus::detail
