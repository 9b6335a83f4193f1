// A client that stops reading must not grow the scheduler's memory without bound (issue #6, item
// 4): a real `plexus scheduler` process and workers, a client whose socket the test stops reading,
// and a well-behaved client beside it.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "e2e/cluster_fixture.h"
#include "e2e/raw_client.h"
#include "plexus/future.h"
#include "plexus/serialization.h"

namespace plexus::test {
namespace {

using namespace std::chrono_literals;

// ASan's and TSan's builds: see where the RSS bound is checked.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kMemoryIsInstrumented = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kMemoryIsInstrumented = true;
#else
constexpr bool kMemoryIsInstrumented = false;
#endif
#else
constexpr bool kMemoryIsInstrumented = false;
#endif

/// A field of /proc/<pid>/status, in bytes: VmRSS (resident now) or VmHWM (peak resident).
std::size_t procStatusBytes(pid_t pid, const std::string& field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(field + ":", 0) == 0)
            return std::stoull(line.substr(field.size() + 1)) * 1024;
    }
    ADD_FAILURE() << "no " << field << " for process " << pid;
    return 0;
}

std::string mib(std::size_t bytes) {
    return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1 << 20));
}

/// An object's payload chunks as one string.
std::string joined(const std::vector<Buffer>& chunks) {
    std::string bytes;
    for (const auto& chunk : chunks) bytes += chunk.view();
    return bytes;
}

/// What e2e.blob(size, seed) returns.
std::string blob(std::size_t size, std::uint64_t seed) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((seed * 131 + i * 7) & 0xff);
    return bytes;
}

// 20,000 tasks of 64 KiB results: 1.25 GiB that would pile up in the scheduler if nothing held
// the client back, on two workers holding up to the default per_worker_queue_size tasks each.
constexpr int kTasks = 20'000;
constexpr std::size_t kResultBytes = 64 * 1024;
constexpr int kWorkers = 2;
constexpr std::size_t kPerWorkerQueue = 1000;
constexpr std::size_t kUnfetchedHigh = std::size_t{64} << 20;  // the scheduler's default
// Everything else the scheduler holds for 20,000 tasks (their records and argument objects),
// allocator slack, and frames in flight.
constexpr std::size_t kHeadroom = std::size_t{96} << 20;

