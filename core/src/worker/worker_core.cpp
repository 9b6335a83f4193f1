#include "worker/worker_core.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "plexus/log.h"

namespace plexus::detail {

namespace {

constexpr std::string_view kFunctionPrefix = "plexus:fn:";

// The bytes of a Scaler object id: 8 bytes derived from the owner, 16 random (protocol.md).
constexpr std::size_t kIdPrefixBytes = 8;

// After DisconnectRequest there is no acknowledgement to wait for (neither Scaler's scheduler nor
// plexus's answers a worker that leaves), so the worker gives the transport this long to put the
// frame on the wire before it closes the link. Long enough for a loaded loopback or LAN write,
// short enough that Ctrl-C feels immediate.
constexpr std::chrono::milliseconds kLeaveGrace{300};

// FNV-1a 64: a stable, documented hash, so the id prefix of a worker is reproducible.
std::string identityPrefix(std::string_view identity) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : identity) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    std::string out(kIdPrefixBytes, '\0');
    std::memcpy(out.data(), &hash, kIdPrefixBytes);
    return out;
}

// One contiguous Buffer for an object's chunks; shares a single chunk instead of copying it.
Buffer joinChunks(const std::vector<Buffer>& chunks) {
    if (chunks.empty()) return Buffer();
    if (chunks.size() == 1) return chunks.front().share();
    std::size_t total = 0;
    for (const auto& chunk : chunks) total += chunk.size();
    Buffer joined = Buffer::allocate(total);
    std::size_t offset = 0;
    for (const auto& chunk : chunks) {
        if (!chunk.empty()) std::memcpy(joined.mutableData() + offset, chunk.data(), chunk.size());
        offset += chunk.size();
    }
    return joined;
}

// The result bytes as a Buffer without copying them.
Buffer toBuffer(std::string bytes) {
    auto owner = std::make_shared<const std::string>(std::move(bytes));
    const auto* data = reinterpret_cast<const std::byte*>(owner->data());
    const std::size_t size = owner->size();
    return Buffer::wrap(std::move(owner), data, size);
}

}  // namespace

TaskOutcome runTaskJob(const TaskJob& job) noexcept {
    try {
        std::vector<std::string_view> views;
        views.reserve(job.arguments.size());
        for (const auto& argument : job.arguments) views.push_back(argument.view());
        return TaskOutcome{true, (*job.function)(TaskArguments(views))};
    } catch (const std::exception& e) {
        try {
            return TaskOutcome{false, e.what()};
        } catch (...) {
            return TaskOutcome{false, {}};
        }
    } catch (...) {
        return TaskOutcome{false, "unknown exception"};
    }
}

WorkerCore::WorkerCore(WorkerSettings settings, const TaskLibraries& libraries,
                       WorkerOutbox& outbox, WorkerClock::time_point now)
    : settings_(std::move(settings)),
      libraries_(libraries),
      outbox_(outbox),
      lastEcho_(now),
      idPrefix_(identityPrefix(settings_.identity)),
      random_(std::random_device{}()) {}

// ---- heartbeats ---------------------------------------------------------------------------

void WorkerCore::onLinkUp(WorkerClock::time_point now) {
    linkUp_ = true;
    if (leaving_) return;
    // An echo still awaited from before a reconnect will never come: start a fresh ping-pong.
    awaitingEcho_ = false;
    sendHeartbeat(now);
}

void WorkerCore::onLinkDown() {
    linkUp_ = false;
    // Nothing to wait for any more: let the process end now rather than after the grace.
    if (leaving_) outbox_.exit(exitCode_, std::chrono::milliseconds(0));
}

void WorkerCore::onTick(WorkerClock::time_point now) {
    if (leaving_) return;
    if (now - lastEcho_ >= settings_.deathTimeout) {
        logger().error("no heartbeat echo from the scheduler for {} s; exiting",
                       std::chrono::duration_cast<std::chrono::seconds>(now - lastEcho_).count());
        leave(EXIT_FAILURE, "scheduler silent");
        return;
    }
    if (linkUp_ && !awaitingEcho_) sendHeartbeat(now);
}

