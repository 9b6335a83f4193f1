// Cap'n Proto readers -> plexus::Message (see wire_convert.h for the contract).
//
// Every pointer field is read exactly once (kept in a local): each read of an object counts
// against the reader's traversal limit, which the codec sizes from the frame.

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "wire_convert.h"

namespace plexus::detail {
namespace {

[[noreturn]] void refuse(std::string message) {
    throw ConversionError{ErrorKind::Decode, std::move(message)};
}

Bytes bytes(capnp::Data::Reader value) {
    return Bytes(reinterpret_cast<const char*>(value.begin()), value.size());
}

std::string text(capnp::Text::Reader value) {
    return std::string(value.begin(), value.size());
}

/// A wire enum as the plexus enum, refusing values this schema does not define (capnp hands
/// unknown enumerants through as raw numbers).
template <class PlexusEnum, class WireEnum>
PlexusEnum enumValue(WireEnum value, std::uint16_t count, std::string_view field) {
    const auto raw = static_cast<std::uint16_t>(value);
    if (raw >= count) refuse(fmt::format("{}: unknown enumerant {}", field, raw));
    return static_cast<PlexusEnum>(raw);
}

std::vector<Bytes> dataList(capnp::List<capnp::Data>::Reader list) {
    std::vector<Bytes> out;
    out.reserve(list.size());
    for (auto value : list) out.push_back(bytes(value));
    return out;
}

Resource readResource(wire::Resource::Reader in) {
    return Resource{in.getCpu(), in.getRss()};
}

std::vector<ProcessorStatus> readProcessors(capnp::List<wire::ProcessorStatus>::Reader list) {
    std::vector<ProcessorStatus> out;
    out.reserve(list.size());
    for (auto in : list) {
        out.push_back(ProcessorStatus{in.getPid(), in.getInitialized(), in.getHasTask(),
                                      in.getSuspended(), readResource(in.getResource())});
    }
    return out;
}

Task readTask(wire::Task::Reader in) {
    Task out;
    out.taskId = bytes(in.getTaskId());
    out.source = bytes(in.getSource());
    out.metadata = bytes(in.getMetadata());
    out.funcObjectId = bytes(in.getFuncObjectId());
    const auto args = in.getFunctionArgs();
    out.functionArgs.reserve(args.size());
    for (auto arg : args) {
        out.functionArgs.push_back(
            Argument{enumValue<ArgumentType>(arg.getType(), 2, "task.functionArgs.type"),
                     bytes(arg.getData())});
    }
    return out;
}

/// Reads the parallel lists. Every non-empty list must have one element per id: stock Scaler
/// 1.9.9 clients and workers send all four lists aligned (create), ids only (delete, and the
/// scheduler's cache evictions) or nothing (clear). The Python scheduler alone sends misaligned
/// lists: its ObjectResponse keeps every requested id but drops the types, names and bytes of
/// missing objects. That is refused here; a plexus scheduler never receives ObjectResponse.
/// Payload chunks become slices of `storage`, the buffer the reader's words live in.
ObjectContent readObjectContent(wire::ObjectContent::Reader in, const Buffer& storage,
                                std::string_view field) {
    const auto ids = in.getObjectIds();
    const auto types = in.getObjectTypes();
    const auto names = in.getObjectNames();
    const auto objects = in.getObjectBytes();
    const auto check = [&](unsigned size, std::string_view list) {
        if (size != 0 && size != ids.size()) {
            refuse(fmt::format("{}: {} {} for {} ids", field, size, list, ids.size()));
        }
    };
    check(types.size(), "types");
    check(names.size(), "names");
    check(objects.size(), "payloads");

    ObjectContent out;
    out.ids = dataList(ids);
    out.types.reserve(types.size());
    for (auto type : types) {
        out.types.push_back(
            enumValue<ObjectType>(type, kObjectTypeCount, "objectContent.objectTypes"));
    }
    out.names = dataList(names);
    out.payloads.reserve(objects.size());
    const auto* base = reinterpret_cast<const capnp::byte*>(storage.data());
    for (auto pieces : objects) {
        auto& chunks = out.payloads.emplace_back();
        chunks.reserve(pieces.size());
        for (auto piece : pieces) {
            if (piece.size() == 0) {
                chunks.emplace_back();
                continue;
            }
            // capnp has bounds-checked the blob against its segment, and every segment lies in
            // `storage`; checked again because a slice out of range would expose foreign memory.
            if (piece.begin() < base || piece.end() > base + storage.size()) {
                refuse(fmt::format("{}: payload chunk outside the frame", field));
            }
            chunks.push_back(
                storage.slice(static_cast<std::size_t>(piece.begin() - base), piece.size()));
        }
    }
    return out;
}

StateScheduler readStateScheduler(wire::StateScheduler::Reader in) {
    StateScheduler out;

    const auto binder = in.getBinder();
    const auto readCounts = [](capnp::List<wire::BinderStatus::Pair>::Reader list) {
        std::vector<MessageCount> counts;
        counts.reserve(list.size());
        for (auto pair : list)
            counts.push_back(MessageCount{text(pair.getClient()), pair.getNumber()});
        return counts;
    };
    out.binder.received = readCounts(binder.getReceived());
    out.binder.sent = readCounts(binder.getSent());

    out.scheduler = readResource(in.getScheduler());
    out.rssFree = in.getRssFree();

    const auto clients = in.getClientManager().getClientToNumOfTask();
    out.clientManager.clientToNumOfTask.reserve(clients.size());
    for (auto pair : clients) {
        out.clientManager.clientToNumOfTask.push_back(
            ClientTaskCount{bytes(pair.getClient()), pair.getNumTask()});
    }

    out.objectManager.numberOfObjects = in.getObjectManager().getNumberOfObjects();

    const auto tasks = in.getTaskManager();
    out.taskManager =
        TaskManagerStatus{tasks.getUnassigned(), tasks.getRunning(),  tasks.getSuccess(),
                          tasks.getFailed(),     tasks.getCanceled(), tasks.getNotFound()};

    const auto workers = in.getWorkerManager().getWorkers();
    out.workerManager.workers.reserve(workers.size());
    for (auto w : workers) {
        WorkerStatus status;
        status.workerId = bytes(w.getWorkerId());
        status.agent = readResource(w.getAgent());
        status.rssFree = w.getRssFree();
        status.free = w.getFree();
        status.sent = w.getSent();
        status.queued = w.getQueued();
        status.suspended = w.getSuspended();
        status.lagUS = w.getLagUS();
        status.lastS = w.getLastS();
        status.itl = text(w.getItl());
        status.processorStatuses = readProcessors(w.getProcessorStatuses());
        out.workerManager.workers.push_back(std::move(status));
    }
    return out;
}

}  // namespace

Message fromWire(wire::Message::Reader root, const Buffer& storage) {
    using Which = wire::Message::Which;
    const auto tag = static_cast<std::uint16_t>(root.which());
    if (tag >= kMessageKindCount) refuse(fmt::format("unknown message type {}", tag));

    switch (root.which()) {
        case Which::TASK:
            return readTask(root.getTask());
        case Which::TASK_CANCEL: {
            const auto in = root.getTaskCancel();
            const auto flags = in.getFlags();
            return TaskCancel{bytes(in.getTaskId()), flags.getForce(),
                              flags.getRetrieveTaskObject()};
        }
        case Which::TASK_RESULT: {
            const auto in = root.getTaskResult();
            return TaskResult{
                bytes(in.getTaskId()),
                enumValue<TaskStatus>(in.getStatus(), kTaskStatusCount, "taskResult.status"),
                bytes(in.getMetadata()), dataList(in.getResults())};
        }
        case Which::GRAPH_TASK: {
            const auto in = root.getGraphTask();
            GraphTask out;
            out.taskId = bytes(in.getTaskId());
            out.source = bytes(in.getSource());
            out.targets = dataList(in.getTargets());
            const auto graph = in.getGraph();
            out.graph.reserve(graph.size());
            for (auto task : graph) out.graph.push_back(readTask(task));
            return out;
        }
        case Which::GRAPH_TASK_CANCEL:
            return GraphTaskCancel{bytes(root.getGraphTaskCancel().getTaskId())};
        case Which::OBJECT_INSTRUCTION: {
            const auto in = root.getObjectInstruction();
            return ObjectInstruction{
                enumValue<ObjectInstructionType>(in.getInstructionType(), 3,
                                                 "objectInstruction.instructionType"),
                bytes(in.getObjectUser()),
                readObjectContent(in.getObjectContent(), storage,
                                  "objectInstruction.objectContent")};
        }
        case Which::OBJECT_REQUEST: {
            const auto in = root.getObjectRequest();
            return ObjectRequest{
                enumValue<ObjectRequestType>(in.getRequestType(), 1, "objectRequest.requestType"),
                dataList(in.getObjectIds())};
        }
        case Which::OBJECT_RESPONSE: {
            const auto in = root.getObjectResponse();
            return ObjectResponse{
                enumValue<ObjectResponseType>(in.getResponseType(), 2,
                                              "objectResponse.responseType"),
                readObjectContent(in.getObjectContent(), storage, "objectResponse.objectContent")};
        }
        case Which::CLIENT_HEARTBEAT: {
            const auto in = root.getClientHeartbeat();
            return ClientHeartbeat{readResource(in.getResource()), in.getLatencyUS()};
        }
        case Which::CLIENT_HEARTBEAT_ECHO:
            return ClientHeartbeatEcho{};
        case Which::WORKER_HEARTBEAT: {
            const auto in = root.getWorkerHeartbeat();
            return WorkerHeartbeat{
                readResource(in.getAgent()), in.getRssFree(),  in.getQueuedTasks(),
                in.getLatencyUS(),           in.getTaskLock(), readProcessors(in.getProcessors())};
        }
        case Which::WORKER_HEARTBEAT_ECHO:
            return WorkerHeartbeatEcho{};
        case Which::DISCONNECT_REQUEST:
            return DisconnectRequest{bytes(root.getDisconnectRequest().getWorker())};
        case Which::DISCONNECT_RESPONSE:
            return DisconnectResponse{bytes(root.getDisconnectResponse().getWorker())};
        case Which::STATE_CLIENT:
            return StateClient{};
        case Which::STATE_OBJECT:
            return StateObject{};
        case Which::STATE_BALANCE_ADVICE: {
            const auto in = root.getStateBalanceAdvice();
            return StateBalanceAdvice{bytes(in.getWorkerId()), dataList(in.getTaskIds())};
        }
        case Which::STATE_SCHEDULER:
            return readStateScheduler(root.getStateScheduler());
        case Which::STATE_WORKER: {
            const auto in = root.getStateWorker();
            return StateWorker{bytes(in.getWorkerId()), bytes(in.getMessage())};
        }
        case Which::STATE_TASK: {
            const auto in = root.getStateTask();
            return StateTask{
                bytes(in.getTaskId()), bytes(in.getFunctionName()),
                enumValue<TaskStatus>(in.getStatus(), kTaskStatusCount, "stateTask.status"),
                bytes(in.getWorker()), bytes(in.getMetadata())};
        }
        case Which::STATE_GRAPH_TASK: {
            const auto in = root.getStateGraphTask();
            return StateGraphTask{
                bytes(in.getGraphTaskId()), bytes(in.getTaskId()),
                enumValue<NodeTaskType>(in.getNodeTaskType(), 2, "stateGraphTask.nodeTaskType"),
                dataList(in.getParentTaskIds())};
        }
        case Which::CLIENT_DISCONNECT:
            return ClientDisconnect{
                enumValue<DisconnectType>(root.getClientDisconnect().getDisconnectType(), 2,
                                          "clientDisconnect.disconnectType")};
        case Which::CLIENT_SHUTDOWN_RESPONSE:
            return ClientShutdownResponse{root.getClientShutdownResponse().getAccepted()};
        case Which::PROCESSOR_INITIALIZED:
            return ProcessorInitialized{};
        case Which::WORKER_CAPABILITIES: {
            const auto in = root.getWorkerCapabilities();
            return WorkerCapabilities{dataList(in.getFunctions()), in.getExecutors(),
                                      in.getProtocolVersion()};
        }
        case Which::CLIENT_CAPABILITIES: {
            const auto in = root.getClientCapabilities();
            return ClientCapabilities{in.getFeatures(), in.getProtocolVersion()};
        }
    }
    refuse(fmt::format("unknown message type {}", tag));  // unreachable: tag checked above
}

}  // namespace plexus::detail
