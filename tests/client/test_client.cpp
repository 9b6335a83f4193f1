// plexus::Client against a scheduler played by the test (FakeScheduler): what goes on the wire,
// and how the client reacts to what comes back.

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "client/fake_scheduler.h"
#include "client/ids.h"
#include "plexus/client.h"
#include "support/test_support.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

std::string payloadText(const std::vector<Buffer>& chunks) {
    std::string out;
    for (const auto& chunk : chunks) out += chunk.view();
    return out;
}

std::vector<Buffer> chunksOf(std::string_view text) {
    std::vector<Buffer> chunks;
    chunks.push_back(Buffer::copyOf(text));
    return chunks;
}

ObjectResponse responseFor(const Bytes& id, std::string_view bytes) {
    ObjectResponse response{ObjectResponseType::content, {}};
    response.objectContent.ids.push_back(id);
    response.objectContent.types.push_back(ObjectType::object);
    response.objectContent.names.push_back("<res>");
    response.objectContent.payloads.push_back(chunksOf(bytes));
    return response;
}

class ClientTest : public ::testing::Test {
  protected:
    ClientOptions options() const {
        ClientOptions o;
        o.address = scheduler.address();
        o.pluginDir = buildPluginDir();
        o.heartbeatInterval = 50ms;
        o.timeout = 10s;
        return o;
    }

    std::unique_ptr<Client> connect(ClientOptions o) {
        auto client = Client::connect(std::move(o));
        if (!client) throw std::runtime_error(client.error().describe());
        // After its first heartbeat a client creates its session marker (client_core.h); the
        // tests look at what comes after it.
        auto marker = expect<ObjectInstruction>(MessageKind::objectInstruction);
        if (marker.objectContent.names != std::vector<Bytes>{"<session>"})
            throw std::runtime_error("the client's first object is not its session marker");
        sessionMarker = marker.objectContent.ids.front();
        return std::move(*client);
    }
    std::unique_ptr<Client> connect() { return connect(options()); }

    template <class T>
    T expect(MessageKind kind, std::chrono::milliseconds timeout = 10s) {
        auto message = scheduler.waitFor(kind, timeout);
        if (!message)
            throw std::runtime_error(std::string("no ") + std::string(messageKindName(kind)));
        return std::get<T>(std::move(*message));
    }

    /// Ids deleted by the client until all of `ids` were seen (or the deadline passed).
    std::set<Bytes> deletedUntil(const std::set<Bytes>& ids,
                                 std::chrono::milliseconds timeout = 10s) {
        std::set<Bytes> seen;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!std::includes(seen.begin(), seen.end(), ids.begin(), ids.end())) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= 0ms) break;
            auto message = scheduler.waitFor(MessageKind::objectInstruction, left);
            if (!message) break;
            auto& instruction = std::get<ObjectInstruction>(*message);
            if (instruction.instructionType != ObjectInstructionType::del) continue;
            seen.insert(instruction.objectContent.ids.begin(), instruction.objectContent.ids.end());
        }
        return seen;
    }

    /// Submits and returns the future with the Task and create the scheduler received.
    struct Submitted {
        Future future;
        ObjectInstruction create;
        Task task;
    };
    template <class... A>
    Submitted submit(Client& client, std::string_view function, A&&... args) {
        Submitted s;
        s.future = client.submit(function, std::forward<A>(args)...);
        if constexpr (sizeof...(A) > 0)
            s.create = expect<ObjectInstruction>(MessageKind::objectInstruction);
        s.task = expect<Task>(MessageKind::task);
        return s;
    }

    /// Plays a finished task: TaskResult, then the ObjectResponse for the client's request.
    void finish(const Task& task, TaskStatus status, std::string_view resultBytes,
                const Bytes& resultId = "result-id") {
        scheduler.send(TaskResult{task.taskId, status, {}, {resultId}});
        auto request = expect<ObjectRequest>(MessageKind::objectRequest);
        ASSERT_EQ(request.objectIds, std::vector<Bytes>{resultId});
        scheduler.send(responseFor(resultId, resultBytes));
    }

    /// After a dropped link: the client asks for its marker, then creates a new one and asks
    /// for that. Returns the new marker's id.
    Bytes expectProbe() {
        auto askOld = expect<ObjectRequest>(MessageKind::objectRequest);
        EXPECT_EQ(askOld.objectIds, std::vector<Bytes>{sessionMarker});
        auto create = expect<ObjectInstruction>(MessageKind::objectInstruction);
        while (create.instructionType != ObjectInstructionType::create)  // earlier deletes
            create = expect<ObjectInstruction>(MessageKind::objectInstruction);
        EXPECT_EQ(create.objectContent.names, std::vector<Bytes>{"<session>"});
        auto askNew = expect<ObjectRequest>(MessageKind::objectRequest);
        EXPECT_EQ(askNew.objectIds, create.objectContent.ids);
        return create.objectContent.ids.at(0);
    }

    FakeScheduler scheduler;
    Bytes sessionMarker;
};