void WorkerCore::sendHeartbeat(WorkerClock::time_point now) {
    // The announcement goes before every heartbeat, so a scheduler that restarted (and forgot
    // this worker) learns its functions again before it could mistake it for a stock worker.
    WorkerCapabilities capabilities;
    for (auto& name : libraries_.names()) capabilities.functions.push_back(std::move(name));
    capabilities.executors = settings_.executors;
    capabilities.protocolVersion = kPlexusProtocolVersion;
    outbox_.send(capabilities);
    WorkerHeartbeat heartbeat;
    heartbeat.queuedTasks = static_cast<std::uint32_t>(tasks_.size());
    heartbeat.latencyUS = latencyUS_;
    heartbeat.taskLock = dispatched_ >= settings_.executors;
    outbox_.send(heartbeat);
    awaitingEcho_ = true;
    heartbeatSent_ = now;
}

// ---- messages -----------------------------------------------------------------------------

void WorkerCore::onMessage(Message message, WorkerClock::time_point now) {
    switch (kindOf(message)) {
        case MessageKind::workerHeartbeatEcho:
            if (awaitingEcho_) {
                latencyUS_ = static_cast<std::uint32_t>(
                    std::chrono::duration_cast<std::chrono::microseconds>(now - heartbeatSent_)
                        .count());
            }
            awaitingEcho_ = false;
            lastEcho_ = now;
            return;
        case MessageKind::task:
            return onTask(std::move(std::get<Task>(message)));
        case MessageKind::taskCancel:
            return onTaskCancel(std::get<TaskCancel>(message));
        case MessageKind::objectInstruction:
            return onObjectInstruction(std::get<ObjectInstruction>(message));
        case MessageKind::objectResponse:
            return onObjectResponse(std::move(std::get<ObjectResponse>(message)));
        case MessageKind::clientDisconnect:
            if (std::get<ClientDisconnect>(message).disconnectType == DisconnectType::shutdown) {
                logger().info("the scheduler is shutting the cluster down");
                leave(EXIT_SUCCESS, "cluster shutdown");
            } else {
                logger().warn("ignoring a ClientDisconnect(disconnect) from the scheduler");
            }
            return;
        case MessageKind::disconnectResponse:
            if (leaving_) outbox_.exit(exitCode_, std::chrono::milliseconds(0));
            return;
        default:
            logger().warn("ignoring an unexpected {} from the scheduler",
                          messageKindName(kindOf(message)));
            return;
    }
}

void WorkerCore::leave(int exitCode, std::string_view reason) {
    if (leaving_) return;
    leaving_ = true;
    exitCode_ = exitCode;
    logger().info("leaving ({}); abandoning {} task(s), the scheduler re-queues them", reason,
                  tasks_.size());
    // Jobs waiting at the executors must not start now (their results would be dropped).
    for (const auto& [taskId, state] : tasks_) {
        if (state.stage == Stage::dispatched && outbox_.withdraw(taskId)) --dispatched_;
    }
    if (linkUp_) outbox_.send(DisconnectRequest{settings_.identity});
    outbox_.exit(exitCode, linkUp_ ? kLeaveGrace : std::chrono::milliseconds(0));
}

// ---- tasks --------------------------------------------------------------------------------

