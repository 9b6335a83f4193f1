// Graph tasks: dependencies, argument substitution, intermediate results, failure and cancel.

#include "scheduler/scheduler_fixture.h"

namespace plexus::detail {
namespace {

using namespace scheduler_test;

const std::string kClient = "1|Client|c";
const std::string kWorker = "2|Agent|w";

class GraphTest : public SchedulerCoreTest {
  protected:
    void SetUp() override {
        receive(kClient, ClientHeartbeat{});
        receive(kWorker, WorkerHeartbeat{});
    }
    static Task node(const std::string& id, std::vector<std::string> taskArgs,
                     std::vector<std::string> objectArgs = {}) {
        Task t{id, kClient, {}, "fn", {}};
        for (auto& a : objectArgs) t.functionArgs.push_back(Argument{ArgumentType::objectID, a});
        for (auto& a : taskArgs) t.functionArgs.push_back(Argument{ArgumentType::task, a});
        return t;
    }
    std::vector<std::string> dispatched() const {
        std::vector<std::string> ids;
        for (const auto* m : sentTo(kWorker, MessageKind::task))
            ids.push_back(std::get<Task>(*m).taskId);
        return ids;
    }
    const Task& dispatchedTask(const std::string& id) const {
        for (const auto* m : sentTo(kWorker, MessageKind::task)) {
            if (std::get<Task>(*m).taskId == id) return std::get<Task>(*m);
        }
        throw std::runtime_error("not dispatched: " + id);
    }
    // The worker finishes `id` successfully with result object `r-<id>`.
    void succeed(const std::string& id) {
        receive(kWorker, objects(kClient, {"r-" + id}));
        receive(kWorker, result(id, TaskStatus::success, {"r-" + id}));
    }
    std::vector<TaskResult> clientResults() const {
        std::vector<TaskResult> results;
        for (const auto* m : sentTo(kClient, MessageKind::taskResult))
            results.push_back(std::get<TaskResult>(*m));
        return results;
    }
};

// a -> b -> c (c also uses a), with d independent; targets c and d.
TEST_F(GraphTest, RunsNodesInDependencyOrderAndSubstitutesResults) {
    GraphTask graph{"g", kClient, {"c", "d"}, {}};
    graph.graph.push_back(node("a", {}, {"input"}));
    graph.graph.push_back(node("b", {"a"}));
    graph.graph.push_back(node("c", {"b", "a"}));
    graph.graph.push_back(node("d", {}));
    receive(kClient, std::move(graph));
    auto first = dispatched();
    std::sort(first.begin(), first.end());
    EXPECT_EQ(first, (std::vector<std::string>{"a", "d"}));
    succeed("a");
    const Task& b = dispatchedTask("b");
    ASSERT_EQ(b.functionArgs.size(), 1u);
    EXPECT_EQ(b.functionArgs[0].type, ArgumentType::objectID);
    EXPECT_EQ(b.functionArgs[0].data, "r-a");
    succeed("b");
    const Task& c = dispatchedTask("c");
    EXPECT_EQ(c.functionArgs[0].data, "r-b");
    EXPECT_EQ(c.functionArgs[1].data, "r-a");
    // c, still to run, needs the results of a and b.
    EXPECT_NE(core.objects().find("r-a"), nullptr);
    EXPECT_NE(core.objects().find("r-b"), nullptr);
    succeed("c");
    // Nothing needs them now, and neither a nor b is a target: deleted.
    EXPECT_EQ(core.objects().find("r-a"), nullptr);
    EXPECT_EQ(core.objects().find("r-b"), nullptr);
    succeed("d");
    auto results = clientResults();
    ASSERT_EQ(results.size(), 3u);  // c, d, then the graph itself
    EXPECT_EQ(results[0].taskId, "c");
    EXPECT_EQ(results[1].taskId, "d");
    EXPECT_EQ(results[2].taskId, "g");
    EXPECT_EQ(results[2].status, TaskStatus::success);
    EXPECT_TRUE(results[2].results.empty());
    EXPECT_NE(core.objects().find("r-c"), nullptr);  // targets stay for the client
    EXPECT_EQ(core.graphs().size(), 0u);
}

TEST_F(GraphTest, FailurePropagatesToEveryUnfinishedTarget) {
    GraphTask graph{"g", kClient, {"b", "c", "e"}, {}};
    graph.graph.push_back(node("a", {}));
    graph.graph.push_back(node("b", {"a"}));
    graph.graph.push_back(node("c", {"b"}));
    graph.graph.push_back(node("e", {}));
    receive(kClient, std::move(graph));
    succeed("e");
    receive(kWorker, objects(kClient, {"err"}));
    receive(kWorker, result("a", TaskStatus::failed, {"err"}));
    auto results = clientResults();
    ASSERT_EQ(results.size(), 4u);  // e, then b and c failed, then the graph
    EXPECT_EQ(results[0].taskId, "e");
    for (int i : {1, 2}) {
        EXPECT_EQ(results[i].status, TaskStatus::failed);
        ASSERT_EQ(results[i].results.size(), 1u);
        const auto* copy = core.objects().find(results[i].results[0]);
        ASSERT_NE(copy, nullptr);
        EXPECT_EQ(copy->chunks[0].view(), "bytes-err");
    }
    EXPECT_NE(results[1].results[0], results[2].results[0]);
    EXPECT_EQ(results[3].taskId, "g");
    EXPECT_EQ(results[3].status, TaskStatus::failed);
    EXPECT_EQ(dispatched().size(), 2u);  // b and c never ran
    EXPECT_EQ(core.tasks().size(), 0u);
}

TEST_F(GraphTest, ThousandNodeChainWithAFailureInTheMiddle) {
    GraphTask graph{"g", kClient, {}, {}};
    for (int i = 0; i < 1000; ++i) {
        graph.graph.push_back(node("n" + std::to_string(i),
                                   i == 0 ? std::vector<std::string>{}
                                          : std::vector<std::string>{"n" + std::to_string(i - 1)}));
        graph.targets.push_back("n" + std::to_string(i));
    }
    receive(kClient, std::move(graph));
    for (int i = 0; i < 500; ++i) succeed("n" + std::to_string(i));
    receive(kWorker, objects(kClient, {"err"}));
    receive(kWorker, result("n500", TaskStatus::failed, {"err"}));
    auto results = clientResults();
    ASSERT_EQ(results.size(), 1001u);
    std::size_t failed = 0;
    for (std::size_t i = 0; i < 1000; ++i) failed += results[i].status == TaskStatus::failed;
    EXPECT_EQ(failed, 500u);
    EXPECT_EQ(results.back().taskId, "g");
    EXPECT_EQ(core.graphs().size(), 0u);
}

TEST_F(GraphTest, CancellingANodeCancelsTheGraph) {
    GraphTask graph{"g", kClient, {"b"}, {}};
    graph.graph.push_back(node("a", {}));
    graph.graph.push_back(node("b", {"a"}));
    receive(kClient, std::move(graph));
    receive(kClient, TaskCancel{"b", false, false});
    EXPECT_EQ(sentTo(kWorker, MessageKind::taskCancel).size(), 1u);  // a was running
    auto results = clientResults();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].status, TaskStatus::canceled);
    EXPECT_EQ(results[1].taskId, "g");
    receive(kWorker, result("a", TaskStatus::canceled));
    EXPECT_EQ(core.tasks().size(), 0u);
}

TEST_F(GraphTest, CyclesAndDanglingReferencesAreRefused) {
    GraphTask cyclic{"g1", kClient, {"a"}, {}};
    cyclic.graph.push_back(node("a", {"b"}));
    cyclic.graph.push_back(node("b", {"a"}));
    receive(kClient, std::move(cyclic));
    GraphTask dangling{"g2", kClient, {"x"}, {}};
    dangling.graph.push_back(node("x", {"nowhere"}));
    receive(kClient, std::move(dangling));
    EXPECT_TRUE(dispatched().empty());
    for (const auto& r : clientResults()) EXPECT_EQ(r.status, TaskStatus::notFound);
    EXPECT_EQ(clientResults().size(), 4u);
    EXPECT_EQ(core.graphs().size(), 0u);
}

}  // namespace
}  // namespace plexus::detail
