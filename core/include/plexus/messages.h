#pragma once

// The message set plexus speaks: Scaler 1.9.9's `Message` union, as plain C++ value types.
// Codecs map these to and from bytes; nothing here knows about Cap'n Proto or protobuf.
//
// The alternatives of `Message` are in wire order: `Message::index()` equals the union tag
// (MessageKind) on the wire. plexus extensions get new ordinals after the last Scaler one and
// are never renumbered; they are sent only to peers that announced they understand them.
//
// Byte fields (ids, identities, metadata) are std::string holding raw bytes. Object payloads are
// Buffers, so they can share the bytes of the frame they were decoded from.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "plexus/buffer.h"

namespace plexus {

using Bytes = std::string;  ///< raw bytes (ids, identities, opaque metadata)

// ---- common.capnp / status.capnp ------------------------------------------------------------

enum class TaskStatus : std::uint16_t {
    success = 0,
    failed = 1,
    canceled = 2,
    notFound = 3,
    workerDied = 4,
    noWorker = 5,
    inactive = 6,   // monitor only
    running = 7,    // monitor only
    canceling = 8,  // monitor only
};
inline constexpr std::uint16_t kTaskStatusCount = 9;

enum class ObjectType : std::uint16_t { serializer = 0, object = 1 };
inline constexpr std::uint16_t kObjectTypeCount = 2;

/// Objects travel as parallel lists, exactly like the wire: ids[i], types[i], names[i],
/// payloads[i] describe one object. A delete or a request carries ids only. A payload is a list
/// of chunks because one Cap'n Proto Data field holds at most 2^29-1 bytes.
struct ObjectContent {
    std::vector<Bytes> ids;
    std::vector<ObjectType> types;
    std::vector<Bytes> names;
    std::vector<std::vector<Buffer>> payloads;
};

struct Resource {
    std::uint16_t cpu = 0;  ///< percent x10 (99.2% -> 992)
    std::uint64_t rss = 0;  ///< bytes
    bool operator==(const Resource&) const = default;
};

struct ProcessorStatus {
    std::uint32_t pid = 0;
    bool initialized = false;
    bool hasTask = false;
    bool suspended = false;
    Resource resource;
    bool operator==(const ProcessorStatus&) const = default;
};

struct ObjectManagerStatus {
    std::uint32_t numberOfObjects = 0;
};

struct ClientTaskCount {
    Bytes client;
    std::uint32_t numTask = 0;
};
struct ClientManagerStatus {
    std::vector<ClientTaskCount> clientToNumOfTask;
};

struct TaskManagerStatus {
    std::uint32_t unassigned = 0;
    std::uint32_t running = 0;
    std::uint32_t success = 0;
    std::uint32_t failed = 0;
    std::uint32_t canceled = 0;
    std::uint32_t notFound = 0;
};

struct WorkerStatus {
    Bytes workerId;
    Resource agent;
    std::uint64_t rssFree = 0;
    std::uint32_t free = 0;
    std::uint32_t sent = 0;
    std::uint32_t queued = 0;
    std::uint8_t suspended = 0;
    std::uint64_t lagUS = 0;
    std::uint8_t lastS = 0;
    std::string itl;  ///< text
    std::vector<ProcessorStatus> processorStatuses;
};

struct WorkerManagerStatus {
    std::vector<WorkerStatus> workers;
};

struct MessageCount {
    std::string name;  ///< text: a message kind's name
    std::uint32_t number = 0;
};
struct BinderStatus {
    std::vector<MessageCount> received;
    std::vector<MessageCount> sent;
};

// ---- message.capnp ------------------------------------------------------------------------

enum class ArgumentType : std::uint16_t { task = 0, objectID = 1 };

struct Argument {
    ArgumentType type = ArgumentType::objectID;
    Bytes data;  ///< an object id, or (in a graph) the task id of another node
};

struct Task {
    Bytes taskId;
    Bytes source;  ///< the submitting client's identity; never altered by the scheduler
    Bytes metadata;
    Bytes funcObjectId;
    std::vector<Argument> functionArgs;
};

struct TaskCancel {
    Bytes taskId;
    bool force = false;
    bool retrieveTaskObject = false;
};

struct TaskResult {
    Bytes taskId;
    TaskStatus status = TaskStatus::success;
    Bytes metadata;
    std::vector<Bytes> results;  ///< result object ids
};

struct GraphTask {
    Bytes taskId;
    Bytes source;
    std::vector<Bytes> targets;
    std::vector<Task> graph;
};

struct GraphTaskCancel {
    Bytes taskId;
};

enum class ObjectInstructionType : std::uint16_t { create = 0, del = 1, clear = 2 };

struct ObjectInstruction {
    ObjectInstructionType instructionType = ObjectInstructionType::create;
    Bytes objectUser;
    ObjectContent objectContent;
};

enum class ObjectRequestType : std::uint16_t { get = 0 };

struct ObjectRequest {
    ObjectRequestType requestType = ObjectRequestType::get;
    std::vector<Bytes> objectIds;
};

enum class ObjectResponseType : std::uint16_t { content = 0, objectNotExist = 1 };

struct ObjectResponse {
    ObjectResponseType responseType = ObjectResponseType::content;
    ObjectContent objectContent;
};

struct ClientHeartbeat {
    Resource resource;
    std::uint32_t latencyUS = 0;
};

struct ClientHeartbeatEcho {};

struct WorkerHeartbeat {
    Resource agent;
    std::uint64_t rssFree = 0;
    std::uint32_t queuedTasks = 0;
    std::uint32_t latencyUS = 0;
    bool taskLock = false;
    std::vector<ProcessorStatus> processors;
};

struct WorkerHeartbeatEcho {};

struct DisconnectRequest {
    Bytes worker;
};

struct DisconnectResponse {
    Bytes worker;
};

struct StateClient {};
struct StateObject {};

struct StateBalanceAdvice {
    Bytes workerId;
    std::vector<Bytes> taskIds;
};

struct StateScheduler {
    BinderStatus binder;
    Resource scheduler;
    std::uint64_t rssFree = 0;
    ClientManagerStatus clientManager;
    ObjectManagerStatus objectManager;
    TaskManagerStatus taskManager;
    WorkerManagerStatus workerManager;
};

struct StateWorker {
    Bytes workerId;
    Bytes message;  ///< "connected" / "disconnected"
};

struct StateTask {
    Bytes taskId;
    Bytes functionName;
    TaskStatus status = TaskStatus::inactive;
    Bytes worker;
    Bytes metadata;
};

enum class NodeTaskType : std::uint16_t { normal = 0, target = 1 };

struct StateGraphTask {
    Bytes graphTaskId;
    Bytes taskId;
    NodeTaskType nodeTaskType = NodeTaskType::normal;
    std::vector<Bytes> parentTaskIds;
};

enum class DisconnectType : std::uint16_t { disconnect = 0, shutdown = 1 };

struct ClientDisconnect {
    DisconnectType disconnectType = DisconnectType::disconnect;
};

struct ClientShutdownResponse {
    bool accepted = false;
};

struct ProcessorInitialized {};

// ---- plexus extensions (ordinals 24 and up; see docs/protocol.md) ----------------------------

/// A plexus worker's announcement of what it can run, sent before every WorkerHeartbeat. Only
/// plexus workers send it; the scheduler never sends it to anyone.
struct WorkerCapabilities {
    std::vector<Bytes> functions;  ///< names of the native functions this worker runs
    std::uint32_t executors = 0;   ///< tasks it runs at once
    std::uint32_t protocolVersion = 0;
};
/// A plexus client's announcement of how it behaves, sent after every ClientHeartbeat. Only
/// plexus clients send it; the scheduler never sends it to anyone. A client that never sends it
/// (a stock Scaler client) has no features.
struct ClientCapabilities {
    /// Bit 0 (kFetchesResultsEagerly): it requests every result object as soon as the TaskResult
    /// naming it arrives, so results it leaves unfetched mean it is not reading. Other bits are
    /// reserved (sent as 0, ignored).
    std::uint32_t features = 0;
    std::uint32_t protocolVersion = 0;