void WorkerCore::onTask(Task task) {
    if (leaving_) return;  // the scheduler re-queues it once it sees the DisconnectRequest
    if (tasks_.count(task.taskId) != 0) {
        logger().warn("ignoring task {}: already held", toHex(task.taskId));
        return;
    }
    if (std::string_view(task.funcObjectId).substr(0, kFunctionPrefix.size()) != kFunctionPrefix) {
        return failTask(
            task, "<unknown>",
            fmt::format(
                "this plexus worker runs only native tasks (funcObjectId '{}{{name}}'); got "
                "funcObjectId {}",
                kFunctionPrefix, toHex(task.funcObjectId)));
    }
    std::string name = task.funcObjectId.substr(kFunctionPrefix.size());
    const TaskFunction* function = libraries_.find(name);
    if (function == nullptr) {
        return failTask(
            task, name,
            fmt::format("unknown function '{}': no task library of this worker registers it",
                        printable(name)));
    }
    for (std::size_t i = 0; i < task.functionArgs.size(); ++i) {
        if (task.functionArgs[i].type != ArgumentType::objectID) {
            return failTask(task, name,
                            fmt::format("argument {} is a task reference, not an object id", i));
        }
    }

    // Ask once for every argument that is neither cached nor already requested.
    std::vector<Bytes> request;
    std::unordered_set<Bytes> seen;
    for (const auto& argument : task.functionArgs) {
        const Bytes& id = argument.data;
        if (cache_.count(id) != 0 || !seen.insert(id).second) continue;
        waiters_[id].push_back(task.taskId);
        if (inFlight_.insert(id).second) request.push_back(id);
    }
    const Bytes taskId = task.taskId;
    TaskState state;
    state.task = std::move(task);
    state.functionName = std::move(name);
    state.function = function;
    tasks_.emplace(taskId, std::move(state));
    if (!request.empty()) {
        ++requests_[request];
        outbox_.send(ObjectRequest{ObjectRequestType::get, request});
    }
    advance(taskId);
}

void WorkerCore::onTaskCancel(const TaskCancel& cancel) {
    auto it = tasks_.find(cancel.taskId);
    if (it == tasks_.end()) {
        outbox_.send(TaskResult{cancel.taskId, TaskStatus::notFound, {}, {}});
        return;
    }
    TaskState& state = it->second;
    if (state.stage == Stage::dispatched && outbox_.withdraw(cancel.taskId)) {
        // It was waiting at an executor and will never start: as good as queued here.
        --dispatched_;
        tasks_.erase(it);
        outbox_.send(TaskResult{cancel.taskId, TaskStatus::canceled, {}, {}});
        dispatch();
        return;
    }
    if (state.stage == Stage::dispatched) {
        // Scaler's worker answers a (non-forced) cancel of a running task with notFound, and so
        // does this one; the task has then ended for the client and its result is dropped when
        // it completes. The executor may stop it sooner: a task process is killed at once.
        state.dropResult = true;
        outbox_.send(TaskResult{cancel.taskId, TaskStatus::notFound, {}, {}});
        outbox_.cancelRunning(cancel.taskId);
        return;
    }
    if (state.stage == Stage::queued) std::erase(ready_, cancel.taskId);
    tasks_.erase(it);  // a fetching task's waiter entries are skipped when its objects arrive
    outbox_.send(TaskResult{cancel.taskId, TaskStatus::canceled, {}, {}});
}

void WorkerCore::advance(const Bytes& taskId) {
    auto it = tasks_.find(taskId);
    if (it == tasks_.end() || it->second.stage != Stage::fetching) return;
    TaskState& state = it->second;
    for (const auto& argument : state.task.functionArgs) {
        if (cache_.count(argument.data) != 0) continue;
        if (inFlight_.count(argument.data) != 0) return;  // still on its way
        return failTask(
            state.task, state.functionName,
            fmt::format(
                "argument object {} is not available (the scheduler did not deliver it, or it "
                "was deleted before the task started)",
                toHex(argument.data)));
    }
    state.arguments.reserve(state.task.functionArgs.size());
    for (const auto& argument : state.task.functionArgs)
        state.arguments.push_back(cache_.at(argument.data).share());
    state.stage = Stage::queued;
    ready_.push_back(taskId);
    dispatch();
}

void WorkerCore::dispatch() {
    const std::size_t room =
        std::size_t{settings_.executors} * std::max<std::uint32_t>(settings_.jobsPerExecutor, 1);
    while (dispatched_ < room && !ready_.empty()) {
        const Bytes taskId = std::move(ready_.front());
        ready_.pop_front();
        auto it = tasks_.find(taskId);
        if (it == tasks_.end()) continue;
        TaskState& state = it->second;
        state.stage = Stage::dispatched;
        ++dispatched_;
        outbox_.execute(
            TaskJob{taskId, state.functionName, state.function, std::move(state.arguments)});
    }
}