TEST_F(ClientTest, HeartbeatComesFirstAndTheNextOnlyAfterTheEcho) {
    scheduler.setAutoEcho(false);
    auto client = connect();
    client->put("early object");  // queued by the user at once; must not overtake the heartbeat
    expect<ClientHeartbeat>(MessageKind::clientHeartbeat);
    ASSERT_TRUE(scheduler.waitFor(MessageKind::objectInstruction).has_value());
    EXPECT_EQ(scheduler.kinds().front(), MessageKind::clientHeartbeat);
    // Ping-pong: 50 ms interval, yet no second heartbeat while the first is not echoed.
    EXPECT_FALSE(scheduler.waitFor(MessageKind::clientHeartbeat, 400ms).has_value());
    scheduler.send(ClientHeartbeatEcho{});
    EXPECT_TRUE(scheduler.waitFor(MessageKind::clientHeartbeat, 5s).has_value());
    scheduler.send(ClientHeartbeatEcho{});
    EXPECT_TRUE(scheduler.waitFor(MessageKind::clientHeartbeat, 5s).has_value());
    scheduler.setAutoEcho(true);  // so disconnecting is not held up by an unanswered heartbeat
    scheduler.send(ClientHeartbeatEcho{});
}

// The scheduler holds a client that announced eager fetching once too many of its results stay
// unfetched (docs/reliability.md, Backpressure): every heartbeat is followed by the announcement,
// so a scheduler that restarted or forgot the client learns it again at once.
TEST_F(ClientTest, EveryHeartbeatIsFollowedByTheEagerFetchingAnnouncement) {
    scheduler.setAutoEcho(false);  // one heartbeat at a time: each waits for the test's echo
    auto client = connect();
    for (int heartbeat = 0; heartbeat < 3; ++heartbeat) {
        if (heartbeat > 0) scheduler.send(ClientHeartbeatEcho{});
        const auto capabilities = expect<ClientCapabilities>(MessageKind::clientCapabilities);
        EXPECT_EQ(capabilities.features, ClientCapabilities::kFetchesResultsEagerly);
        EXPECT_EQ(capabilities.protocolVersion, kPlexusProtocolVersion);
    }
    const auto kinds = scheduler.kinds();
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(), MessageKind::clientHeartbeat), 3);
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i] == MessageKind::clientHeartbeat) {
            ASSERT_LT(i + 1, kinds.size()) << "nothing after heartbeat " << i;
            EXPECT_EQ(kinds[i + 1], MessageKind::clientCapabilities) << "after message " << i;
        }
    }
    scheduler.setAutoEcho(true);  // so disconnecting is not held up by an unanswered heartbeat
    scheduler.send(ClientHeartbeatEcho{});
}