    static constexpr std::uint32_t kFetchesResultsEagerly = 1u << 0;
};
inline constexpr std::uint32_t kPlexusProtocolVersion = 1;

/// One message. The alternative index is the wire ordinal (see MessageKind).
using Message = std::variant<Task,                    // 0
                             TaskCancel,              // 1
                             TaskResult,              // 2
                             GraphTask,               // 3
                             GraphTaskCancel,         // 4
                             ObjectInstruction,       // 5
                             ObjectRequest,           // 6
                             ObjectResponse,          // 7
                             ClientHeartbeat,         // 8
                             ClientHeartbeatEcho,     // 9
                             WorkerHeartbeat,         // 10
                             WorkerHeartbeatEcho,     // 11
                             DisconnectRequest,       // 12
                             DisconnectResponse,      // 13
                             StateClient,             // 14
                             StateObject,             // 15
                             StateBalanceAdvice,      // 16
                             StateScheduler,          // 17
                             StateWorker,             // 18
                             StateTask,               // 19
                             StateGraphTask,          // 20
                             ClientDisconnect,        // 21
                             ClientShutdownResponse,  // 22
                             ProcessorInitialized,    // 23
                             WorkerCapabilities,      // 24: plexus extension
                             ClientCapabilities>;     // 25: plexus extension

enum class MessageKind : std::uint16_t {
    task = 0,
    taskCancel = 1,
    taskResult = 2,
    graphTask = 3,
    graphTaskCancel = 4,
    objectInstruction = 5,
    objectRequest = 6,
    objectResponse = 7,
    clientHeartbeat = 8,
    clientHeartbeatEcho = 9,
    workerHeartbeat = 10,
    workerHeartbeatEcho = 11,
    disconnectRequest = 12,
    disconnectResponse = 13,
    stateClient = 14,
    stateObject = 15,
    stateBalanceAdvice = 16,
    stateScheduler = 17,
    stateWorker = 18,
    stateTask = 19,
    stateGraphTask = 20,
    clientDisconnect = 21,
    clientShutdownResponse = 22,
    processorInitialized = 23,
    workerCapabilities = 24,  // plexus extension
    clientCapabilities = 25,  // plexus extension
};
inline constexpr std::uint16_t kMessageKindCount = std::variant_size_v<Message>;

inline MessageKind kindOf(const Message& message) noexcept {
    return static_cast<MessageKind>(message.index());
}

/// The wire name of a kind ("clientHeartbeat"), or "unknown".
std::string_view messageKindName(MessageKind kind) noexcept;

/// A deep copy; payload chunks are shared, not copied.
Message cloneMessage(const Message& message);
ObjectContent cloneObjectContent(const ObjectContent& content);

}  // namespace plexus