void WorkerCore::onTaskFinished(const Bytes& taskId, TaskOutcome outcome) {
    if (dispatched_ > 0) --dispatched_;
    auto it = tasks_.find(taskId);
    if (it != tasks_.end()) {
        if (it->second.dropResult || leaving_) {
            tasks_.erase(it);
        } else {
            const Bytes source = it->second.task.source;
            const std::string functionName = it->second.functionName;
            finish(taskId, source, functionName,
                   outcome.success ? TaskStatus::success : TaskStatus::failed,
                   std::move(outcome.bytes));
        }
    }
    if (!leaving_) dispatch();
}

void WorkerCore::failTask(const Task& task, const std::string& functionName, std::string message) {
    logger().warn("task {} failed: {}", toHex(task.taskId), message);
    const Bytes taskId = task.taskId;
    const Bytes source = task.source;
    finish(taskId, source, functionName, TaskStatus::failed, std::move(message));
}

void WorkerCore::finish(const Bytes& taskId, const Bytes& source, const std::string& functionName,
                        TaskStatus status, std::string bytes) {
    const Bytes objectId = newObjectId();
    ObjectInstruction create;
    create.instructionType = ObjectInstructionType::create;
    create.objectUser = source;
    create.objectContent.ids.push_back(objectId);
    create.objectContent.types.push_back(ObjectType::object);
    create.objectContent.names.push_back(fmt::format("<res {}>", functionName));
    std::vector<Buffer> chunks;
    chunks.push_back(toBuffer(std::move(bytes)));  // the codec splits it if it is too long
    create.objectContent.payloads.push_back(std::move(chunks));
    // The object must exist before the result naming it is announced: same link, this order.
    outbox_.send(std::move(create));
    outbox_.send(TaskResult{taskId, status, {}, {objectId}});
    tasks_.erase(taskId);
}

Bytes WorkerCore::newObjectId() {
    Bytes id = idPrefix_;
    for (int i = 0; i < 2; ++i) {
        const std::uint64_t word = random_();
        id.append(reinterpret_cast<const char*>(&word), sizeof(word));
    }
    return id;
}

// ---- objects ------------------------------------------------------------------------------

void WorkerCore::onObjectInstruction(const ObjectInstruction& instruction) {
    if (instruction.instructionType != ObjectInstructionType::del) {
        logger().warn("ignoring an ObjectInstruction that is not a delete");
        return;
    }
    // Tasks already queued or running hold their own references to the bytes.
    for (const auto& id : instruction.objectContent.ids) cache_.erase(id);
}

void WorkerCore::onObjectResponse(ObjectResponse response) {
    ObjectContent& content = response.objectContent;
    auto request = requests_.find(content.ids);
    if (request == requests_.end()) {
        logger().warn("ignoring an ObjectResponse for {} object(s) that matches no request",
                      content.ids.size());
        return;
    }
    if (--request->second == 0) requests_.erase(request);
    for (const auto& id : content.ids) inFlight_.erase(id);

    if (response.responseType == ObjectResponseType::content) {
        // Scaler's scheduler lists every requested id but may give fewer payloads; an id without
        // a payload counts as missing, and the tasks that need it fail below.
        const std::size_t delivered = std::min(content.ids.size(), content.payloads.size());
        for (std::size_t i = 0; i < delivered; ++i) {
            cache_.insert_or_assign(content.ids[i], joinChunks(content.payloads[i]));
        }
    }
    std::vector<Bytes> affected;
    for (const auto& id : content.ids) {
        auto waiting = waiters_.find(id);
        if (waiting == waiters_.end()) continue;
        affected.insert(affected.end(), waiting->second.begin(), waiting->second.end());
        waiters_.erase(waiting);
    }
    for (const auto& taskId : affected) advance(taskId);
}

}  // namespace plexus::detail
