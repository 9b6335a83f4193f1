// plexus::Message -> Cap'n Proto builders (see wire_convert.h for the contract).

#include <capnp/orphan.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "capnp_codec.h"
#include "wire_convert.h"

namespace plexus::detail {
namespace {

/// A Cap'n Proto list holds at most 2^29-1 elements (29-bit element count).
constexpr std::size_t kMaxListElements = (std::size_t{1} << 29) - 1;
/// Payload pieces from this size up are referenced in place (see ExternalPieces) rather than
/// copied into the builder and then again into the frame. Smaller ones are copied: for them a
/// segment of their own (a segment-table entry and a two-word landing pad) costs about as much
/// as the copy it saves.
constexpr std::size_t kMinExternalPieceBytes = 64 * 1024;
/// A valid address for empty blobs (capnp copies `size` bytes from it: none).
constexpr capnp::byte kNoByte = 0;
/// Text is Data plus a NUL terminator.
constexpr std::size_t kMaxTextBytes = kCapnpMaxDataBytes - 1;

[[noreturn]] void refuse(ErrorKind kind, std::string message) {
    throw ConversionError{kind, std::move(message)};
}

capnp::Data::Reader data(const Bytes& bytes, std::string_view field) {
    if (bytes.size() > kCapnpMaxDataBytes) {
        refuse(ErrorKind::TooLarge,
               fmt::format("{}: {} bytes exceed Cap'n Proto's Data limit of {}", field,
                           bytes.size(), kCapnpMaxDataBytes));
    }
    return {reinterpret_cast<const capnp::byte*>(bytes.data()), bytes.size()};
}

capnp::Text::Reader text(const std::string& value, std::string_view field) {
    if (value.size() > kMaxTextBytes) {
        refuse(ErrorKind::TooLarge,
               fmt::format("{}: {} bytes exceed Cap'n Proto's Text limit of {}", field,
                           value.size(), kMaxTextBytes));
    }
    return {value.c_str(), value.size()};  // c_str(): Text::Reader wants the terminator
}

unsigned listSize(std::size_t size, std::string_view field) {
    if (size > kMaxListElements) {
        refuse(ErrorKind::TooLarge,
               fmt::format("{}: {} elements exceed Cap'n Proto's list limit of {}", field, size,
                           kMaxListElements));
    }
    return static_cast<unsigned>(size);
}

/// The wire value of a plexus enum, refusing values outside the schema's enumerants (a caller
/// that cast an arbitrary integer would otherwise produce a frame peers reject).
template <class WireEnum, class PlexusEnum>
WireEnum enumValue(PlexusEnum value, std::uint16_t count, std::string_view field) {
    const auto raw = static_cast<std::uint16_t>(value);
    if (raw >= count) {
        refuse(ErrorKind::InvalidArgument,
               fmt::format("{}: value {} is not one of the {} enumerants", field, raw, count));
    }
    return static_cast<WireEnum>(raw);
}

template <class InitList>
void writeDataList(const std::vector<Bytes>& values, std::string_view field, InitList init) {
    auto list = init(listSize(values.size(), field));
    for (unsigned i = 0; i < list.size(); ++i) list.set(i, data(values[i], field));
}

void writeResource(const Resource& value, wire::Resource::Builder out) {
    out.setCpu(value.cpu);
    out.setRss(value.rss);
}

void writeProcessors(const std::vector<ProcessorStatus>& values,
                     capnp::List<wire::ProcessorStatus>::Builder out) {
    for (unsigned i = 0; i < out.size(); ++i) {
        const ProcessorStatus& value = values[i];
        auto p = out[i];
        p.setPid(value.pid);
        p.setInitialized(value.initialized);
        p.setHasTask(value.hasTask);
        p.setSuspended(value.suspended);
        writeResource(value.resource, p.initResource());
    }
}

void writeTask(const Task& value, wire::Task::Builder out) {
    out.setTaskId(data(value.taskId, "task.taskId"));
    out.setSource(data(value.source, "task.source"));
    out.setMetadata(data(value.metadata, "task.metadata"));
    out.setFuncObjectId(data(value.funcObjectId, "task.funcObjectId"));
    auto args = out.initFunctionArgs(listSize(value.functionArgs.size(), "task.functionArgs"));
    for (unsigned i = 0; i < args.size(); ++i) {
        const Argument& arg = value.functionArgs[i];
        args[i].setType(
            enumValue<wire::Task::Argument::ArgumentType>(arg.type, 2, "task.functionArgs.type"));
        args[i].setData(data(arg.data, "task.functionArgs.data"));
    }
}

/// The parallel lists must line up: every non-empty list has one element per id (a delete or a
/// request carries ids only).
void checkParallel(const ObjectContent& value, std::string_view field) {
    const std::size_t n = value.ids.size();
    const auto check = [&](std::size_t size, std::string_view list) {
        if (size != 0 && size != n) {
            refuse(ErrorKind::InvalidArgument,
                   fmt::format("{}: {} {} for {} ids", field, size, list, n));
        }
    };
    check(value.types.size(), "types");
    check(value.names.size(), "names");
    check(value.payloads.size(), "payloads");
}

/// Whether a payload piece is referenced in place: large, and word-aligned as Cap'n Proto
/// requires of external data (Buffer::allocate() memory and payloads decoded from a frame are;
/// a piece cut at an odd offset of a longer chunk may not be, and is copied).
bool referencedInPlace(const std::byte* bytes, std::size_t size) {
    return size >= kMinExternalPieceBytes &&
           reinterpret_cast<std::uintptr_t>(bytes) % sizeof(capnp::word) == 0;
}

/// Calls visit(bytes, size) for each Data piece an object's chunks are written as: an empty
/// chunk stays one empty piece, a long one becomes ceil(size / maxChunkBytes) pieces.
template <class Visit>
void forEachPiece(const std::vector<Buffer>& chunks, std::size_t maxChunkBytes, Visit visit) {
    for (const Buffer& chunk : chunks) {
        if (chunk.empty()) {
            visit(chunk.data(), 0);
            continue;
        }
        for (std::size_t offset = 0; offset < chunk.size(); offset += maxChunkBytes) {
            visit(chunk.data() + offset, std::min(maxChunkBytes, chunk.size() - offset));
        }
    }
}

void writeObjectContent(const ObjectContent& value, std::string_view field,
                        std::size_t maxChunkBytes, ExternalPieces& external,
                        wire::ObjectContent::Builder out) {
    checkParallel(value, field);
    writeDataList(value.ids, "objectContent.objectIds",
                  [&](unsigned n) { return out.initObjectIds(n); });
    auto types = out.initObjectTypes(listSize(value.types.size(), "objectContent.objectTypes"));
    for (unsigned i = 0; i < types.size(); ++i) {
        types.set(i, enumValue<wire::ObjectContent::ObjectContentType>(
                         value.types[i], kObjectTypeCount, "objectContent.objectTypes"));
    }
    writeDataList(value.names, "objectContent.objectNames",
                  [&](unsigned n) { return out.initObjectNames(n); });

    const auto orphanage = capnp::Orphanage::getForMessageContaining(out);
    auto objects =
        out.initObjectBytes(listSize(value.payloads.size(), "objectContent.objectBytes"));
    for (unsigned i = 0; i < objects.size(); ++i) {
        const std::vector<Buffer>& chunks = value.payloads[i];
        std::size_t pieces = 0;
        forEachPiece(chunks, maxChunkBytes, [&](const std::byte*, std::size_t) { ++pieces; });
        auto pieceList = objects.init(i, listSize(pieces, "objectContent.objectBytes"));
        unsigned next = 0;
        forEachPiece(chunks, maxChunkBytes, [&](const std::byte* bytes, std::size_t size) {
            if (referencedInPlace(bytes, size)) {
                pieceList.adopt(next++, orphanage.referenceExternalData(capnp::Data::Reader(
                                            reinterpret_cast<const capnp::byte*>(bytes), size)));
                external.emplace_back(bytes, size);
            } else {
                const auto* data =
                    size == 0 ? &kNoByte : reinterpret_cast<const capnp::byte*>(bytes);
                pieceList.set(next++, capnp::Data::Reader(data, size));
            }
        });
    }
}

// One overload per alternative of plexus::Message, each selecting its union member.

void writeVariant(const Task& value, wire::Message::Builder root, std::size_t) {
    writeTask(value, root.initTask());
}

void writeVariant(const TaskCancel& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initTaskCancel();
    out.setTaskId(data(value.taskId, "taskCancel.taskId"));
    auto flags = out.initFlags();
    flags.setForce(value.force);
    flags.setRetrieveTaskObject(value.retrieveTaskObject);
}

void writeVariant(const TaskResult& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initTaskResult();
    out.setTaskId(data(value.taskId, "taskResult.taskId"));
    out.setStatus(enumValue<wire::TaskStatus>(value.status, kTaskStatusCount, "taskResult.status"));
    out.setMetadata(data(value.metadata, "taskResult.metadata"));
    writeDataList(value.results, "taskResult.results",
                  [&](unsigned n) { return out.initResults(n); });
}

void writeVariant(const GraphTask& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initGraphTask();
    out.setTaskId(data(value.taskId, "graphTask.taskId"));
    out.setSource(data(value.source, "graphTask.source"));
    writeDataList(value.targets, "graphTask.targets",
                  [&](unsigned n) { return out.initTargets(n); });
    auto graph = out.initGraph(listSize(value.graph.size(), "graphTask.graph"));
    for (unsigned i = 0; i < graph.size(); ++i) writeTask(value.graph[i], graph[i]);
}

void writeVariant(const GraphTaskCancel& value, wire::Message::Builder root, std::size_t) {
    root.initGraphTaskCancel().setTaskId(data(value.taskId, "graphTaskCancel.taskId"));
}

void writeVariant(const ObjectInstruction& value, wire::Message::Builder root,
                  std::size_t maxChunkBytes, ExternalPieces& external) {
    auto out = root.initObjectInstruction();
    out.setInstructionType(enumValue<wire::ObjectInstruction::ObjectInstructionType>(
        value.instructionType, 3, "objectInstruction.instructionType"));
    out.setObjectUser(data(value.objectUser, "objectInstruction.objectUser"));
    writeObjectContent(value.objectContent, "objectInstruction.objectContent", maxChunkBytes,
                       external, out.initObjectContent());
}

void writeVariant(const ObjectRequest& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initObjectRequest();
    out.setRequestType(enumValue<wire::ObjectRequest::ObjectRequestType>(
        value.requestType, 1, "objectRequest.requestType"));
    writeDataList(value.objectIds, "objectRequest.objectIds",
                  [&](unsigned n) { return out.initObjectIds(n); });
}

void writeVariant(const ObjectResponse& value, wire::Message::Builder root,
                  std::size_t maxChunkBytes, ExternalPieces& external) {
    auto out = root.initObjectResponse();
    out.setResponseType(enumValue<wire::ObjectResponse::ObjectResponseType>(
        value.responseType, 2, "objectResponse.responseType"));
    writeObjectContent(value.objectContent, "objectResponse.objectContent", maxChunkBytes, external,
                       out.initObjectContent());
}

void writeVariant(const ClientHeartbeat& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initClientHeartbeat();
    writeResource(value.resource, out.initResource());
    out.setLatencyUS(value.latencyUS);
}

void writeVariant(const ClientHeartbeatEcho&, wire::Message::Builder root, std::size_t) {
    root.initClientHeartbeatEcho();
}

void writeVariant(const WorkerHeartbeat& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initWorkerHeartbeat();
    writeResource(value.agent, out.initAgent());
    out.setRssFree(value.rssFree);
    out.setQueuedTasks(value.queuedTasks);
    out.setLatencyUS(value.latencyUS);
    out.setTaskLock(value.taskLock);
    writeProcessors(value.processors, out.initProcessors(listSize(value.processors.size(),
                                                                  "workerHeartbeat.processors")));
}

void writeVariant(const WorkerHeartbeatEcho&, wire::Message::Builder root, std::size_t) {
    root.initWorkerHeartbeatEcho();
}

void writeVariant(const DisconnectRequest& value, wire::Message::Builder root, std::size_t) {
    root.initDisconnectRequest().setWorker(data(value.worker, "disconnectRequest.worker"));
}

void writeVariant(const DisconnectResponse& value, wire::Message::Builder root, std::size_t) {
    root.initDisconnectResponse().setWorker(data(value.worker, "disconnectResponse.worker"));
}

void writeVariant(const StateClient&, wire::Message::Builder root, std::size_t) {
    root.initStateClient();
}

void writeVariant(const StateObject&, wire::Message::Builder root, std::size_t) {
    root.initStateObject();
}

void writeVariant(const StateBalanceAdvice& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initStateBalanceAdvice();
    out.setWorkerId(data(value.workerId, "stateBalanceAdvice.workerId"));
    writeDataList(value.taskIds, "stateBalanceAdvice.taskIds",
                  [&](unsigned n) { return out.initTaskIds(n); });
}

void writeMessageCounts(const std::vector<MessageCount>& values, std::string_view field,
                        capnp::List<wire::BinderStatus::Pair>::Builder out) {
    for (unsigned i = 0; i < out.size(); ++i) {
        out[i].setClient(text(values[i].name, field));
        out[i].setNumber(values[i].number);
    }
}

void writeVariant(const StateScheduler& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initStateScheduler();

    auto binder = out.initBinder();
    writeMessageCounts(value.binder.received, "stateScheduler.binder.received",
                       binder.initReceived(listSize(value.binder.received.size(),
                                                    "stateScheduler.binder.received")));
    writeMessageCounts(
        value.binder.sent, "stateScheduler.binder.sent",
        binder.initSent(listSize(value.binder.sent.size(), "stateScheduler.binder.sent")));

    writeResource(value.scheduler, out.initScheduler());
    out.setRssFree(value.rssFree);

    const auto& clients = value.clientManager.clientToNumOfTask;
    auto clientList = out.initClientManager().initClientToNumOfTask(
        listSize(clients.size(), "stateScheduler.clientManager.clientToNumOfTask"));
    for (unsigned i = 0; i < clientList.size(); ++i) {
        clientList[i].setClient(
            data(clients[i].client, "stateScheduler.clientManager.clientToNumOfTask.client"));
        clientList[i].setNumTask(clients[i].numTask);
    }

    out.initObjectManager().setNumberOfObjects(value.objectManager.numberOfObjects);

    auto tasks = out.initTaskManager();
    tasks.setUnassigned(value.taskManager.unassigned);
    tasks.setRunning(value.taskManager.running);
    tasks.setSuccess(value.taskManager.success);
    tasks.setFailed(value.taskManager.failed);
    tasks.setCanceled(value.taskManager.canceled);
    tasks.setNotFound(value.taskManager.notFound);

    const auto& workers = value.workerManager.workers;
    auto workerList = out.initWorkerManager().initWorkers(
        listSize(workers.size(), "stateScheduler.workerManager.workers"));
    for (unsigned i = 0; i < workerList.size(); ++i) {
        const WorkerStatus& in = workers[i];
        auto w = workerList[i];
        w.setWorkerId(data(in.workerId, "stateScheduler.workerManager.workers.workerId"));
        writeResource(in.agent, w.initAgent());
        w.setRssFree(in.rssFree);
        w.setFree(in.free);
        w.setSent(in.sent);
        w.setQueued(in.queued);
        w.setSuspended(in.suspended);
        w.setLagUS(in.lagUS);
        w.setLastS(in.lastS);
        w.setItl(text(in.itl, "stateScheduler.workerManager.workers.itl"));
        writeProcessors(in.processorStatuses,
                        w.initProcessorStatuses(
                            listSize(in.processorStatuses.size(),
                                     "stateScheduler.workerManager.workers.processorStatuses")));
    }
}

void writeVariant(const StateWorker& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initStateWorker();
    out.setWorkerId(data(value.workerId, "stateWorker.workerId"));
    out.setMessage(data(value.message, "stateWorker.message"));
}

void writeVariant(const StateTask& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initStateTask();
    out.setTaskId(data(value.taskId, "stateTask.taskId"));
    out.setFunctionName(data(value.functionName, "stateTask.functionName"));
    out.setStatus(enumValue<wire::TaskStatus>(value.status, kTaskStatusCount, "stateTask.status"));
    out.setWorker(data(value.worker, "stateTask.worker"));
    out.setMetadata(data(value.metadata, "stateTask.metadata"));
}

void writeVariant(const StateGraphTask& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initStateGraphTask();
    out.setGraphTaskId(data(value.graphTaskId, "stateGraphTask.graphTaskId"));
    out.setTaskId(data(value.taskId, "stateGraphTask.taskId"));
    out.setNodeTaskType(enumValue<wire::StateGraphTask::NodeTaskType>(
        value.nodeTaskType, 2, "stateGraphTask.nodeTaskType"));
    writeDataList(value.parentTaskIds, "stateGraphTask.parentTaskIds",
                  [&](unsigned n) { return out.initParentTaskIds(n); });
}

void writeVariant(const ClientDisconnect& value, wire::Message::Builder root, std::size_t) {
    root.initClientDisconnect().setDisconnectType(enumValue<wire::ClientDisconnect::DisconnectType>(
        value.disconnectType, 2, "clientDisconnect.disconnectType"));
}

void writeVariant(const ClientShutdownResponse& value, wire::Message::Builder root, std::size_t) {
    root.initClientShutdownResponse().setAccepted(value.accepted);
}

void writeVariant(const ProcessorInitialized&, wire::Message::Builder root, std::size_t) {
    root.initProcessorInitialized();
}

void writeVariant(const WorkerCapabilities& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initWorkerCapabilities();
    writeDataList(value.functions, "workerCapabilities.functions",
                  [&](unsigned n) { return out.initFunctions(n); });
    out.setExecutors(value.executors);
    out.setProtocolVersion(value.protocolVersion);
}

void writeVariant(const ClientCapabilities& value, wire::Message::Builder root, std::size_t) {
    auto out = root.initClientCapabilities();
    out.setFeatures(value.features);
    out.setProtocolVersion(value.protocolVersion);
}

std::size_t wordsFor(std::size_t bytes) {
    return (bytes + 7) / 8;
}

}  // namespace

void toWire(const Message& message, wire::Message::Builder root, std::size_t maxChunkBytes,
            ExternalPieces& external) {
    std::visit(
        [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, ObjectInstruction> ||
                          std::is_same_v<T, ObjectResponse>) {
                writeVariant(value, root, maxChunkBytes, external);
            } else {
                writeVariant(value, root, maxChunkBytes);
            }
        },
        message);
}

