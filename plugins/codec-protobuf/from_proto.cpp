// Generated protobuf types -> plexus::Message (see proto_convert.h for the contract).
//
// Byte strings are moved out of the parsed message, not copied: a parsed bytes field is a
// std::string that protobuf filled once; moving it hands that allocation to the plexus message.

#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "proto_convert.h"

namespace plexus::detail::pb {

// `Message.kind` field number = MessageKind ordinal + 1 (proto/plexus.proto).
#define PLEXUS_PB_CHECK_KIND(CASE, KIND)                                                  \
    static_assert(                                                                        \
        static_cast<int>(wire::Message::CASE) == static_cast<int>(MessageKind::KIND) + 1, \
        "plexus.proto: field number of " #KIND " is not ordinal + 1")
PLEXUS_PB_CHECK_KIND(kTask, task);
PLEXUS_PB_CHECK_KIND(kTaskCancel, taskCancel);
PLEXUS_PB_CHECK_KIND(kTaskResult, taskResult);
PLEXUS_PB_CHECK_KIND(kGraphTask, graphTask);
PLEXUS_PB_CHECK_KIND(kGraphTaskCancel, graphTaskCancel);
PLEXUS_PB_CHECK_KIND(kObjectInstruction, objectInstruction);
PLEXUS_PB_CHECK_KIND(kObjectRequest, objectRequest);
PLEXUS_PB_CHECK_KIND(kObjectResponse, objectResponse);
PLEXUS_PB_CHECK_KIND(kClientHeartbeat, clientHeartbeat);
PLEXUS_PB_CHECK_KIND(kClientHeartbeatEcho, clientHeartbeatEcho);
PLEXUS_PB_CHECK_KIND(kWorkerHeartbeat, workerHeartbeat);
PLEXUS_PB_CHECK_KIND(kWorkerHeartbeatEcho, workerHeartbeatEcho);
PLEXUS_PB_CHECK_KIND(kDisconnectRequest, disconnectRequest);
PLEXUS_PB_CHECK_KIND(kDisconnectResponse, disconnectResponse);
PLEXUS_PB_CHECK_KIND(kStateClient, stateClient);
PLEXUS_PB_CHECK_KIND(kStateObject, stateObject);
PLEXUS_PB_CHECK_KIND(kStateBalanceAdvice, stateBalanceAdvice);
PLEXUS_PB_CHECK_KIND(kStateScheduler, stateScheduler);
PLEXUS_PB_CHECK_KIND(kStateWorker, stateWorker);
PLEXUS_PB_CHECK_KIND(kStateTask, stateTask);
PLEXUS_PB_CHECK_KIND(kStateGraphTask, stateGraphTask);
PLEXUS_PB_CHECK_KIND(kClientDisconnect, clientDisconnect);
PLEXUS_PB_CHECK_KIND(kClientShutdownResponse, clientShutdownResponse);
PLEXUS_PB_CHECK_KIND(kProcessorInitialized, processorInitialized);
PLEXUS_PB_CHECK_KIND(kWorkerCapabilities, workerCapabilities);
PLEXUS_PB_CHECK_KIND(kClientCapabilities, clientCapabilities);
#undef PLEXUS_PB_CHECK_KIND
static_assert(kMessageKindCount == 26, "a new kind needs a field in plexus.proto's oneof");

// Enumerant numbers equal the plexus enums' values.
static_assert(wire::TaskStatus_ARRAYSIZE == kTaskStatusCount);
static_assert(wire::ObjectType_ARRAYSIZE == kObjectTypeCount);
static_assert(wire::ArgumentType_ARRAYSIZE == kArgumentTypeCount);
static_assert(wire::ObjectInstructionType_ARRAYSIZE == kObjectInstructionTypeCount);
static_assert(wire::ObjectRequestType_ARRAYSIZE == kObjectRequestTypeCount);
static_assert(wire::ObjectResponseType_ARRAYSIZE == kObjectResponseTypeCount);
static_assert(wire::NodeTaskType_ARRAYSIZE == kNodeTaskTypeCount);
static_assert(wire::DisconnectType_ARRAYSIZE == kDisconnectTypeCount);
static_assert(static_cast<int>(wire::TASK_STATUS_CANCELING) ==
              static_cast<int>(TaskStatus::canceling));
static_assert(static_cast<int>(wire::OBJECT_INSTRUCTION_TYPE_DELETE) ==
              static_cast<int>(ObjectInstructionType::del));
static_assert(static_cast<int>(wire::ARGUMENT_TYPE_OBJECT_ID) ==
              static_cast<int>(ArgumentType::objectID));

namespace {

Bytes take(std::string* value) {
    return std::move(*value);
}

std::vector<Bytes> takeList(google::protobuf::RepeatedPtrField<std::string>* values) {
    std::vector<Bytes> out;
    out.reserve(static_cast<std::size_t>(values->size()));
    for (std::string& value : *values) out.push_back(std::move(value));
    return out;
}

/// A wire integer in a narrower plexus field; refuses values that do not fit.
template <class Narrow>
Narrow narrow(std::uint32_t value, std::string_view field) {
    if (value > std::numeric_limits<Narrow>::max()) {
        refuse(ErrorKind::Decode, std::string(field) + ": " + std::to_string(value) +
                                      " does not fit in " + std::to_string(sizeof(Narrow) * 8) +
                                      " bits");
    }
    return static_cast<Narrow>(value);
}

Resource readResource(const wire::Resource& in, std::string_view field) {
    return Resource{narrow<std::uint16_t>(in.cpu(), field), in.rss()};
}

std::vector<ProcessorStatus> readProcessors(
    const google::protobuf::RepeatedPtrField<wire::ProcessorStatus>& list, std::string_view field) {
    std::vector<ProcessorStatus> out;
    out.reserve(static_cast<std::size_t>(list.size()));
    for (const wire::ProcessorStatus& in : list) {
        out.push_back(ProcessorStatus{in.pid(), in.initialized(), in.has_task(), in.suspended(),
                                      readResource(in.resource(), field)});
    }
    return out;
}

Task readTask(wire::Task& in) {
    Task out;
    out.taskId = take(in.mutable_task_id());
    out.source = take(in.mutable_source());
    out.metadata = take(in.mutable_metadata());
    out.funcObjectId = take(in.mutable_func_object_id());
    out.functionArgs.reserve(static_cast<std::size_t>(in.function_args_size()));
    for (wire::Argument& arg : *in.mutable_function_args()) {
        out.functionArgs.push_back(Argument{
            enumFromWire<ArgumentType>(arg.type(), kArgumentTypeCount, "task.functionArgs.type"),
            take(arg.mutable_data())});
    }
    return out;
}

ObjectContent readObjectContent(wire::ObjectContent& in, std::string_view field) {
    ObjectContent out;
    out.ids = takeList(in.mutable_object_ids());
    out.types.reserve(static_cast<std::size_t>(in.object_types_size()));
    for (int type : in.object_types()) {
        out.types.push_back(
            enumFromWire<ObjectType>(type, kObjectTypeCount, "objectContent.objectTypes"));
    }
    out.names = takeList(in.mutable_object_names());
    out.payloads.reserve(static_cast<std::size_t>(in.object_payloads_size()));
    for (wire::ObjectPayload& payload : *in.mutable_object_payloads()) {
        auto& chunks = out.payloads.emplace_back();
        chunks.reserve(static_cast<std::size_t>(payload.chunks_size()));
        for (std::string& chunk : *payload.mutable_chunks()) {
            if (chunk.empty()) {
                chunks.emplace_back();
                continue;
            }
            // The parsed string's allocation becomes the chunk's owner: no copy.
            auto owner = std::make_shared<const std::string>(std::move(chunk));
            const auto* data = reinterpret_cast<const std::byte*>(owner->data());
            const std::size_t size = owner->size();
            chunks.push_back(Buffer::wrap(std::move(owner), data, size));
        }
    }
    checkParallel(out, ErrorKind::Decode, field);
    return out;
}

StateScheduler readStateScheduler(wire::StateScheduler& in) {
    StateScheduler out;
    const auto readCounts = [](google::protobuf::RepeatedPtrField<wire::MessageCount>* list) {
        std::vector<MessageCount> counts;
        counts.reserve(static_cast<std::size_t>(list->size()));
        for (wire::MessageCount& count : *list) {
            counts.push_back(MessageCount{take(count.mutable_name()), count.number()});
        }
        return counts;
    };
    wire::BinderStatus* binder = in.mutable_binder();
    out.binder.received = readCounts(binder->mutable_received());
    out.binder.sent = readCounts(binder->mutable_sent());

    out.scheduler = readResource(in.scheduler(), "stateScheduler.scheduler.cpu");
    out.rssFree = in.rss_free();

    auto* clients = in.mutable_client_manager()->mutable_client_to_num_of_task();
    out.clientManager.clientToNumOfTask.reserve(static_cast<std::size_t>(clients->size()));
    for (wire::ClientTaskCount& client : *clients) {
        out.clientManager.clientToNumOfTask.push_back(
            ClientTaskCount{take(client.mutable_client()), client.num_task()});
    }

    out.objectManager.numberOfObjects = in.object_manager().number_of_objects();

    const wire::TaskManagerStatus& tasks = in.task_manager();
    out.taskManager = TaskManagerStatus{tasks.unassigned(), tasks.running(),  tasks.success(),
                                        tasks.failed(),     tasks.canceled(), tasks.not_found()};

    auto* workers = in.mutable_worker_manager()->mutable_workers();
    out.workerManager.workers.reserve(static_cast<std::size_t>(workers->size()));
    for (wire::WorkerStatus& w : *workers) {
        constexpr std::string_view kField = "stateScheduler.workerManager.workers";
        WorkerStatus status;
        status.workerId = take(w.mutable_worker_id());
        status.agent = readResource(w.agent(), kField);
        status.rssFree = w.rss_free();
        status.free = w.free();
        status.sent = w.sent();
        status.queued = w.queued();
        status.suspended = narrow<std::uint8_t>(w.suspended(), kField);
        status.lagUS = w.lag_us();
        status.lastS = narrow<std::uint8_t>(w.last_s(), kField);
        status.itl = take(w.mutable_itl());
        status.processorStatuses = readProcessors(w.processor_statuses(), kField);
        out.workerManager.workers.push_back(std::move(status));
    }
    return out;
}

}  // namespace

Message fromProto(wire::Message& root) {
    using Case = wire::Message::KindCase;
    switch (root.kind_case()) {
        case Case::kTask:
            return readTask(*root.mutable_task());
        case Case::kTaskCancel: {
            wire::TaskCancel& in = *root.mutable_task_cancel();
            return TaskCancel{take(in.mutable_task_id()), in.force(), in.retrieve_task_object()};
        }
        case Case::kTaskResult: {
            wire::TaskResult& in = *root.mutable_task_result();
            return TaskResult{
                take(in.mutable_task_id()),
                enumFromWire<TaskStatus>(in.status(), kTaskStatusCount, "taskResult.status"),
                take(in.mutable_metadata()), takeList(in.mutable_results())};
        }
        case Case::kGraphTask: {
            wire::GraphTask& in = *root.mutable_graph_task();
            GraphTask out;
            out.taskId = take(in.mutable_task_id());
            out.source = take(in.mutable_source());
            out.targets = takeList(in.mutable_targets());
            out.graph.reserve(static_cast<std::size_t>(in.graph_size()));
            for (wire::Task& task : *in.mutable_graph()) out.graph.push_back(readTask(task));
            return out;
        }
        case Case::kGraphTaskCancel:
            return GraphTaskCancel{take(root.mutable_graph_task_cancel()->mutable_task_id())};
        case Case::kObjectInstruction: {
            wire::ObjectInstruction& in = *root.mutable_object_instruction();
            return ObjectInstruction{
                enumFromWire<ObjectInstructionType>(in.instruction_type(),
                                                    kObjectInstructionTypeCount,
                                                    "objectInstruction.instructionType"),
                take(in.mutable_object_user()),
                readObjectContent(*in.mutable_object_content(), "objectInstruction.objectContent")};
        }
        case Case::kObjectRequest: {
            wire::ObjectRequest& in = *root.mutable_object_request();
            return ObjectRequest{
                enumFromWire<ObjectRequestType>(in.request_type(), kObjectRequestTypeCount,
                                                "objectRequest.requestType"),
                takeList(in.mutable_object_ids())};
        }
        case Case::kObjectResponse: {
            wire::ObjectResponse& in = *root.mutable_object_response();
            return ObjectResponse{
                enumFromWire<ObjectResponseType>(in.response_type(), kObjectResponseTypeCount,
                                                 "objectResponse.responseType"),
                readObjectContent(*in.mutable_object_content(), "objectResponse.objectContent")};
        }
        case Case::kClientHeartbeat: {
            const wire::ClientHeartbeat& in = root.client_heartbeat();
            return ClientHeartbeat{readResource(in.resource(), "clientHeartbeat.resource.cpu"),
                                   in.latency_us()};
        }
        case Case::kClientHeartbeatEcho:
            return ClientHeartbeatEcho{};
        case Case::kWorkerHeartbeat: {
            const wire::WorkerHeartbeat& in = root.worker_heartbeat();
            return WorkerHeartbeat{readResource(in.agent(), "workerHeartbeat.agent.cpu"),
                                   in.rss_free(),
                                   in.queued_tasks(),
                                   in.latency_us(),
                                   in.task_lock(),
                                   readProcessors(in.processors(), "workerHeartbeat.processors")};
        }
        case Case::kWorkerHeartbeatEcho:
            return WorkerHeartbeatEcho{};
        case Case::kDisconnectRequest:
            return DisconnectRequest{take(root.mutable_disconnect_request()->mutable_worker())};
        case Case::kDisconnectResponse:
            return DisconnectResponse{take(root.mutable_disconnect_response()->mutable_worker())};
        case Case::kStateClient:
            return StateClient{};
        case Case::kStateObject:
            return StateObject{};
        case Case::kStateBalanceAdvice: {
            wire::StateBalanceAdvice& in = *root.mutable_state_balance_advice();
            return StateBalanceAdvice{take(in.mutable_worker_id()),
                                      takeList(in.mutable_task_ids())};
        }
        case Case::kStateScheduler:
            return readStateScheduler(*root.mutable_state_scheduler());
        case Case::kStateWorker: {
            wire::StateWorker& in = *root.mutable_state_worker();
            return StateWorker{take(in.mutable_worker_id()), take(in.mutable_message())};
        }
        case Case::kStateTask: {
            wire::StateTask& in = *root.mutable_state_task();
            return StateTask{
                take(in.mutable_task_id()), take(in.mutable_function_name()),
                enumFromWire<TaskStatus>(in.status(), kTaskStatusCount, "stateTask.status"),
                take(in.mutable_worker()), take(in.mutable_metadata())};
        }
        case Case::kStateGraphTask: {
            wire::StateGraphTask& in = *root.mutable_state_graph_task();
            return StateGraphTask{
                take(in.mutable_graph_task_id()), take(in.mutable_task_id()),
                enumFromWire<NodeTaskType>(in.node_task_type(), kNodeTaskTypeCount,
                                           "stateGraphTask.nodeTaskType"),
                takeList(in.mutable_parent_task_ids())};
        }
        case Case::kClientDisconnect:
            return ClientDisconnect{enumFromWire<DisconnectType>(
                root.client_disconnect().disconnect_type(), kDisconnectTypeCount,
                "clientDisconnect.disconnectType")};
        case Case::kClientShutdownResponse:
            return ClientShutdownResponse{root.client_shutdown_response().accepted()};
        case Case::kProcessorInitialized:
            return ProcessorInitialized{};
        case Case::kWorkerCapabilities: {
            wire::WorkerCapabilities& in = *root.mutable_worker_capabilities();
            return WorkerCapabilities{takeList(in.mutable_functions()), in.executors(),
                                      in.protocol_version()};
        }
        case Case::kClientCapabilities: {
            const wire::ClientCapabilities& in = root.client_capabilities();
            return ClientCapabilities{in.features(), in.protocol_version()};
        }
        case Case::KIND_NOT_SET:
            break;
    }
    refuse(ErrorKind::Decode, "unknown message type: no message kind is set");
}

}  // namespace plexus::detail::pb