TEST_F(ClientTest, SubmitSendsArgumentObjectsBeforeTheTask) {
    auto client = connect();
    const std::string text = "hello";
    auto s = submit(*client, "add", 2, 3.5, text, "literal");

    EXPECT_EQ(s.create.instructionType, ObjectInstructionType::create);
    EXPECT_EQ(s.create.objectUser, client->identity());
    const auto& content = s.create.objectContent;
    ASSERT_EQ(content.ids.size(), 4u);
    ASSERT_EQ(content.types.size(), 4u);
    ASSERT_EQ(content.names.size(), 4u);
    ASSERT_EQ(content.payloads.size(), 4u);
    const Bytes prefix = detail::objectIdPrefix(client->identity());
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(content.ids[i].size(), 24u);
        EXPECT_EQ(content.ids[i].substr(0, 8), prefix);
        EXPECT_EQ(content.types[i], ObjectType::object);
    }
    EXPECT_EQ(payloadText(content.payloads[0]), toBytes(2));
    EXPECT_EQ(payloadText(content.payloads[1]), toBytes(3.5));
    EXPECT_EQ(payloadText(content.payloads[2]), "hello");
    EXPECT_EQ(payloadText(content.payloads[3]), "literal");

    EXPECT_EQ(s.task.taskId.size(), 16u);
    EXPECT_EQ(s.task.taskId, s.future.taskId());
    EXPECT_EQ(s.task.source, client->identity());
    EXPECT_EQ(s.task.funcObjectId, "plexus:fn:add");
    EXPECT_EQ(s.task.metadata,
              std::string(5, '\0'));  // TaskFlags "!?i": profiling false, priority 0
    ASSERT_EQ(s.task.functionArgs.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(s.task.functionArgs[i].type, ArgumentType::objectID);
        EXPECT_EQ(s.task.functionArgs[i].data, content.ids[i]);
    }
    // On the wire: heartbeat, create, task.
    const auto kinds = scheduler.kinds();
    const auto create = std::find(kinds.begin(), kinds.end(), MessageKind::objectInstruction);
    const auto task = std::find(kinds.begin(), kinds.end(), MessageKind::task);
    EXPECT_LT(create, task);
}

TEST_F(ClientTest, ObjectRefArgumentsAreReferencedNotSentAgain) {
    auto client = connect();
    ObjectRef ref = client->put(std::string("big shared input"));
    auto put = expect<ObjectInstruction>(MessageKind::objectInstruction);
    ASSERT_EQ(put.objectContent.ids, std::vector<Bytes>{ref.id()});
    EXPECT_EQ(payloadText(put.objectContent.payloads[0]), "big shared input");
    auto s = submit(*client, "f", ref, 7);
    ASSERT_EQ(s.create.objectContent.ids.size(), 1u);  // only the 7
    ASSERT_EQ(s.task.functionArgs.size(), 2u);
    EXPECT_EQ(s.task.functionArgs[0].data, ref.id());
    EXPECT_EQ(s.task.functionArgs[1].data, s.create.objectContent.ids[0]);
}

TEST_F(ClientTest, SuccessFetchesTheResultAndDeletesWhatTheTaskHeld) {
    auto client = connect();
    auto s = submit(*client, "square", 12);
    finish(s.task, TaskStatus::success, toBytes(144), "result-1");
    EXPECT_EQ(s.future.get<int>(), 144);
    EXPECT_TRUE(s.future.done());
    const std::set<Bytes> expected{"result-1", s.create.objectContent.ids[0]};
    const auto deleted = deletedUntil(expected);
    EXPECT_TRUE(std::includes(deleted.begin(), deleted.end(), expected.begin(), expected.end()));
}

