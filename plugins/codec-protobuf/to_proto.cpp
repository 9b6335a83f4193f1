// plexus::Message -> generated protobuf types (see proto_convert.h for the contract).

#include <string>
#include <string_view>
#include <type_traits>

#include "proto_convert.h"

namespace plexus::detail::pb {

void refuse(ErrorKind kind, std::string message) {
    throw ConversionError{kind, std::move(message)};
}

void checkParallel(const ObjectContent& content, ErrorKind kind, std::string_view field) {
    const std::size_t n = content.ids.size();
    const auto check = [&](std::size_t size, std::string_view list) {
        if (size != 0 && size != n) {
            refuse(kind, std::string(field) + ": " + std::to_string(size) + " " +
                             std::string(list) + " for " + std::to_string(n) + " ids");
        }
    };
    check(content.types.size(), "types");
    check(content.names.size(), "names");
    check(content.payloads.size(), "payloads");
}

namespace {

template <class WireEnum, class PlexusEnum>
WireEnum wireEnum(PlexusEnum value, std::uint16_t count, std::string_view field) {
    return static_cast<WireEnum>(enumToWire(value, count, field));
}

void writeBytesList(const std::vector<Bytes>& values,
                    google::protobuf::RepeatedPtrField<std::string>* out) {
    out->Reserve(static_cast<int>(values.size()));
    for (const Bytes& value : values) out->Add()->assign(value);
}

void writeResource(const Resource& value, wire::Resource* out) {
    out->set_cpu(value.cpu);
    out->set_rss(value.rss);
}

void writeProcessors(const std::vector<ProcessorStatus>& values,
                     google::protobuf::RepeatedPtrField<wire::ProcessorStatus>* out) {
    out->Reserve(static_cast<int>(values.size()));
    for (const ProcessorStatus& value : values) {
        wire::ProcessorStatus* p = out->Add();
        p->set_pid(value.pid);
        p->set_initialized(value.initialized);
        p->set_has_task(value.hasTask);
        p->set_suspended(value.suspended);
        writeResource(value.resource, p->mutable_resource());
    }
}

void writeTask(const Task& value, wire::Task* out) {
    out->set_task_id(value.taskId);
    out->set_source(value.source);
    out->set_metadata(value.metadata);
    out->set_func_object_id(value.funcObjectId);
    out->mutable_function_args()->Reserve(static_cast<int>(value.functionArgs.size()));
    for (const Argument& arg : value.functionArgs) {
        wire::Argument* a = out->add_function_args();
        a->set_type(
            wireEnum<wire::ArgumentType>(arg.type, kArgumentTypeCount, "task.functionArgs.type"));
        a->set_data(arg.data);
    }
}

void writeObjectContent(const ObjectContent& value, std::string_view field,
                        wire::ObjectContent* out) {
    checkParallel(value, ErrorKind::InvalidArgument, field);
    writeBytesList(value.ids, out->mutable_object_ids());
    out->mutable_object_types()->Reserve(static_cast<int>(value.types.size()));
    for (ObjectType type : value.types) {
        out->add_object_types(
            wireEnum<wire::ObjectType>(type, kObjectTypeCount, "objectContent.objectTypes"));
    }
    writeBytesList(value.names, out->mutable_object_names());
    out->mutable_object_payloads()->Reserve(static_cast<int>(value.payloads.size()));
    for (const auto& chunks : value.payloads) {
        wire::ObjectPayload* payload = out->add_object_payloads();
        for (const Buffer& chunk : chunks) payload->add_chunks(chunk.data(), chunk.size());
    }
}

// One overload per alternative of plexus::Message, each setting its oneof member.

void write(const Task& value, wire::Message& root) {
    writeTask(value, root.mutable_task());
}

void write(const TaskCancel& value, wire::Message& root) {
    wire::TaskCancel* out = root.mutable_task_cancel();
    out->set_task_id(value.taskId);
    out->set_force(value.force);
    out->set_retrieve_task_object(value.retrieveTaskObject);
}

void write(const TaskResult& value, wire::Message& root) {
    wire::TaskResult* out = root.mutable_task_result();
    out->set_task_id(value.taskId);
    out->set_status(
        wireEnum<wire::TaskStatus>(value.status, kTaskStatusCount, "taskResult.status"));
    out->set_metadata(value.metadata);
    writeBytesList(value.results, out->mutable_results());
}

void write(const GraphTask& value, wire::Message& root) {
    wire::GraphTask* out = root.mutable_graph_task();
    out->set_task_id(value.taskId);
    out->set_source(value.source);
    writeBytesList(value.targets, out->mutable_targets());
    out->mutable_graph()->Reserve(static_cast<int>(value.graph.size()));
    for (const Task& task : value.graph) writeTask(task, out->add_graph());
}

void write(const GraphTaskCancel& value, wire::Message& root) {
    root.mutable_graph_task_cancel()->set_task_id(value.taskId);
}

void write(const ObjectInstruction& value, wire::Message& root) {
    wire::ObjectInstruction* out = root.mutable_object_instruction();
    out->set_instruction_type(wireEnum<wire::ObjectInstructionType>(
        value.instructionType, kObjectInstructionTypeCount, "objectInstruction.instructionType"));
    out->set_object_user(value.objectUser);
    writeObjectContent(value.objectContent, "objectInstruction.objectContent",
                       out->mutable_object_content());
}

void write(const ObjectRequest& value, wire::Message& root) {
    wire::ObjectRequest* out = root.mutable_object_request();
    out->set_request_type(wireEnum<wire::ObjectRequestType>(
        value.requestType, kObjectRequestTypeCount, "objectRequest.requestType"));
    writeBytesList(value.objectIds, out->mutable_object_ids());
}

void write(const ObjectResponse& value, wire::Message& root) {
    wire::ObjectResponse* out = root.mutable_object_response();
    out->set_response_type(wireEnum<wire::ObjectResponseType>(
        value.responseType, kObjectResponseTypeCount, "objectResponse.responseType"));
    writeObjectContent(value.objectContent, "objectResponse.objectContent",
                       out->mutable_object_content());
}

void write(const ClientHeartbeat& value, wire::Message& root) {
    wire::ClientHeartbeat* out = root.mutable_client_heartbeat();
    writeResource(value.resource, out->mutable_resource());
    out->set_latency_us(value.latencyUS);
}

void write(const ClientHeartbeatEcho&, wire::Message& root) {
    root.mutable_client_heartbeat_echo();
}

void write(const WorkerHeartbeat& value, wire::Message& root) {
    wire::WorkerHeartbeat* out = root.mutable_worker_heartbeat();
    writeResource(value.agent, out->mutable_agent());
    out->set_rss_free(value.rssFree);
    out->set_queued_tasks(value.queuedTasks);
    out->set_latency_us(value.latencyUS);
    out->set_task_lock(value.taskLock);
    writeProcessors(value.processors, out->mutable_processors());
}

void write(const WorkerHeartbeatEcho&, wire::Message& root) {
    root.mutable_worker_heartbeat_echo();
}

void write(const DisconnectRequest& value, wire::Message& root) {
    root.mutable_disconnect_request()->set_worker(value.worker);
}

void write(const DisconnectResponse& value, wire::Message& root) {
    root.mutable_disconnect_response()->set_worker(value.worker);
}

void write(const StateClient&, wire::Message& root) {
    root.mutable_state_client();
}

void write(const StateObject&, wire::Message& root) {
    root.mutable_state_object();
}

void write(const StateBalanceAdvice& value, wire::Message& root) {
    wire::StateBalanceAdvice* out = root.mutable_state_balance_advice();
    out->set_worker_id(value.workerId);
    writeBytesList(value.taskIds, out->mutable_task_ids());
}

void writeMessageCounts(const std::vector<MessageCount>& values,
                        google::protobuf::RepeatedPtrField<wire::MessageCount>* out) {
    out->Reserve(static_cast<int>(values.size()));
    for (const MessageCount& value : values) {
        wire::MessageCount* count = out->Add();
        count->set_name(value.name);
        count->set_number(value.number);
    }
}

void write(const StateScheduler& value, wire::Message& root) {
    wire::StateScheduler* out = root.mutable_state_scheduler();

    wire::BinderStatus* binder = out->mutable_binder();
    writeMessageCounts(value.binder.received, binder->mutable_received());
    writeMessageCounts(value.binder.sent, binder->mutable_sent());

    writeResource(value.scheduler, out->mutable_scheduler());
    out->set_rss_free(value.rssFree);

    auto* clients = out->mutable_client_manager()->mutable_client_to_num_of_task();
    clients->Reserve(static_cast<int>(value.clientManager.clientToNumOfTask.size()));
    for (const ClientTaskCount& client : value.clientManager.clientToNumOfTask) {
        wire::ClientTaskCount* c = clients->Add();
        c->set_client(client.client);
        c->set_num_task(client.numTask);
    }

    out->mutable_object_manager()->set_number_of_objects(value.objectManager.numberOfObjects);

    wire::TaskManagerStatus* tasks = out->mutable_task_manager();
    tasks->set_unassigned(value.taskManager.unassigned);
    tasks->set_running(value.taskManager.running);
    tasks->set_success(value.taskManager.success);
    tasks->set_failed(value.taskManager.failed);
    tasks->set_canceled(value.taskManager.canceled);
    tasks->set_not_found(value.taskManager.notFound);

    auto* workers = out->mutable_worker_manager()->mutable_workers();
    workers->Reserve(static_cast<int>(value.workerManager.workers.size()));
    for (const WorkerStatus& in : value.workerManager.workers) {
        wire::WorkerStatus* w = workers->Add();
        w->set_worker_id(in.workerId);
        writeResource(in.agent, w->mutable_agent());
        w->set_rss_free(in.rssFree);
        w->set_free(in.free);
        w->set_sent(in.sent);
        w->set_queued(in.queued);
        w->set_suspended(in.suspended);
        w->set_lag_us(in.lagUS);
        w->set_last_s(in.lastS);
        w->set_itl(in.itl);
        writeProcessors(in.processorStatuses, w->mutable_processor_statuses());
    }
}

void write(const StateWorker& value, wire::Message& root) {
    wire::StateWorker* out = root.mutable_state_worker();
    out->set_worker_id(value.workerId);
    out->set_message(value.message);
}

void write(const StateTask& value, wire::Message& root) {
    wire::StateTask* out = root.mutable_state_task();
    out->set_task_id(value.taskId);
    out->set_function_name(value.functionName);
    out->set_status(wireEnum<wire::TaskStatus>(value.status, kTaskStatusCount, "stateTask.status"));
    out->set_worker(value.worker);
    out->set_metadata(value.metadata);
}

void write(const StateGraphTask& value, wire::Message& root) {
    wire::StateGraphTask* out = root.mutable_state_graph_task();
    out->set_graph_task_id(value.graphTaskId);
    out->set_task_id(value.taskId);
    out->set_node_task_type(wireEnum<wire::NodeTaskType>(value.nodeTaskType, kNodeTaskTypeCount,
                                                         "stateGraphTask.nodeTaskType"));
    writeBytesList(value.parentTaskIds, out->mutable_parent_task_ids());
}

void write(const ClientDisconnect& value, wire::Message& root) {
    root.mutable_client_disconnect()->set_disconnect_type(wireEnum<wire::DisconnectType>(
        value.disconnectType, kDisconnectTypeCount, "clientDisconnect.disconnectType"));
}

void write(const ClientShutdownResponse& value, wire::Message& root) {
    root.mutable_client_shutdown_response()->set_accepted(value.accepted);
}

void write(const ProcessorInitialized&, wire::Message& root) {
    root.mutable_processor_initialized();
}

void write(const WorkerCapabilities& value, wire::Message& root) {
    wire::WorkerCapabilities* out = root.mutable_worker_capabilities();
    writeBytesList(value.functions, out->mutable_functions());
    out->set_executors(value.executors);
    out->set_protocol_version(value.protocolVersion);
}

void write(const ClientCapabilities& value, wire::Message& root) {
    wire::ClientCapabilities* out = root.mutable_client_capabilities();
    out->set_features(value.features);
    out->set_protocol_version(value.protocolVersion);
}

}  // namespace

void toProto(const Message& message, wire::Message& root) {
    std::visit([&](const auto& value) { write(value, root); }, message);
}

}  // namespace plexus::detail::pb