std::size_t estimateWireWords(const Message& message, std::size_t maxChunkBytes) noexcept {
    // Room for any ordinary message (ids of 16-32 bytes, a few list entries) without a second
    // segment; capnp's own default first segment is 1024 words, which is more than heartbeats
    // and tasks need.
    constexpr std::size_t kBaseWords = 256;
    // Upper bound on the first segment (2 GiB): beyond it capnp adds segments anyway.
    constexpr std::size_t kMaxFirstSegmentWords = std::size_t{1} << 28;

    const ObjectContent* content = nullptr;
    if (const auto* instruction = std::get_if<ObjectInstruction>(&message)) {
        content = &instruction->objectContent;
    } else if (const auto* response = std::get_if<ObjectResponse>(&message)) {
        content = &response->objectContent;
    }
    std::size_t words = kBaseWords;
    if (content != nullptr) {
        // One pointer word per list element plus the element's bytes, word-padded.
        for (const Bytes& id : content->ids) words += 1 + wordsFor(id.size());
        for (const Bytes& name : content->names) words += 1 + wordsFor(name.size());
        words += content->types.size() / 4 + 1;
        for (const auto& chunks : content->payloads) {
            words += 2;  // the object's pointer and its list's pointer
            // A piece's pointer, then either its bytes or, for a piece referenced in place, the
            // two-word landing pad of the far pointer to its segment.
            forEachPiece(chunks, maxChunkBytes, [&](const std::byte* bytes, std::size_t size) {
                words += 1 + (referencedInPlace(bytes, size) ? 2 : wordsFor(size));
            });
            if (words >= kMaxFirstSegmentWords) break;
        }
    }
    return std::min(words, kMaxFirstSegmentWords);
}

}  // namespace plexus::detail