// Results arriving together are fetched with one request (one answer for the scheduler to
// encode instead of one per task), and each future still gets its own bytes.
TEST_F(ClientTest, ResultsArrivingTogetherAreFetchedTogether) {
    auto client = connect();
    constexpr int kTasks = 200;
    std::vector<Future> futures;
    std::vector<Task> tasks;
    for (int i = 0; i < kTasks; ++i) futures.push_back(client->submit("f"));
    for (int i = 0; i < kTasks; ++i) tasks.push_back(expect<Task>(MessageKind::task));
    for (int i = 0; i < kTasks; ++i) {  // one burst
        scheduler.send(
            TaskResult{tasks[i].taskId, TaskStatus::success, {}, {"r" + std::to_string(i)}});
    }
    std::vector<Bytes> requested;
    std::size_t requests = 0;
    while (requested.size() < kTasks) {
        auto request = expect<ObjectRequest>(MessageKind::objectRequest);
        ++requests;
        for (auto& id : request.objectIds) requested.push_back(id);
        ObjectResponse response{ObjectResponseType::content, {}};
        for (auto& id : request.objectIds) {
            response.objectContent.ids.push_back(id);
            response.objectContent.types.push_back(ObjectType::object);
            response.objectContent.names.push_back("<res>");
            response.objectContent.payloads.push_back(chunksOf("bytes of " + id));
        }
        scheduler.send(Message(std::move(response)));
    }
    EXPECT_LT(requests, static_cast<std::size_t>(kTasks) / 4)
        << "fetches were not batched: " << requests;
    for (int i = 0; i < kTasks; ++i) EXPECT_EQ(futures[i].get(), "bytes of r" + std::to_string(i));
}

TEST_F(ClientTest, FailedTaskThrowsTaskFailedWithTheRemoteText) {
    auto client = connect();
    auto s = submit(*client, "explode");
    finish(s.task, TaskStatus::failed, "std::runtime_error: boom", "result-2");
    try {
        s.future.get();
        FAIL() << "no exception";
    } catch (const TaskFailed& error) {
        EXPECT_EQ(error.remoteError(), "std::runtime_error: boom");
    }
    EXPECT_EQ(deletedUntil({"result-2"}).count("result-2"), 1u);
}

TEST_F(ClientTest, CanceledBySchedulerThrowsTaskCanceled) {
    auto client = connect();
    auto s = submit(*client, "f", 1);
    scheduler.send(TaskResult{s.task.taskId, TaskStatus::canceled, {}, {}});
    EXPECT_THROW(s.future.get(), TaskCanceled);
    EXPECT_EQ(deletedUntil({s.create.objectContent.ids[0]}).size(), 1u);
}

TEST_F(ClientTest, LostStatusesThrowTaskLostWithTheStatus) {
    auto client = connect();
    for (TaskStatus status : {TaskStatus::notFound, TaskStatus::workerDied, TaskStatus::noWorker}) {
        auto s = submit(*client, "f");
        scheduler.send(TaskResult{s.task.taskId, status, {}, {}});
        try {
            s.future.get();
            FAIL() << "no exception";
        } catch (const TaskLost& error) {
            EXPECT_EQ(error.status(), status);
        }
    }
}

TEST_F(ClientTest, WorkerDiedWithAReasonObjectThrowsTaskLostWithTheReason) {
    auto client = connect();
    auto s = submit(*client, "f");
    finish(s.task, TaskStatus::workerDied, "worker w1 died while running it", "reason-1");
    try {
        s.future.get();
        FAIL() << "no exception";
    } catch (const TaskLost& error) {
        EXPECT_EQ(error.status(), TaskStatus::workerDied);
        EXPECT_STREQ(error.what(), "worker w1 died while running it");
    }
    EXPECT_EQ(deletedUntil({"reason-1"}).count("reason-1"), 1u);
}

TEST_F(ClientTest, CancelCompletesAtOnceAndSendsTaskCancel) {
    auto client = connect();
    auto s = submit(*client, "slow", 5);
    Future copy = s.future;  // shared state
    EXPECT_TRUE(s.future.cancel());
    EXPECT_TRUE(copy.done());
    EXPECT_THROW(copy.get(), TaskCanceled);
    EXPECT_FALSE(s.future.cancel());  // already has an outcome
    auto cancel = expect<TaskCancel>(MessageKind::taskCancel);
    EXPECT_EQ(cancel.taskId, s.task.taskId);
    EXPECT_FALSE(cancel.force);
    // The task was running: the scheduler answers notFound and the worker's result later never
    // reaches the client. The argument objects are deleted once the scheduler has answered.
    scheduler.send(TaskResult{s.task.taskId, TaskStatus::notFound, {}, {}});
    EXPECT_EQ(deletedUntil({s.create.objectContent.ids[0]}).size(), 1u);
    EXPECT_THROW(s.future.get(), TaskCanceled);
}

