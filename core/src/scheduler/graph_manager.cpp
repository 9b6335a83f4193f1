#include "scheduler/graph_manager.h"

#include <algorithm>
#include <unordered_set>

#include "plexus/log.h"

namespace plexus::detail {

GraphManager::GraphManager(TaskManager& tasks, ObjectManager& objects, Deliver deliver)
    : tasks_(tasks), objects_(objects), deliver_(std::move(deliver)) {}

void GraphManager::submit(const Identity& client, GraphTask request) {
    Graph graph;
    graph.id = request.taskId;
    graph.client = client;
    std::string problem;
    if (graphs_.count(graph.id) != 0 || graphOfNode_.count(graph.id) != 0)
        problem = "duplicate graph id";
    for (auto& task : request.graph) {
        if (!problem.empty()) break;
        if (graphOfNode_.count(task.taskId) != 0 || tasks_.find(task.taskId) != nullptr) {
            problem = "node id already in use";
            break;
        }
        const Bytes id = task.taskId;
        if (!graph.nodes.try_emplace(id, Node{std::move(task)}).second)
            problem = "two nodes share an id";
    }
    for (auto& [id, node] : graph.nodes) {
        if (!problem.empty()) break;
        std::unordered_set<Bytes> seen;
        for (const auto& arg : node.task.functionArgs) {
            if (arg.type != ArgumentType::task) continue;
            if (graph.nodes.count(arg.data) == 0) {
                problem = "an argument names a task that is not in the graph";
                break;
            }
            if (seen.insert(arg.data).second) node.dependencies.push_back(arg.data);
        }
        node.waitingOn = node.dependencies.size();
    }
    for (const auto& target : request.targets) {
        auto it = graph.nodes.find(target);
        if (it == graph.nodes.end()) {
            if (problem.empty()) problem = "a target is not a node of the graph";
        } else {
            it->second.target = true;
        }
    }
    if (problem.empty()) {
        for (auto& [id, node] : graph.nodes) {
            for (const auto& dep : node.dependencies) {
                graph.nodes.at(dep).dependents.push_back(id);
                ++graph.nodes.at(dep).consumersLeft;
            }
        }
        // Kahn's algorithm: a graph with a cycle would never finish.
        std::vector<const Node*> ready;
        std::unordered_map<const Node*, std::size_t> waiting;
        for (const auto& [id, node] : graph.nodes) {
            waiting[&node] = node.waitingOn;
            if (node.waitingOn == 0) ready.push_back(&node);
        }
        std::size_t visited = 0;
        while (!ready.empty()) {
            const Node* node = ready.back();
            ready.pop_back();
            ++visited;
            for (const auto& dependent : node->dependents) {
                const Node* next = &graph.nodes.at(dependent);
                if (--waiting[next] == 0) ready.push_back(next);
            }
        }
        if (visited != graph.nodes.size()) problem = "the graph has a cycle";
    }
    if (!problem.empty()) {
        logger().warn("refused graph {} from {}: {}", toHex(request.taskId), printable(client),
                      problem);
        for (const auto& target : request.targets)
            deliver_(client, TaskResult{target, TaskStatus::notFound, {}, {}});
        deliver_(client, TaskResult{request.taskId, TaskStatus::notFound, {}, {}});
        return;
    }

    graph.unfinished = graph.nodes.size();
    const Bytes graphId = graph.id;
    auto& stored = graphs_.emplace(graphId, std::move(graph)).first->second;
    for (auto& [id, node] : stored.nodes) graphOfNode_.emplace(id, graphId);
    if (stored.nodes.empty()) return complete(graphId, TaskStatus::success);
    std::vector<Node*> ready;
    for (auto& [id, node] : stored.nodes) {
        if (node.waitingOn == 0) ready.push_back(&node);
    }
    for (auto* node : ready) start(stored, *node);
}

void GraphManager::start(Graph& graph, Node& node) {
    node.started = true;
    Task task = node.task;
    for (auto& arg : task.functionArgs) {
        if (arg.type != ArgumentType::task) continue;
        arg.type = ArgumentType::objectID;
        arg.data = graph.nodes.at(arg.data).result;
    }
    tasks_.submit(graph.client, std::move(task), Buffer(), 0, graph.id);
}

void GraphManager::release(Graph& graph, Node& node) {
    // An intermediate result nobody needs any more is deleted (targets stay for the client).
    if (node.consumersLeft == 0 && !node.target && !node.result.empty()) {
        objects_.remove(graph.client, {node.result});
    }
}

void GraphManager::onNodeFinished(const TaskRecord& record, const TaskResult& result) {
    auto g = graphs_.find(*record.graph());
    if (g == graphs_.end()) return;
    Graph& graph = g->second;
    auto n = graph.nodes.find(record.taskId());
    if (n == graph.nodes.end() || n->second.done) return;
    Node& node = n->second;
    if (result.status != TaskStatus::success) return fail(graph, node.task.taskId, result);

    node.done = true;
    --graph.unfinished;
    if (!result.results.empty()) node.result = result.results.front();
    if (node.target) deliver_(graph.client, result);
    for (const auto& dep : node.dependencies) {
        Node& dependency = graph.nodes.at(dep);
        --dependency.consumersLeft;
        release(graph, dependency);
    }
    release(graph, node);
    std::vector<Node*> ready;
    for (const auto& dependent : node.dependents) {
        Node& next = graph.nodes.at(dependent);
        if (--next.waitingOn == 0) ready.push_back(&next);
    }
    for (auto* next : ready) start(graph, *next);
    if (graph.unfinished == 0) complete(graph.id, TaskStatus::success);
}

void GraphManager::fail(Graph& graph, const Bytes& failedNode, const TaskResult& result) {
    // Every unfinished node ends with the failing node's outcome. A target gets a copy of the
    // failing result object under its own id, so each target's result can be fetched and
    // deleted on its own (the payload bytes are shared, not copied).
    const ObjectManager::Object* failure =
        result.results.empty() ? nullptr : objects_.find(result.results.front());
    for (auto& [id, node] : graph.nodes) {
        if (node.done) continue;
        node.done = true;
        if (node.started && id != failedNode) tasks_.abandon(id);
        if (!node.target) continue;
        if (id == failedNode) {
            deliver_(graph.client, result);
            continue;
        }
        TaskResult copy{id, result.status, {}, {}};
        if (failure != nullptr) {
            Bytes copyId = result.results.front().substr(0, 8) + id;
            ObjectManager::Object object;
            object.owner = graph.client;
            object.type = failure->type;
            object.name = failure->name;
            for (const auto& chunk : failure->chunks) object.chunks.push_back(chunk.share());
            objects_.put(copyId, std::move(object));
            copy.results.push_back(std::move(copyId));
        }
        deliver_(graph.client, copy);
    }
    // Results of nodes that succeeded but were only intermediates are no longer needed.
    for (auto& [id, node] : graph.nodes) {
        if (!node.target && !node.result.empty()) objects_.remove(graph.client, {node.result});
    }
    if (!graph.nodes.at(failedNode).target && !result.results.empty()) {
        objects_.remove(graph.client, {result.results.front()});
    }
    complete(graph.id, result.status);
}

bool GraphManager::cancel(const Identity& client, const Bytes& id) {
    Bytes graphId = id;
    if (auto it = graphOfNode_.find(id); it != graphOfNode_.end()) graphId = it->second;
    auto g = graphs_.find(graphId);
    if (g == graphs_.end() || g->second.client != client) return false;
    Graph& graph = g->second;
    for (auto& [nodeId, node] : graph.nodes) {
        if (node.done) continue;
        node.done = true;
        if (node.started) tasks_.abandon(nodeId);
        if (node.target) deliver_(graph.client, TaskResult{nodeId, TaskStatus::canceled, {}, {}});
    }
    for (auto& [nodeId, node] : graph.nodes) {
        if (!node.target && !node.result.empty()) objects_.remove(graph.client, {node.result});
    }
    complete(graphId, TaskStatus::canceled);
    return true;
}

void GraphManager::onClientGone(const Identity& client) {
    std::vector<Bytes> gone;
    for (const auto& [id, graph] : graphs_) {
        if (graph.client == client) gone.push_back(id);
    }
    for (const auto& id : gone) {
        for (auto& [nodeId, node] : graphs_.at(id).nodes) {
            if (node.started && !node.done) tasks_.abandon(nodeId);
            graphOfNode_.erase(nodeId);
        }
        graphs_.erase(id);
    }
}

void GraphManager::complete(const Bytes& graphId, TaskStatus status) {
    auto g = graphs_.find(graphId);
    if (g == graphs_.end()) return;
    // Callers may pass the graph's own id (graph.id), which the erase below frees: everything
    // delivered afterwards is copied out first.
    TaskResult result{graphId, status, {}, {}};
    const Identity client = g->second.client;
    for (const auto& [nodeId, node] : g->second.nodes) graphOfNode_.erase(nodeId);
    graphs_.erase(g);
    deliver_(client, std::move(result));
}

}  // namespace plexus::detail