TEST(Backpressure, ClientThatStopsReadingResultsKeepsTheSchedulerBoundedAndLosesNothing) {
    // The raw client heartbeats only while it reads, so the test must not time it out.
    SchedulerProcess scheduler("  client_timeout_seconds: 600\n");
    const pid_t pid = scheduler.process().pid();
    WorkerProcesses workers(scheduler.address(), kWorkers);
    auto other = connectClient(scheduler.address());
    ASSERT_TRUE(other);
    Future warm = other->submit("e2e.square", std::int64_t{3});
    ASSERT_TRUE(warm.waitFor(60s));
    ASSERT_EQ(warm.get<std::int64_t>(), 9);
    const std::size_t baseline = procStatusBytes(pid, "VmRSS");

    // The stalled client: says what a plexus client says (it fetches its results as they come),
    // submits every task, reads until the scheduler has taken them all (the echo of its second
    // heartbeat comes after them), then reads nothing more for a while.
    RawClient stalled(scheduler.address());
    stalled.send(ClientHeartbeat{});
    stalled.send(
        ClientCapabilities{ClientCapabilities::kFetchesResultsEagerly, kPlexusProtocolVersion});
    std::vector<Bytes> argIds{"bp-size"};
    std::vector<std::string> argBytes{toBytes(static_cast<std::int64_t>(kResultBytes))};
    for (int i = 0; i < kTasks; ++i) {
        argIds.push_back(fmt::format("bp-seed-{}", i));
        argBytes.push_back(toBytes(static_cast<std::int64_t>(i)));
    }
    stalled.send(createObjects(stalled.identity(), argIds, argBytes));
    std::unordered_map<Bytes, int> seedOf;
    for (int i = 0; i < kTasks; ++i) {
        Task task{fmt::format("bp-task-{}", i), stalled.identity(), {}, "plexus:fn:e2e.blob", {}};
        task.functionArgs = {Argument{ArgumentType::objectID, argIds[0]},
                             Argument{ArgumentType::objectID, argIds[i + 1]}};
        seedOf[task.taskId] = i;
        stalled.send(task);
    }
    stalled.send(ClientHeartbeat{});
    std::vector<Message> early;
    for (int echoes = 0; echoes < 2;) {
        auto message = stalled.receive(60s);
        ASSERT_TRUE(message) << "the scheduler did not answer the stalled client's heartbeats";
        if (kindOf(*message) == MessageKind::clientHeartbeatEcho) {
            ++echoes;
        } else {
            early.push_back(std::move(*message));
        }
    }

    // It stops reading. The other client's tasks, submitted after its 20,000, still run promptly;
    // a second batch after the first means every task the workers held before them is done too.
    const auto start = std::chrono::steady_clock::now();
    for (int batch = 0; batch < 2; ++batch) {
        std::vector<std::int64_t> inputs(200);
        for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i] = static_cast<std::int64_t>(i);
        auto futures = other->map("e2e.square", inputs);
        for (std::size_t i = 0; i < futures.size(); ++i) {
            ASSERT_TRUE(futures[i].waitFor(60s)) << "the other client's task " << i << " is stuck";
            ASSERT_EQ(futures[i].get<std::int64_t>(), inputs[i] * inputs[i]);
        }
    }
    const auto otherTook = std::chrono::steady_clock::now() - start;

    const std::size_t peak = procStatusBytes(pid, "VmHWM");
    const std::size_t bound =
        baseline + kUnfetchedHigh + kWorkers * kPerWorkerQueue * kResultBytes + kHeadroom;
    std::cout << fmt::format(
                     "[ measured ] scheduler RSS {} at rest, peak {} with a stalled client "
                     "({} of results submitted); bound {}; the other client's 400 tasks took "
                     "{} ms\n",
                     mib(baseline), mib(peak), mib(kTasks * kResultBytes), mib(bound),
                     std::chrono::duration_cast<std::chrono::milliseconds>(otherTook).count())
              << std::flush;
    if (kMemoryIsInstrumented) {
        // ASan keeps up to 256 MiB of freed memory in quarantine and pads every allocation;
        // TSan's shadow memory adds several times what the process touches. Either way the
        // scheduler's RSS says nothing about what plexus holds: the bound is checked by the
        // normal build, the rest of this test (nothing lost, nothing twice) runs here too.
        std::cout << "[ note ] sanitizer build: the RSS bound is not checked\n";
    } else {
        EXPECT_LE(peak, bound) << "the scheduler's memory grew past the bound for a stalled client";
    }

    // It reads again: every task ends exactly once, with every byte of its result, fetched in a
    // window of at most 256 results (16 MiB) and deleted once read, as a plexus client does.
    std::unordered_map<Bytes, Bytes> taskOfResult;
    std::unordered_set<Bytes> finished;
    std::vector<Bytes> toFetch, toDelete;
    std::size_t fetching = 0;
    auto handle = [&](Message& message) {
        if (auto* result = std::get_if<TaskResult>(&message)) {
            ASSERT_EQ(result->status, TaskStatus::success) << result->taskId;
            ASSERT_EQ(result->results.size(), 1u);
            ASSERT_TRUE(seedOf.contains(result->taskId)) << "unknown task " << result->taskId;
            ASSERT_TRUE(taskOfResult.emplace(result->results[0], result->taskId).second);
            toFetch.push_back(result->results[0]);
        } else if (auto* response = std::get_if<ObjectResponse>(&message)) {
            const auto& content = response->objectContent;
            for (std::size_t i = 0; i < content.ids.size(); ++i) {
                const Bytes& taskId = taskOfResult.at(content.ids[i]);
                ASSERT_EQ(joined(content.payloads[i]), blob(kResultBytes, seedOf.at(taskId)))
                    << taskId;
                ASSERT_TRUE(finished.insert(taskId).second) << taskId << " finished twice";
                toDelete.push_back(content.ids[i]);
                --fetching;
            }
        }
    };
    for (auto& message : early) handle(message);
    auto lastHeartbeat = std::chrono::steady_clock::now();
    while (finished.size() < static_cast<std::size_t>(kTasks)) {
        if (!toFetch.empty() && fetching < 256) {
            const std::size_t n = std::min(toFetch.size(), 256 - fetching);
            ObjectRequest request{ObjectRequestType::get,
                                  std::vector<Bytes>(toFetch.end() - n, toFetch.end())};
            toFetch.resize(toFetch.size() - n);
            fetching += n;
            stalled.send(request);
        }
        if (toDelete.size() >= 256) {
            ObjectInstruction drop{ObjectInstructionType::del, stalled.identity(), {}};
            drop.objectContent.ids = std::exchange(toDelete, {});
            stalled.send(std::move(drop));
        }
        if (std::chrono::steady_clock::now() - lastHeartbeat > 5s) {
            stalled.send(ClientHeartbeat{});
            lastHeartbeat = std::chrono::steady_clock::now();
        }
        auto message = stalled.receive(120s);
        ASSERT_TRUE(message) << finished.size() << " of " << kTasks << " tasks finished";
        handle(*message);
        if (HasFatalFailure()) return;
    }
    EXPECT_EQ(finished.size(), static_cast<std::size_t>(kTasks));
}