TEST_F(ClientTest, AResultArrivingAfterCancelIsDeletedWithoutFetching) {
    auto client = connect();
    auto s = submit(*client, "f");
    ASSERT_TRUE(s.future.cancel());
    expect<TaskCancel>(MessageKind::taskCancel);
    scheduler.send(TaskResult{s.task.taskId, TaskStatus::success, {}, {"late-result"}});
    EXPECT_EQ(deletedUntil({"late-result"}).count("late-result"), 1u);
    EXPECT_EQ(scheduler.count(MessageKind::objectRequest), 0u);
    EXPECT_THROW(s.future.get(), TaskCanceled);
}

TEST_F(ClientTest, CancelAfterTheOutcomeDoesNothing) {
    auto client = connect();
    auto s = submit(*client, "f");
    finish(s.task, TaskStatus::success, "done");
    EXPECT_EQ(s.future.get(), "done");
    EXPECT_FALSE(s.future.cancel());
    EXPECT_FALSE(scheduler.waitFor(MessageKind::taskCancel, 200ms).has_value());
}

TEST_F(ClientTest, NoEchoWithinTheTimeoutFailsPendingFutures) {
    scheduler.setAutoEcho(false);
    auto o = options();
    o.timeout = 300ms;
    auto client = connect(o);
    auto s = submit(*client, "f", 1);
    ASSERT_TRUE(s.future.waitFor(10s));
    EXPECT_THROW(s.future.get(), ClientDisconnected);
    EXPECT_THROW(client->submit("f"), ClientDisconnected);
    EXPECT_THROW(client->put("x"), ClientDisconnected);
    client->disconnect();  // still allowed, and quick
}

TEST_F(ClientTest, DisconnectDeletesEverythingAndSaysGoodbyeLast) {
    auto client = connect();
    ObjectRef ref = client->put("kept");
    auto s = submit(*client, "f", ref, 3);
    auto pending = client->submit("g");
    expect<Task>(MessageKind::task);
    client->disconnect();
    EXPECT_THROW(s.future.get(), ClientDisconnected);
    EXPECT_THROW(pending.get(), ClientDisconnected);
    EXPECT_THROW(client->put("more"), ClientDisconnected);

    const std::set<Bytes> expected{ref.id(), s.create.objectContent.ids[0]};
    const auto deleted = deletedUntil(expected, 2s);
    EXPECT_TRUE(std::includes(deleted.begin(), deleted.end(), expected.begin(), expected.end()));
    auto goodbye = expect<ClientDisconnect>(MessageKind::clientDisconnect, 5s);
    EXPECT_EQ(goodbye.disconnectType, DisconnectType::disconnect);
    EXPECT_EQ(scheduler.kinds().back(), MessageKind::clientDisconnect);
    // The pending tasks are not cancelled one by one: ClientDisconnect cancels them all.
    const auto kinds = scheduler.kinds();
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(), MessageKind::taskCancel), 0);
    client->disconnect();  // idempotent
}

TEST_F(ClientTest, DestructorDisconnects) {
    {
        auto client = connect();
        expect<ClientHeartbeat>(MessageKind::clientHeartbeat);
    }
    EXPECT_TRUE(scheduler.waitFor(MessageKind::clientDisconnect, 5s).has_value());
}

