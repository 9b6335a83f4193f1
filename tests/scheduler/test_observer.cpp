// The scheduler's monitoring hooks: what SchedulerCore tells its observer about workers and task
// states, in order, driven directly with a recording outbox and a fake clock.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

/// Records every observer call as a line: "<event> <id> <status> <worker>".
class RecordingObserver final : public SchedulerObserver {
  public:
    void taskEntered(const TaskRecord& record, TaskStatus status) override {
        events.push_back(line(record.taskId(), status, record.workerId()));
    }
    void taskEnded(const TaskRecord& record, const TaskResult& result) override {
        events.push_back(line(record.taskId(), result.status, record.workerId()) + " ended " +
                         result.metadata);
    }
    void workerConnected(const Identity& worker) override {
        events.push_back("connected " + worker);
    }
    void workerHeartbeat(const Identity& worker, const WorkerHeartbeat& heartbeat) override {
        events.push_back("heartbeat " + worker + " " + std::to_string(heartbeat.queuedTasks));
    }
    void workerDisconnected(const Identity& worker) override {
        events.push_back("disconnected " + worker);
    }

    /// The events recorded since the last call.
    std::vector<std::string> take() { return std::exchange(events, {}); }

  private:
    static std::string line(const Bytes& task, TaskStatus status, const Identity& worker) {
        static const char* const kNames[] = {"success",  "failed",     "canceled",
                                             "notFound", "workerDied", "noWorker",
                                             "inactive", "running",    "canceling"};
        return task + " " + kNames[static_cast<int>(status)] + " " + worker;
    }

    std::vector<std::string> events;
};

class ObserverTest : public SchedulerCoreTest {
  protected:
    ObserverTest() { core.setObserver(&observer); }
    RecordingObserver observer;
};

using Events = std::vector<std::string>;

TEST_F(ObserverTest, TaskIsQueuedThenRunsWhenAWorkerComesThenEndsWithItsMetadata) {
    receive("1|Client|a", ClientHeartbeat{});
    receive("1|Client|a", task("t1", "1|Client|a"));
    EXPECT_EQ(observer.take(), (Events{"t1 inactive "}));

    WorkerHeartbeat heartbeat;
    heartbeat.queuedTasks = 7;
    receive("2|Agent|w", heartbeat);
    EXPECT_EQ(observer.take(),
              (Events{"connected 2|Agent|w", "t1 running 2|Agent|w", "heartbeat 2|Agent|w 7"}));

    receive("2|Agent|w", TaskResult{"t1", TaskStatus::success, "profile", {"r1"}});
    EXPECT_EQ(observer.take(), (Events{"t1 success 2|Agent|w ended profile"}));
    receive("2|Agent|w", WorkerHeartbeat{});
    EXPECT_EQ(observer.take(), (Events{"heartbeat 2|Agent|w 0"}));  // not connected again
}

TEST_F(ObserverTest, CancelOfARunningTaskIsCancelingThenItsOutcome) {
    receive("2|Agent|w", WorkerHeartbeat{});
    receive("1|Client|a", ClientHeartbeat{});
    receive("1|Client|a", task("t1", "1|Client|a"));
    observer.take();
    receive("1|Client|a", TaskCancel{"t1", false, false});
    EXPECT_EQ(observer.take(), (Events{"t1 canceling 2|Agent|w"}));
    receive("2|Agent|w", result("t1", TaskStatus::canceled));
    EXPECT_EQ(observer.take(), (Events{"t1 canceled 2|Agent|w ended "}));
}

TEST_F(ObserverTest, QueuedCancelEndsWithoutAWorker) {
    receive("1|Client|a", ClientHeartbeat{});
    receive("1|Client|a", task("t1", "1|Client|a"));
    receive("1|Client|a", TaskCancel{"t1", false, false});
    EXPECT_EQ(observer.take(), (Events{"t1 inactive ", "t1 canceled  ended "}));
}

TEST_F(ObserverTest, WorkerLeavingIsReportedBeforeItsTasksAreQueuedAgainAndMoved) {
    receive("2|Agent|w", WorkerHeartbeat{});
    receive("1|Client|a", ClientHeartbeat{});
    receive("1|Client|a", task("t1", "1|Client|a"));
    receive("3|Agent|v", WorkerHeartbeat{});
    observer.take();
    receive("2|Agent|w", DisconnectRequest{"2|Agent|w"});
    EXPECT_EQ(observer.take(),
              (Events{"disconnected 2|Agent|w", "t1 inactive ", "t1 running 3|Agent|v"}));
}

TEST_F(ObserverTest, WorkerTimingOutIsDisconnected) {
    receive("2|Agent|w", WorkerHeartbeat{});
    observer.take();
    now += 61s;
    core.onTick(now);
    EXPECT_EQ(observer.take(), (Events{"disconnected 2|Agent|w"}));
}

TEST_F(ObserverTest, PlexusWorkerIsConnectedOnceByItsCapabilities) {
    receive("2|Agent|p", WorkerCapabilities{{"fn"}, 2, kPlexusProtocolVersion});
    receive("2|Agent|p", WorkerHeartbeat{});
    EXPECT_EQ(observer.take(), (Events{"connected 2|Agent|p", "heartbeat 2|Agent|p 0"}));
}

TEST_F(ObserverTest, NoObserverIsCalledOnceReset) {
    core.setObserver(nullptr);
    receive("2|Agent|w", WorkerHeartbeat{});
    receive("1|Client|a", ClientHeartbeat{});
    receive("1|Client|a", task("t1", "1|Client|a"));
    EXPECT_TRUE(observer.take().empty());
}

}  // namespace
}  // namespace plexus::detail