// The transport's side of it, looked at from inside a scheduler: once a client's link is
// congested (it asked for 80 MiB and reads none of it), the scheduler stops reading that client,
// so what it sends meanwhile waits in its own socket; once it reads, everything is taken.
TEST(Backpressure, SchedulerStopsReadingAClientWhoseLinkIsCongested) {
    InProcessScheduler scheduler;  // default limits: congested at 64 MiB queued
    RawClient client(scheduler.address());
    client.send(ClientHeartbeat{});
    constexpr int kObjects = 80;
    constexpr std::size_t kObjectBytes = std::size_t{1} << 20;
    std::vector<Bytes> ids;
    std::vector<std::string> payloads;
    for (int i = 0; i < kObjects; ++i) {
        ids.push_back(fmt::format("bp-object-{}", i));
        payloads.push_back(blob(kObjectBytes, static_cast<std::uint64_t>(i)));
    }
    client.send(createObjects(client.identity(), ids, payloads));
    client.send(ObjectRequest{ObjectRequestType::get, ids});
    ASSERT_TRUE(waitUntil([&] { return scheduler.snapshot().heldClients == 1; }, 60s))
        << "the link of a client that reads nothing was never found congested";

    // It keeps sending (from another thread: its socket fills up, so this blocks).
    constexpr int kTasks = 20'000;
    std::thread writer([&] {
        for (int i = 0; i < kTasks; ++i) {
            client.send(Task{
                fmt::format("bp-task-{}", i), client.identity(), {}, "plexus:fn:e2e.square", {}});
        }
    });
    EXPECT_FALSE(waitUntil([&] { return scheduler.snapshot().tasks == kTasks; }, 2s));
    const std::size_t takenWhileCongested = scheduler.snapshot().tasks;
    // At most what one read took before the link became congested (64 KiB).
    EXPECT_LE(takenWhileCongested, 1000u);

    std::optional<Message> answer;
    while (!answer || kindOf(*answer) != MessageKind::objectResponse) {
        answer = client.receive(60s);
        ASSERT_TRUE(answer) << "the 80 MiB answer never came";
    }
    const auto& content = std::get<ObjectResponse>(*answer).objectContent;
    ASSERT_EQ(content.ids, ids);
    for (int i = 0; i < kObjects; ++i)
        EXPECT_EQ(joined(content.payloads[i]), payloads[i]) << "object " << i;
    const bool allTaken = waitUntil(
        [&] {
            const auto s = scheduler.snapshot();
            return s.tasks == kTasks && s.heldClients == 0;
        },
        60s);
    writer.join();
    EXPECT_TRUE(allTaken) << scheduler.snapshot().tasks << " of " << kTasks << " tasks taken";
    std::cout << "[ measured ] tasks read from the congested client before it read: "
              << takenWhileCongested << " of " << kTasks << "\n";
}

}  // namespace
}  // namespace plexus::test