TEST_F(ClientTest, ShutdownReturnsTheAcceptedFlag) {
    auto client = connect();
    auto answer = std::async(std::launch::async, [&] { return client->shutdown(); });
    auto request = expect<ClientDisconnect>(MessageKind::clientDisconnect);
    EXPECT_EQ(request.disconnectType, DisconnectType::shutdown);
    scheduler.send(ClientShutdownResponse{true});
    EXPECT_TRUE(answer.get());
    EXPECT_THROW(client->put("x"), ClientDisconnected);  // closed once the cluster goes down
}

TEST_F(ClientTest, RefusedShutdownLeavesTheClientUsable) {
    auto client = connect();
    auto answer = std::async(std::launch::async, [&] { return client->shutdown(); });
    expect<ClientDisconnect>(MessageKind::clientDisconnect);
    scheduler.send(ClientShutdownResponse{false});
    EXPECT_FALSE(answer.get());
    client->put("still fine");
    EXPECT_TRUE(scheduler.waitFor(MessageKind::objectInstruction).has_value());
}

TEST_F(ClientTest, PutAndGetRoundTrip) {
    auto client = connect();
    ObjectRef ref = client->put(42.5);
    auto create = expect<ObjectInstruction>(MessageKind::objectInstruction);
    EXPECT_EQ(create.instructionType, ObjectInstructionType::create);
    EXPECT_EQ(create.objectUser, client->identity());
    auto value = std::async(std::launch::async, [&] { return client->get<double>(ref); });
    auto request = expect<ObjectRequest>(MessageKind::objectRequest);
    ASSERT_EQ(request.objectIds, std::vector<Bytes>{ref.id()});
    scheduler.send(responseFor(ref.id(), payloadText(create.objectContent.payloads[0])));
    EXPECT_EQ(value.get(), 42.5);
}

TEST_F(ClientTest, GetOfAnObjectTheSchedulerDoesNotAnswerTimesOut) {
    auto o = options();
    o.timeout = 1s;  // echoes keep arriving, so only the get times out
    auto client = connect(o);
    EXPECT_THROW(client->get(ObjectRef("no-such-object")), RequestTimedOut);
    client->put("the client is still usable");
}

TEST_F(ClientTest, GetOfAnObjectTheSchedulerDoesNotHaveThrowsObjectNotFound) {
    auto client = connect();
    auto missing = std::async(std::launch::async, [&] { return client->get(ObjectRef("gone")); });
    ASSERT_TRUE(scheduler.waitFor(MessageKind::objectRequest).has_value());
    ObjectResponse notExist{ObjectResponseType::objectNotExist, {}};
    notExist.objectContent.ids.push_back("gone");
    scheduler.send(std::move(notExist));
    EXPECT_THROW(missing.get(), ObjectNotFound);
}

TEST_F(ClientTest, FreeDeletesAtOnceOrWhenTheLastTaskUsingItEnds) {
    auto client = connect();
    ObjectRef idle = client->put("idle");
    client->free(idle);
    EXPECT_EQ(deletedUntil({idle.id()}).count(idle.id()), 1u);

    ObjectRef used = client->put("used");
    auto s = submit(*client, "f", used);
    client->free(used);
    EXPECT_FALSE(scheduler.waitFor(MessageKind::objectInstruction, 300ms).has_value());  // in use
    finish(s.task, TaskStatus::success, "ok", "result-3");
    EXPECT_EQ(s.future.get(), "ok");
    const auto deleted = deletedUntil({used.id(), "result-3"});
    EXPECT_EQ(deleted.count(used.id()), 1u);
    EXPECT_EQ(deleted.count("result-3"), 1u);
}

