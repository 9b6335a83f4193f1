#include "worker/worker.h"

#include <algorithm>
#include <cstdlib>

#include "plexus/log.h"

namespace plexus::detail {

Worker::Worker(WorkerConfig config, TaskHostCommand taskHost)
    : config_(std::move(config)),
      taskHost_(std::move(taskHost)),
      registry_(pluginSearchPath(config_.pluginDir)),
      identity_(config_.name.empty() ? makeIdentity("Worker")
                                     : config_.name + "|" + makeIdentity("Worker")),
      finished_(loop_, [this](std::vector<Finished>& batch) {
          for (auto& done : batch) core_->onTaskFinished(done.taskId, std::move(done.outcome));
      }) {}

Worker::~Worker() {
    endpoint_.reset();  // joins the I/O thread while the loop and the core still exist
    if (taskProcesses_) taskProcesses_->close();
    executors_.reset();  // waits for running task code (runWorker exits before that if any)
}

Result<void> Worker::start() {
    for (const auto& file : config_.taskLibraries) {
        auto loaded = libraries_.load(file);
        if (!loaded) return loaded;
    }
    if (libraries_.size() == 0) {
        logger().warn("the task libraries register no function; this worker can run nothing");
    }
    if (config_.isolation == Isolation::process) {
        auto started = startTaskProcesses();
        if (!started) return started;
    }
    auto endpoint = Endpoint::create(0, config_.scheduler, registry_, identity_,
                                     config_.maxFrameBytes, loop_, *this);
    if (!endpoint) return tl::unexpected(endpoint.error());
    endpoint_ = std::move(*endpoint);
    endpoint_->hostLoop();

    WorkerSettings settings;
    settings.identity = identity_;
    settings.executors = config_.executors;
    settings.deathTimeout = config_.deathTimeout;
    core_ =
        std::make_unique<WorkerCore>(std::move(settings), libraries_, *this, WorkerClock::now());
    executors_ = std::make_unique<ExecutorPool>(config_.executors);

    auto peer = endpoint_->connect();
    if (!peer) return tl::unexpected(peer.error());
    scheduler_ = std::move(*peer);
    loop_.every(config_.heartbeatInterval, [this] { core_->onTick(WorkerClock::now()); });
    logger().info(
        "worker {} connecting to {} (transport {}, codec {}) with {} executor(s), {} function(s)",
        printable(identity_), config_.scheduler.address, config_.scheduler.transport,
        config_.scheduler.codec, config_.executors, libraries_.size());
    return {};
}

Result<void> Worker::startTaskProcesses() {
    if (taskHost_.program.empty()) {
        return fail(ErrorKind::Internal, "isolation: process, but no task host command given");
    }
    TaskProcessSettings settings;
    settings.command = taskHost_;
    settings.setup.maxFrameBytes = config_.maxFrameBytes;
    const auto level = spdlog::level::to_string_view(logger().level());  // as set by runWorker
    settings.setup.logLevel.assign(level.data(), level.size());
    for (const auto& file : config_.taskLibraries)
        settings.setup.libraries.push_back(file.string());
    taskProcesses_ = std::make_unique<TaskProcessPool>(std::move(settings), config_.executors);
    if (auto started = taskProcesses_->start(); !started) {
        return fail(started.error().kind, "isolation: process: " + started.error().message);
    }
    // A task process that dies while idle is replaced at the next tick; one that dies running a
    // task is replaced at once by its executor.
    loop_.every(config_.heartbeatInterval, [this] { taskProcesses_->replaceExited(); });
    logger().info("{} task process(es) ready (isolation: process)", config_.executors);
    return {};
}

int Worker::run() {
    loop_.run();
    // Jobs waiting at the executors belong to tasks the scheduler re-queues: none starts now.
    if (executors_) executors_->discardQueued();
    // Close the link now: nothing more will be sent, and the scheduler should see us go at once.
    endpoint_.reset();
    // Tasks still running were abandoned (the scheduler re-queues them): stop their processes.
    if (taskProcesses_) taskProcesses_->close();
    return exitCode_.value_or(EXIT_SUCCESS);
}

void Worker::leave() {
    loop_.post([this] {
        if (core_) core_->leave(EXIT_SUCCESS, "signal");
    });
}

bool Worker::tasksStillRunning() const {
    return !taskProcesses_ && executors_ && executors_->busy() > 0;
}

void Worker::onPeerConnected(std::uint32_t, const PeerId& peer) {
    logger().info("link to the scheduler {} up", printable(peer));
    core_->onLinkUp(WorkerClock::now());
}

void Worker::onPeerDisconnected(std::uint32_t, const PeerId& peer, const Error& reason) {
    if (core_->leaving()) {
        logger().debug("link to the scheduler {} closed: {}", printable(peer), reason.describe());
    } else {
        logger().warn("link to the scheduler {} down: {}", printable(peer), reason.describe());
    }
    core_->onLinkDown();
}

void Worker::onMessage(std::uint32_t, const PeerId&, Message message, Buffer) {
    core_->onMessage(std::move(message), WorkerClock::now());
}

void Worker::send(const Message& message) {
    endpoint_->send(scheduler_, message);
}

void Worker::execute(TaskJob job) {
    // The jobs handed out while the loop handles one batch of frames (or of results) reach the
    // executors together after it: one lock and one wake-up for the batch.
    if (unsubmitted_.empty()) loop_.post([this] { submitJobs(); });
    unsubmitted_.push_back(std::move(job));
}

void Worker::submitJobs() {
    std::vector<ExecutorPool::Job> jobs;
    jobs.reserve(unsubmitted_.size());
    for (auto& job : unsubmitted_) {
        Bytes key = job.taskId;
        // std::function needs a copyable callable, and a TaskJob holds move-only Buffers.
        auto shared = std::make_shared<TaskJob>(std::move(job));
        jobs.push_back(ExecutorPool::Job{
            [this, shared = std::move(shared)]() mutable { runJob(std::move(shared)); },
            std::move(key)});
    }
    unsubmitted_.clear();
    executors_->submit(std::move(jobs));
}

void Worker::runJob(std::shared_ptr<TaskJob> job) {
    TaskOutcome outcome = taskProcesses_ ? taskProcesses_->run(*job) : runTaskJob(*job);
    Bytes taskId = std::move(job->taskId);
    job.reset();  // release the argument bytes before reporting
    finished_.push(Finished{std::move(taskId), std::move(outcome)});
}

bool Worker::withdraw(const Bytes& taskId) {
    auto it = std::find_if(unsubmitted_.begin(), unsubmitted_.end(),
                           [&](const TaskJob& job) { return job.taskId == taskId; });
    if (it != unsubmitted_.end()) {
        unsubmitted_.erase(it);
        return true;
    }
    return executors_->withdraw(taskId);
}

void Worker::cancelRunning(const Bytes& taskId) {
    if (taskProcesses_) taskProcesses_->cancel(taskId);
}

void Worker::exit(int exitCode, std::chrono::milliseconds grace) {
    if (!exitCode_) exitCode_ = exitCode;
    if (grace.count() <= 0) {
        loop_.stop();
        return;
    }
    loop_.every(grace, [this] { loop_.stop(); });
}

}  // namespace plexus::detail
