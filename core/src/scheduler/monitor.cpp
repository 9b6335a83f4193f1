#include "scheduler/monitor.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "plexus/log.h"

namespace plexus::detail {
namespace {

// Scaler's monitors decode worker ids and function names as UTF-8 and stop on anything else, so
// names that are not plain printable ASCII are shown escaped (printable()).
Bytes displayable(std::string_view bytes) {
    const bool plain = std::all_of(bytes.begin(), bytes.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    return plain ? Bytes(bytes) : printable(bytes);
}

std::vector<MessageCount> nonZero(const std::array<std::uint32_t, kMessageKindCount>& counts) {
    std::vector<MessageCount> out;
    for (std::size_t kind = 0; kind < counts.size(); ++kind) {
        if (counts[kind] == 0) continue;
        // Scaler names them by class: "TaskResult", not the wire's "taskResult".
        std::string name(messageKindName(static_cast<MessageKind>(kind)));
        if (!name.empty()) name[0] = static_cast<char>(std::toupper(name[0]));
        out.push_back(MessageCount{std::move(name), counts[kind]});
    }
    return out;
}

// Scaler's WorkerStatus fields taken from a worker's last heartbeat.
void fillFromHeartbeat(WorkerStatus& status, const WorkerHeartbeat& heartbeat) {
    status.agent = heartbeat.agent;
    status.rssFree = heartbeat.rssFree;
    status.queued = heartbeat.queuedTasks;
    status.lagUS = heartbeat.latencyUS;
    status.processorStatuses = heartbeat.processors;
    const auto suspended = std::count_if(heartbeat.processors.begin(), heartbeat.processors.end(),
                                         [](const ProcessorStatus& p) { return p.suspended; });
    status.suspended = static_cast<std::uint8_t>(std::min<std::ptrdiff_t>(suspended, 255));
    // "ITL": the running processor's initialized and has-task flags, and the task lock.
    const auto current = std::find_if(heartbeat.processors.begin(), heartbeat.processors.end(),
                                      [](const ProcessorStatus& p) { return !p.suspended; });
    const bool initialized = current != heartbeat.processors.end() && current->initialized;
    const bool hasTask = current != heartbeat.processors.end() && current->hasTask;
    status.itl = fmt::format("{:d}{:d}{:d}", initialized, hasTask, heartbeat.taskLock);
}

EndpointConfig endpointConfigOf(const MonitorConfig& config) {
    EndpointConfig endpoint;
    endpoint.address = config.address;
    endpoint.transport = config.transport;
    endpoint.codec = config.codec;
    endpoint.node = config.node;
    // The monitor only publishes. A transport without this option refuses it, which says why.
    // Built, not parsed, so errors about it name no line of the file (it is not in the file).
    YAML::Node options(YAML::NodeType::Map);
    options["pattern"] = "pub";
    endpoint.transportOptions =
        ConfigNode(options, std::make_shared<const std::string>(config.node.file()),
                   config.node.path() + ".transport_options");
    return endpoint;
}

}  // namespace

Monitor::~Monitor() = default;

Result<std::unique_ptr<Monitor>> Monitor::start(const MonitorConfig& config,
                                                PluginRegistry& registry, const Identity& identity,
                                                std::size_t maxFrameBytes, EventLoop& loop,
                                                const SchedulerCore& core) {
    std::unique_ptr<Monitor> monitor(new Monitor(core));
    auto endpoint = Endpoint::create(0, endpointConfigOf(config), registry, identity, maxFrameBytes,
                                     loop, *monitor);
    if (!endpoint) {
        return fail(endpoint.error().kind,
                    fmt::format("monitor (transport '{}', codec '{}'): {}", config.transport,
                                config.codec, endpoint.error().message));
    }
    auto bound = (*endpoint)->listen();
    if (!bound) return fail(bound.error().kind, fmt::format("monitor: {}", bound.error().message));
    monitor->address_ = *bound;
    monitor->endpoint_ = std::move(*endpoint);
    Endpoint& sink = *monitor->endpoint_;
    monitor->publisher_ = std::make_unique<MonitorPublisher>(
        [&sink](const Message& message) { sink.send(PeerId(), message); }, kMaxPending);
    return monitor;
}

void Monitor::add(Message message) {
    if (pending_.size() >= kMaxPending) {
        ++dropped_;
        return;
    }
    pending_.push_back(std::move(message));
}

void Monitor::flush() {
    if (pending_.empty()) return;
    const std::size_t count = pending_.size();
    if (!publisher_->publish(std::move(pending_))) dropped_ += count;
    pending_.clear();
}

void Monitor::publishState(Clock::time_point now) {
    pending_.push_back(stateOf(now));  // even past kMaxPending: one a second
    flush();
    if (dropped_ > 0) {
        logger().warn("monitor: dropped {} messages (publishing fell behind)", dropped_);
        dropped_ = 0;
    }
}

StateScheduler Monitor::stateOf(Clock::time_point now) {
    StateScheduler state;
    state.binder.received = nonZero(received_);
    state.binder.sent = nonZero(sent_);
    const ProcessUsage::Sample usage = usage_.sample();
    state.scheduler = usage.process;
    state.rssFree = usage.memoryAvailable;

    for (const auto& [client, peer] : core_.clients().peers()) {
        state.clientManager.clientToNumOfTask.push_back(ClientTaskCount{
            displayable(client), static_cast<std::uint32_t>(core_.tasks().tasksOf(client))});
    }
    state.objectManager.numberOfObjects = static_cast<std::uint32_t>(core_.objects().count());

    // A task is "running" from its assignment to its answer, cancellations included: exactly
    // the tasks the workers' outstanding counts hold. Every other task held is waiting.
    std::size_t running = 0;
    const auto& pool = core_.pool().workers();
    for (const auto& [identity, peer] : core_.workers().peers()) {
        WorkerStatus status;
        status.workerId = displayable(identity);
        if (const auto it = pool.find(identity); it != pool.end()) {
            status.sent = it->second.outstanding;
            status.free =
                it->second.capacity - std::min(it->second.capacity, it->second.outstanding);
            running += it->second.outstanding;
        }
        const auto silent = std::chrono::duration_cast<std::chrono::seconds>(now - peer.lastSeen);
        status.lastS = static_cast<std::uint8_t>(std::clamp<std::int64_t>(silent.count(), 0, 255));
        if (const auto it = heartbeats_.find(identity); it != heartbeats_.end()) {
            fillFromHeartbeat(status, it->second);
        } else {
            status.itl = "000";
        }
        state.workerManager.workers.push_back(std::move(status));
    }
    const std::size_t held = core_.tasks().size();
    state.taskManager = ended_;
    state.taskManager.running = static_cast<std::uint32_t>(running);
    state.taskManager.unassigned = static_cast<std::uint32_t>(held - std::min(held, running));
    return state;
}

Bytes Monitor::functionName(const TaskRecord& record) const {
    if (!record.key().empty()) return displayable(record.key());  // a native function, by name
    const auto* object = core_.objects().find(record.funcObjectId());
    return object != nullptr ? displayable(object->name) : Bytes("<Unknown>");  // Scaler's word
}

void Monitor::taskEntered(const TaskRecord& record, TaskStatus status) {
    add(StateTask{
        record.taskId(), functionName(record), status, displayable(record.workerId()), {}});
}

void Monitor::taskEnded(const TaskRecord& record, const TaskResult& result) {
    switch (result.status) {
        case TaskStatus::success:
            ++ended_.success;
            break;
        case TaskStatus::failed:
            ++ended_.failed;
            break;
        case TaskStatus::canceled:
            ++ended_.canceled;
            break;
        case TaskStatus::notFound:
            ++ended_.notFound;
            break;
        default:  // workerDied, noWorker: Scaler's monitor does not count them either
            break;
    }
    add(StateTask{record.taskId(), functionName(record), result.status,
                  displayable(record.workerId()), result.metadata});
}

void Monitor::workerConnected(const Identity& worker) {
    add(StateWorker{displayable(worker), "connected"});
}

void Monitor::workerHeartbeat(const Identity& worker, const WorkerHeartbeat& heartbeat) {
    heartbeats_.insert_or_assign(worker, heartbeat);
}

void Monitor::workerDisconnected(const Identity& worker) {
    heartbeats_.erase(worker);
    add(StateWorker{displayable(worker), "disconnected"});
}

}  // namespace plexus::detail
