#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include "plexus/messages.h"
#include "scheduler/object_manager.h"
#include "scheduler/task_manager.h"

namespace plexus::detail {

/// Graph tasks (Scaler's GraphTask): runs each node once its dependencies succeeded, with every
/// `task` argument replaced by the result object of that node; frees intermediate results once
/// nothing needs them; on a failure or cancel, stops the graph and reports the same outcome for
/// every unfinished target; finally reports the graph itself. Loop thread only.
class GraphManager {
  public:
    /// `deliver` sends a result to a client.
    using Deliver = std::function<void(const Identity& client, const TaskResult& result)>;

    GraphManager(TaskManager& tasks, ObjectManager& objects, Deliver deliver);

    void submit(const Identity& client, GraphTask graph);
    /// A node's task ended (called for tasks whose record names a graph).
    void onNodeFinished(const TaskRecord& record, const TaskResult& result);
    /// Cancels the graph `id` names (the graph's id or one of its nodes'). False if unknown.
    bool cancel(const Identity& client, const Bytes& id);
    void onClientGone(const Identity& client);

    std::size_t size() const { return graphs_.size(); }

  private:
    struct Node {
        Task task;
        std::vector<Bytes> dependencies;  // distinct node ids among its arguments
        std::vector<Bytes> dependents;
        std::size_t waitingOn = 0;      // dependencies not yet finished
        std::size_t consumersLeft = 0;  // dependents that still need its result
        bool target = false;
        bool started = false;
        bool done = false;
        Bytes result;  // its result object id once done
    };
    struct Graph {
        Bytes id;
        Identity client;
        std::unordered_map<Bytes, Node> nodes;
        std::size_t unfinished = 0;
    };

    void start(Graph& graph, Node& node);
    void release(Graph& graph, Node& node);
    void fail(Graph& graph, const Bytes& failedNode, const TaskResult& result);
    void complete(const Bytes& graphId, TaskStatus status);

    TaskManager& tasks_;
    ObjectManager& objects_;
    Deliver deliver_;
    std::unordered_map<Bytes, Graph> graphs_;
    std::unordered_map<Bytes, Bytes> graphOfNode_;
};

}  // namespace plexus::detail