TEST_F(ClientTest, MapSubmitsOneTaskPerElementWithTypedArguments) {
    auto client = connect();
    auto futures = client->map("square", std::vector<int>{1, 2, 3});
    auto pairs =
        client->map("join", std::vector<std::tuple<std::string, double>>{{"a", 1.5}, {"b", 2.5}});
    ASSERT_EQ(futures.size(), 3u);
    ASSERT_EQ(pairs.size(), 2u);
    // Every task's arguments were created before it, whatever the batching.
    std::map<Bytes, std::string> created;
    std::vector<Task> tasks;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (tasks.size() < 5 && std::chrono::steady_clock::now() < deadline) {
        auto log = scheduler.log();
        created.clear();
        tasks.clear();
        for (auto& message : log) {
            if (auto* create = std::get_if<ObjectInstruction>(&message)) {
                for (std::size_t i = 0; i < create->objectContent.ids.size(); ++i) {
                    created[create->objectContent.ids[i]] =
                        payloadText(create->objectContent.payloads[i]);
                }
            } else if (auto* task = std::get_if<Task>(&message)) {
                for (const auto& arg : task->functionArgs)
                    ASSERT_TRUE(created.count(arg.data)) << "arg before create";
                tasks.push_back(*task);
            }
        }
        if (tasks.size() < 5) scheduler.waitFor(MessageKind::task, 100ms);
    }
    ASSERT_EQ(tasks.size(), 5u);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(tasks[i].funcObjectId, "plexus:fn:square");
        EXPECT_EQ(tasks[i].taskId, futures[i].taskId());
        EXPECT_EQ(created[tasks[i].functionArgs.at(0).data], toBytes(i + 1));
    }
    EXPECT_EQ(created[tasks[3].functionArgs.at(0).data], "a");
    EXPECT_EQ(created[tasks[3].functionArgs.at(1).data], toBytes(1.5));
    EXPECT_EQ(created[tasks[4].functionArgs.at(0).data], "b");
}

TEST_F(ClientTest, ABurstOfSubmitsFromManyThreadsAllArriveInOrderPerThread) {
    auto client = connect();
    constexpr int kThreads = 4;
    constexpr int kPerThread = 100;
    std::vector<std::vector<Bytes>> ids(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) ids[t].push_back(client->submit("f", i).taskId());
        });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_TRUE(
        waitUntil([&] { return scheduler.count(MessageKind::task) == kThreads * kPerThread; }));
    std::map<Bytes, std::size_t> position;
    std::set<Bytes> created;
    std::size_t index = 0;
    std::size_t creates = 0;
    for (auto& message : scheduler.log()) {
        if (auto* create = std::get_if<ObjectInstruction>(&message)) {
            ++creates;
            created.insert(create->objectContent.ids.begin(), create->objectContent.ids.end());
        } else if (auto* task = std::get_if<Task>(&message)) {
            ASSERT_EQ(created.count(task->functionArgs.at(0).data), 1u);
            position[task->taskId] = index++;
        }
    }
    for (const auto& list : ids) {
        for (std::size_t i = 1; i < list.size(); ++i)
            EXPECT_LT(position.at(list[i - 1]), position.at(list[i]));
    }
    EXPECT_LE(creates, static_cast<std::size_t>(kThreads * kPerThread));
}

TEST_F(ClientTest, ConnectReportsBadOptionsAndMissingPlugins) {
    ClientOptions empty;
    auto noAddress = Client::connect(empty);
    ASSERT_FALSE(noAddress.has_value());
    EXPECT_EQ(noAddress.error().kind, ErrorKind::InvalidArgument);

    auto o = options();
    o.transport = "carrier-pigeon";
    auto noPlugin = Client::connect(o);
    ASSERT_FALSE(noPlugin.has_value());
    EXPECT_EQ(noPlugin.error().kind, ErrorKind::NotFound);
    EXPECT_NE(noPlugin.error().message.find("plexus_transport_carrier-pigeon.so"),
              std::string::npos)
        << noPlugin.error().message;
}

TEST_F(ClientTest, AReconnectedLinkResumesHeartbeats) {
    auto client = connect();
    expect<ClientHeartbeat>(MessageKind::clientHeartbeat);
    scheduler.setAutoEcho(false);
    // Drain heartbeats until one is left unanswered, then drop the link under it.
    while (scheduler.waitFor(MessageKind::clientHeartbeat, 300ms)) {
    }
    scheduler.dropClient();
    EXPECT_TRUE(scheduler.waitFor(MessageKind::clientHeartbeat, 10s).has_value());
    scheduler.setAutoEcho(true);
    scheduler.send(ClientHeartbeatEcho{});
}

