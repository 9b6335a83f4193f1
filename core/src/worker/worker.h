#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include "plexus/plugin_registry.h"
#include "runtime/endpoint.h"
#include "runtime/event_loop.h"
#include "runtime/loop_inbox.h"
#include "worker/executor_pool.h"
#include "worker/task_libraries.h"
#include "worker/task_process_pool.h"
#include "worker/worker_config.h"
#include "worker/worker_core.h"

namespace plexus::detail {

/// The worker process: task libraries, plugins, one endpoint to the scheduler, the event loop
/// and the executors around a WorkerCore.
///
/// Threads:
/// - the event loop runs on the transport's I/O thread (the endpoint hosts it), which decodes
///   frames and hands them to the core inline; WorkerCore and every EndpointListener and
///   WorkerOutbox method below run there. run() blocks the calling thread until the worker ends.
/// - `executors` threads run task code, taking jobs from a queue the loop fills in batches (a
///   few per executor, WorkerSettings::jobsPerExecutor), and hand outcomes back to the loop in
///   batches: one post per batch, made by the executor that finds the completion inbox empty;
///   with isolation: process, each of them instead hands its job to a task process
///   (TaskProcessPool) and waits;
/// - leave() may be called from any thread (the signal watcher's).
class Worker final : public EndpointListener, public WorkerOutbox {
  public:
    /// `taskHost` starts a task process (`plexus task-host`); needed with isolation: process.
    explicit Worker(WorkerConfig config, TaskHostCommand taskHost = {});
    ~Worker() override;
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Loads the task libraries and plugins, starts the executors (and their task processes)
    /// and connects to the scheduler (the link comes up in the background). Call once, before
    /// run().
    Result<void> start();
    /// Runs the event loop until the worker leaves; closes the link to the scheduler and stops
    /// the task processes (killing those still running a task); returns the exit code.
    int run();
    /// Leaves the cluster gracefully (DisconnectRequest, short flush, exit 0). Thread-safe.
    void leave();
    /// Task code still running on an executor thread (it cannot be interrupted; task processes
    /// can, so with isolation: process this is false). Call after run().
    bool tasksStillRunning() const;
    const Identity& identity() const { return identity_; }

    // EndpointListener (loop thread)
    void onPeerConnected(std::uint32_t endpoint, const PeerId& peer) override;
    void onPeerDisconnected(std::uint32_t endpoint, const PeerId& peer,
                            const Error& reason) override;
    void onMessage(std::uint32_t endpoint, const PeerId& peer, Message message,
                   Buffer frame) override;

    // WorkerOutbox (loop thread)
    void send(const Message& message) override;
    void execute(TaskJob job) override;
    bool withdraw(const Bytes& taskId) override;
    void cancelRunning(const Bytes& taskId) override;
    void exit(int exitCode, std::chrono::milliseconds grace) override;

  private:
    Result<void> startTaskProcesses();
    /// Hands the jobs execute() collected to the executors (loop thread).
    void submitJobs();
    /// Runs `job` and hands its outcome to the loop (executor thread).
    void runJob(std::shared_ptr<TaskJob> job);

    struct Finished {
        Bytes taskId;
        TaskOutcome outcome;
    };

    const WorkerConfig config_;
    const TaskHostCommand taskHost_;
    // Declaration order is the reverse of destruction order, and it matters:
    // - the plugin registry and the task libraries outlive everything that runs their code
    //   (transport, codec, task functions);
    // - the loop outlives the endpoint and the executors, which post to it;
    // - the executors are joined before the inbox and the core their results go to, and the
    //   endpoint (its I/O thread, which runs the loop) is closed first of all;
    // - the task processes are closed before the executors are joined (so none waits on a task),
    //   and reaped after.
    PluginRegistry registry_;
    TaskLibraries libraries_;
    EventLoop loop_;
    Identity identity_;
    std::unique_ptr<WorkerCore> core_;
    std::unique_ptr<TaskProcessPool> taskProcesses_;  // isolation: process only
    LoopInbox<Finished> finished_;                    // executors -> loop
    std::unique_ptr<ExecutorPool> executors_;
    std::unique_ptr<Endpoint> endpoint_;
    PeerId scheduler_;
    std::optional<int> exitCode_;       // loop thread: set once the worker decided to end
    std::vector<TaskJob> unsubmitted_;  // loop thread: execute()d, submitJobs() posted
};

}  // namespace plexus::detail