TEST_F(ClientTest, ALinkBackToTheSameSchedulerKeepsWhatWasInFlight) {
    auto client = connect();
    auto s = submit(*client, "f", 1);
    scheduler.dropClient();
    const Bytes next = expectProbe();
    // The same scheduler holds the old marker, so its answer comes first.
    scheduler.send(responseFor(sessionMarker, "marker"));
    scheduler.send(responseFor(next, "marker"));
    EXPECT_EQ(deletedUntil({next}).count(next), 1u);  // the old marker stands
    EXPECT_FALSE(s.future.done());
    finish(s.task, TaskStatus::success, "done");
    EXPECT_EQ(s.future.get(), "done");
}

TEST_F(ClientTest, ANewSchedulerAfterAReconnectFailsWhatWasInFlightAndOnlyThat) {
    auto client = connect();
    ObjectRef before = client->put("put before the restart");
    expect<ObjectInstruction>(MessageKind::objectInstruction);
    auto inFlight = submit(*client, "f", 1);
    scheduler.dropClient();
    const Bytes next = expectProbe();
    auto sentMeanwhile = submit(*client, "g", 2);  // after the probe: on the new scheduler
    // A new scheduler does not have the old marker: only the new one is answered.
    scheduler.send(responseFor(next, "marker"));

    ASSERT_TRUE(inFlight.future.waitFor(10s));
    try {
        inFlight.future.get();
        FAIL() << "no exception";
    } catch (const TaskLost& error) {
        EXPECT_EQ(error.status(), TaskStatus::notFound);
        EXPECT_NE(std::string(error.what()).find("restarted"), std::string::npos) << error.what();
    }
    // Called off, in case the new scheduler got it after all (sent while the link was down).
    EXPECT_EQ(expect<TaskCancel>(MessageKind::taskCancel).taskId, inFlight.task.taskId);
    EXPECT_FALSE(sentMeanwhile.future.done());
    finish(sentMeanwhile.task, TaskStatus::success, "fine");
    EXPECT_EQ(sentMeanwhile.future.get(), "fine");

    // What was put() before is gone with the old scheduler: said at once, not waited for.
    EXPECT_THROW(client->get(before), ObjectNotFound);
    Future usesIt = client->submit("f", before);
    ASSERT_TRUE(usesIt.waitFor(10s));
    EXPECT_THROW(usesIt.get(), ObjectNotFound);
    // And the client carries on: a second restart is told by the new marker.
    sessionMarker = next;
    scheduler.dropClient();
    const Bytes third = expectProbe();
    scheduler.send(responseFor(next, "marker"));
    scheduler.send(responseFor(third, "marker"));
    EXPECT_EQ(deletedUntil({third}).count(third), 1u);
}

TEST(ClientIds, ObjectIdPrefixIsMd5OfTheIdentityAndFlagsAreBigEndian) {
    EXPECT_EQ(toHex(detail::objectIdPrefix("")),
              "d41d8cd98f00b204");  // md5("") = d41d8cd98f00b204e980...
    EXPECT_EQ(toHex(detail::objectIdPrefix("abc")), "900150983cd24fb0");
    EXPECT_EQ(toHex(detail::encodeTaskFlags(true, 258)), "0100000102");
    EXPECT_EQ(detail::randomBytes(16).size(), 16u);
    EXPECT_NE(detail::randomBytes(16), detail::randomBytes(16));
    const Bytes id = detail::newObjectId(detail::objectIdPrefix("x"));
    EXPECT_EQ(id.size(), 24u);
}

TEST(ClientFuture, AnInvalidFutureSaysSo) {
    Future future;
    EXPECT_FALSE(future.valid());
    EXPECT_THROW(future.get(), std::logic_error);
}

}  // namespace
}  // namespace plexus::test
