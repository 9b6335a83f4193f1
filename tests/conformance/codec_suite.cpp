#include "conformance/codec_suite.h"

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <random>
#include <sstream>
#include <thread>

#include "plexus/config.h"
#include "support/test_support.h"

namespace plexus::test {

// ---- helpers --------------------------------------------------------------------------------

std::string codecSuiteParamName(const ::testing::TestParamInfo<CodecSuiteParam>& info) {
    return info.param.name;
}

Buffer patternBuffer(std::size_t size, unsigned seed) {
    Buffer buffer = Buffer::allocate(size);
    std::uint32_t state = seed * 2654435761u + 1;
    for (std::size_t i = 0; i < size; ++i) {
        state = state * 1664525u + 1013904223u;
        buffer.mutableData()[i] = static_cast<std::byte>(state >> 24);
    }
    return buffer;
}

std::string concatenated(const std::vector<Buffer>& chunks) {
    std::string out;
    for (const Buffer& chunk : chunks) out.append(chunk.view());
    return out;
}

namespace {

Buffer bufferOf(std::string_view text) {
    return Buffer::copyOf(text);
}

/// Bytes with every value 0..255 somewhere, so no codec can get away with text handling.
Bytes binary(std::string_view prefix) {
    Bytes out(prefix);
    out += std::string("\0\x01\x7f\x80\xfe\xff", 6);
    return out;
}

Task sampleTask(std::string_view tag) {
    return Task{binary(fmt::format("task-id-{}", tag)),
                binary("1234|Client|abcdef"),
                Bytes("\x01\x00\x00\x00\x05", 5),
                binary(fmt::format("func-{}", tag)),
                {Argument{ArgumentType::task, binary("other-task")},
                 Argument{ArgumentType::objectID, binary("object-arg")}}};
}

ObjectContent sampleContent() {
    ObjectContent content;
    content.ids = {binary("object-1"), binary("serializer-2"), binary("object-3")};
    content.types = {ObjectType::object, ObjectType::serializer, ObjectType::object};
    content.names = {binary("fn"), binary("serializer"), Bytes("<res 1a2b3c>")};
    content.payloads.resize(3);
    content.payloads[0].push_back(patternBuffer(1000, 1));
    content.payloads[0].push_back(patternBuffer(13, 2));  // not a whole word
    content.payloads[1].push_back(bufferOf("cloudpickle bytes"));
    // payloads[2] stays empty: an empty object has no chunks
    return content;
}

std::string hex(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
    return out;
}

std::string showPayload(const std::vector<Buffer>& chunks) {
    const std::string bytes = concatenated(chunks);
    if (bytes.size() <= 64) return fmt::format("{} bytes {}", bytes.size(), hex(bytes));
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
    return fmt::format("{} bytes fnv1a {:016x}", bytes.size(), hash);
}

/// Appends "path = value" lines.
class Describer {
  public:
    std::string take() { return std::move(out_); }

    void field(std::string_view path, std::string_view value) {
        out_ += fmt::format("{} = {}\n", path, value);
    }
    void bytes(std::string_view path, const Bytes& value) { field(path, hex(value)); }
    template <class Int>
    void number(std::string_view path, Int value) {
        field(path, fmt::format("{}", static_cast<std::uint64_t>(value)));
    }
    void bytesList(std::string_view path, const std::vector<Bytes>& values) {
        number(fmt::format("{}.size", path), values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
            bytes(fmt::format("{}[{}]", path, i), values[i]);
    }
    void resource(std::string_view path, const Resource& value) {
        number(fmt::format("{}.cpu", path), value.cpu);
        number(fmt::format("{}.rss", path), value.rss);
    }
    void processors(std::string_view path, const std::vector<ProcessorStatus>& values) {
        number(fmt::format("{}.size", path), values.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            const std::string p = fmt::format("{}[{}]", path, i);
            number(p + ".pid", values[i].pid);
            number(p + ".initialized", values[i].initialized);
            number(p + ".hasTask", values[i].hasTask);
            number(p + ".suspended", values[i].suspended);
            resource(p + ".resource", values[i].resource);
        }
    }
    void task(std::string_view path, const Task& value) {
        bytes(fmt::format("{}.taskId", path), value.taskId);
        bytes(fmt::format("{}.source", path), value.source);
        bytes(fmt::format("{}.metadata", path), value.metadata);
        bytes(fmt::format("{}.funcObjectId", path), value.funcObjectId);
        number(fmt::format("{}.functionArgs.size", path), value.functionArgs.size());
        for (std::size_t i = 0; i < value.functionArgs.size(); ++i) {
            number(fmt::format("{}.functionArgs[{}].type", path, i), value.functionArgs[i].type);
            bytes(fmt::format("{}.functionArgs[{}].data", path, i), value.functionArgs[i].data);
        }
    }
    void content(std::string_view path, const ObjectContent& value) {
        bytesList(fmt::format("{}.ids", path), value.ids);
        number(fmt::format("{}.types.size", path), value.types.size());
        for (std::size_t i = 0; i < value.types.size(); ++i) {
            number(fmt::format("{}.types[{}]", path, i), value.types[i]);
        }
        bytesList(fmt::format("{}.names", path), value.names);
        number(fmt::format("{}.payloads.size", path), value.payloads.size());
        for (std::size_t i = 0; i < value.payloads.size(); ++i) {
            field(fmt::format("{}.payloads[{}]", path, i), showPayload(value.payloads[i]));
        }
    }

    void operator()(const Task& m) { task("task", m); }
    void operator()(const TaskCancel& m) {
        bytes("taskCancel.taskId", m.taskId);
        number("taskCancel.force", m.force);
        number("taskCancel.retrieveTaskObject", m.retrieveTaskObject);
    }
    void operator()(const TaskResult& m) {
        bytes("taskResult.taskId", m.taskId);
        number("taskResult.status", m.status);
        bytes("taskResult.metadata", m.metadata);
        bytesList("taskResult.results", m.results);
    }
    void operator()(const GraphTask& m) {
        bytes("graphTask.taskId", m.taskId);
        bytes("graphTask.source", m.source);
        bytesList("graphTask.targets", m.targets);
        number("graphTask.graph.size", m.graph.size());
        for (std::size_t i = 0; i < m.graph.size(); ++i)
            task(fmt::format("graphTask.graph[{}]", i), m.graph[i]);
    }
    void operator()(const GraphTaskCancel& m) { bytes("graphTaskCancel.taskId", m.taskId); }
    void operator()(const ObjectInstruction& m) {
        number("objectInstruction.instructionType", m.instructionType);
        bytes("objectInstruction.objectUser", m.objectUser);
        content("objectInstruction.objectContent", m.objectContent);
    }
    void operator()(const ObjectRequest& m) {
        number("objectRequest.requestType", m.requestType);
        bytesList("objectRequest.objectIds", m.objectIds);
    }
    void operator()(const ObjectResponse& m) {
        number("objectResponse.responseType", m.responseType);
        content("objectResponse.objectContent", m.objectContent);
    }
    void operator()(const ClientHeartbeat& m) {
        resource("clientHeartbeat.resource", m.resource);
        number("clientHeartbeat.latencyUS", m.latencyUS);
    }
    void operator()(const ClientHeartbeatEcho&) { field("clientHeartbeatEcho", "{}"); }
    void operator()(const WorkerHeartbeat& m) {
        resource("workerHeartbeat.agent", m.agent);
        number("workerHeartbeat.rssFree", m.rssFree);
        number("workerHeartbeat.queuedTasks", m.queuedTasks);
        number("workerHeartbeat.latencyUS", m.latencyUS);
        number("workerHeartbeat.taskLock", m.taskLock);
        processors("workerHeartbeat.processors", m.processors);
    }
    void operator()(const WorkerHeartbeatEcho&) { field("workerHeartbeatEcho", "{}"); }
    void operator()(const DisconnectRequest& m) { bytes("disconnectRequest.worker", m.worker); }
    void operator()(const DisconnectResponse& m) { bytes("disconnectResponse.worker", m.worker); }
    void operator()(const StateClient&) { field("stateClient", "{}"); }
    void operator()(const StateObject&) { field("stateObject", "{}"); }
    void operator()(const StateBalanceAdvice& m) {
        bytes("stateBalanceAdvice.workerId", m.workerId);
        bytesList("stateBalanceAdvice.taskIds", m.taskIds);
    }
    void operator()(const StateScheduler& m) {
        const auto counts = [&](std::string_view path, const std::vector<MessageCount>& values) {
            number(fmt::format("{}.size", path), values.size());
            for (std::size_t i = 0; i < values.size(); ++i) {
                field(fmt::format("{}[{}].name", path, i), values[i].name);
                number(fmt::format("{}[{}].number", path, i), values[i].number);
            }
        };
        counts("stateScheduler.binder.received", m.binder.received);
        counts("stateScheduler.binder.sent", m.binder.sent);
        resource("stateScheduler.scheduler", m.scheduler);
        number("stateScheduler.rssFree", m.rssFree);
        const auto& clients = m.clientManager.clientToNumOfTask;
        number("stateScheduler.clientManager.size", clients.size());
        for (std::size_t i = 0; i < clients.size(); ++i) {
            bytes(fmt::format("stateScheduler.clientManager[{}].client", i), clients[i].client);
            number(fmt::format("stateScheduler.clientManager[{}].numTask", i), clients[i].numTask);
        }
        number("stateScheduler.objectManager.numberOfObjects", m.objectManager.numberOfObjects);
        const auto& t = m.taskManager;
        number("stateScheduler.taskManager.unassigned", t.unassigned);
        number("stateScheduler.taskManager.running", t.running);
        number("stateScheduler.taskManager.success", t.success);
        number("stateScheduler.taskManager.failed", t.failed);
        number("stateScheduler.taskManager.canceled", t.canceled);
        number("stateScheduler.taskManager.notFound", t.notFound);
        const auto& workers = m.workerManager.workers;
        number("stateScheduler.workerManager.size", workers.size());
        for (std::size_t i = 0; i < workers.size(); ++i) {
            const std::string p = fmt::format("stateScheduler.workerManager[{}]", i);
            const WorkerStatus& w = workers[i];
            bytes(p + ".workerId", w.workerId);
            resource(p + ".agent", w.agent);
            number(p + ".rssFree", w.rssFree);
            number(p + ".free", w.free);
            number(p + ".sent", w.sent);
            number(p + ".queued", w.queued);
            number(p + ".suspended", w.suspended);
            number(p + ".lagUS", w.lagUS);
            number(p + ".lastS", w.lastS);
            field(p + ".itl", w.itl);
            processors(p + ".processorStatuses", w.processorStatuses);
        }
    }
    void operator()(const StateWorker& m) {
        bytes("stateWorker.workerId", m.workerId);
        bytes("stateWorker.message", m.message);
    }
    void operator()(const StateTask& m) {
        bytes("stateTask.taskId", m.taskId);
        bytes("stateTask.functionName", m.functionName);
        number("stateTask.status", m.status);
        bytes("stateTask.worker", m.worker);
        bytes("stateTask.metadata", m.metadata);
    }
    void operator()(const StateGraphTask& m) {
        bytes("stateGraphTask.graphTaskId", m.graphTaskId);
        bytes("stateGraphTask.taskId", m.taskId);
        number("stateGraphTask.nodeTaskType", m.nodeTaskType);
        bytesList("stateGraphTask.parentTaskIds", m.parentTaskIds);
    }
    void operator()(const ClientDisconnect& m) {
        number("clientDisconnect.disconnectType", m.disconnectType);
    }
    void operator()(const ClientShutdownResponse& m) {
        number("clientShutdownResponse.accepted", m.accepted);
    }
    void operator()(const ProcessorInitialized&) { field("processorInitialized", "{}"); }
    void operator()(const WorkerCapabilities& m) {
        bytesList("workerCapabilities.functions", m.functions);
        number("workerCapabilities.executors", m.executors);
        number("workerCapabilities.protocolVersion", m.protocolVersion);
    }
    void operator()(const ClientCapabilities& m) {
        number("clientCapabilities.features", m.features);
        number("clientCapabilities.protocolVersion", m.protocolVersion);
    }

  private:
    std::string out_;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

}  // namespace

std::string describeMessage(const Message& message) {
    Describer describer;
    describer.field("kind", messageKindName(kindOf(message)));
    std::visit(describer, message);
    return describer.take();
}

::testing::AssertionResult messagesEqual(const Message& expected, const Message& actual) {
    const auto want = lines(describeMessage(expected));
    const auto got = lines(describeMessage(actual));
    for (std::size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
        const std::string w = i < want.size() ? want[i] : "(nothing)";
        const std::string g = i < got.size() ? got[i] : "(nothing)";
        if (w != g) {
            return ::testing::AssertionFailure() << "first difference at line " << i
                                                 << ":\n  expected: " << w << "\n  actual:   " << g;
        }
    }
    return ::testing::AssertionSuccess();
}

std::vector<Message> sampleMessages() {
    std::vector<Message> out;
    out.emplace_back(sampleTask("a"));
    out.emplace_back(TaskCancel{binary("cancel-me"), true, true});
    out.emplace_back(TaskResult{binary("result-task"),
                                TaskStatus::workerDied,
                                binary("profile-result-16"),
                                {binary("r1"), binary("r2")}});
    out.emplace_back(GraphTask{binary("graph"),
                               binary("source"),
                               {binary("t1"), binary("t2")},
                               {sampleTask("g1"), sampleTask("g2")}});
    out.emplace_back(GraphTaskCancel{binary("graph-cancel")});
    out.emplace_back(
        ObjectInstruction{ObjectInstructionType::clear, binary("object-user"), sampleContent()});
    out.emplace_back(ObjectRequest{ObjectRequestType::get, {binary("req-1"), binary("req-2")}});
    out.emplace_back(ObjectResponse{ObjectResponseType::objectNotExist, sampleContent()});
    out.emplace_back(ClientHeartbeat{Resource{992, 123456789012ull}, 4242});
    out.emplace_back(ClientHeartbeatEcho{});
    out.emplace_back(WorkerHeartbeat{Resource{1000, 1ull << 40},
                                     7ull << 33,
                                     17,
                                     99,
                                     true,
                                     {ProcessorStatus{4321, true, true, true, Resource{5, 6}},
                                      ProcessorStatus{4322, true, false, true, Resource{7, 8}}}});
    out.emplace_back(WorkerHeartbeatEcho{});
    out.emplace_back(DisconnectRequest{binary("worker-leaving")});
    out.emplace_back(DisconnectResponse{binary("worker-left")});
    out.emplace_back(StateClient{});
    out.emplace_back(StateObject{});
    out.emplace_back(StateBalanceAdvice{binary("busy-worker"), {binary("bt1"), binary("bt2")}});
    {
        StateScheduler s;
        s.binder.received = {MessageCount{"task", 11}, MessageCount{"clientHeartbeat", 12}};
        s.binder.sent = {MessageCount{"taskResult", 13}};
        s.scheduler = Resource{321, 654};
        s.rssFree = 987654321;
        s.clientManager.clientToNumOfTask = {ClientTaskCount{binary("client-a"), 3},
                                             ClientTaskCount{binary("client-b"), 4}};
        s.objectManager.numberOfObjects = 77;
        s.taskManager = TaskManagerStatus{1, 2, 3, 4, 5, 6};
        WorkerStatus w;
        w.workerId = binary("worker-1");
        w.agent = Resource{12, 34};
        w.rssFree = 56;
        w.free = 7;
        w.sent = 8;
        w.queued = 9;
        w.suspended = 1;
        w.lagUS = 1234567;
        w.lastS = 3;
        w.itl = "1|1";
        w.processorStatuses = {ProcessorStatus{99, true, true, false, Resource{1, 2}}};
        s.workerManager.workers = {w, w};
        s.workerManager.workers[1].workerId = binary("worker-2");
        out.emplace_back(std::move(s));
    }
    out.emplace_back(StateWorker{binary("worker-x"), Bytes("disconnected")});
    out.emplace_back(StateTask{binary("state-task"), Bytes("my_function"), TaskStatus::canceling,
                               binary("worker-y"), binary("flags")});
    out.emplace_back(StateGraphTask{binary("graph-id"),
                                    binary("node-id"),
                                    NodeTaskType::target,
                                    {binary("p1"), binary("p2"), binary("p3")}});
    out.emplace_back(ClientDisconnect{DisconnectType::shutdown});
    out.emplace_back(ClientShutdownResponse{true});
    out.emplace_back(ProcessorInitialized{});
    out.emplace_back(WorkerCapabilities{{binary("pi.sample"), binary("word.count")}, 4, 1});
    // A reserved bit set too: a codec carries the field whole, whatever its bits mean.
    out.emplace_back(
        ClientCapabilities{ClientCapabilities::kFetchesResultsEagerly | 0x80000000u, 1});
    return out;
}

// ---- the suite ------------------------------------------------------------------------------

void CodecConformance::SetUp() {
    registry_ = makeBuildRegistry();
    auto factory = registry_->codec(GetParam().name);
    ASSERT_TRUE(factory) << factory.error().describe();
    auto codec = (*factory)->create({});
    ASSERT_TRUE(codec) << codec.error().describe();
    codec_ = std::move(*codec);
}

Buffer CodecConformance::encodeOrFail(const Message& message) {
    auto frame = codec_->encode(message);
    EXPECT_TRUE(frame) << messageKindName(kindOf(message)) << ": " << frame.error().describe();
    return frame ? std::move(*frame) : Buffer{};
}

namespace {

/// True when [p, p+n) lies inside `frame`.
bool inside(const Buffer& frame, const std::byte* p, std::size_t n) {
    return p >= frame.data() && p + n <= frame.data() + frame.size();
}

const ObjectContent* contentOf(const Message& message) {
    if (const auto* m = std::get_if<ObjectInstruction>(&message)) return &m->objectContent;
    if (const auto* m = std::get_if<ObjectResponse>(&message)) return &m->objectContent;
    return nullptr;
}

}  // namespace

TEST_P(CodecConformance, SamplesCoverEveryKind) {
    const auto samples = sampleMessages();
    ASSERT_EQ(samples.size(), kMessageKindCount);
    for (std::size_t i = 0; i < samples.size(); ++i) EXPECT_EQ(samples[i].index(), i);
}

TEST_P(CodecConformance, EveryMessageKindRoundTrips) {
    for (const Message& message : sampleMessages()) {
        SCOPED_TRACE(std::string(messageKindName(kindOf(message))));
        const Buffer frame = encodeOrFail(message);
        ASSERT_FALSE(frame.empty());
        auto decoded = codec_->decode(frame);
        ASSERT_TRUE(decoded) << decoded.error().describe();
        EXPECT_EQ(kindOf(*decoded), kindOf(message));
        EXPECT_TRUE(messagesEqual(message, *decoded));
    }
}

TEST_P(CodecConformance, DefaultMessagesRoundTrip) {
    // Every alternative default-constructed: empty bytes and lists, zero numbers.
    for (std::size_t i = 0; i < kMessageKindCount; ++i) {
        Message message = std::move(sampleMessages()[i]);
        std::visit([](auto& value) { value = std::decay_t<decltype(value)>{}; }, message);
        SCOPED_TRACE(std::string(messageKindName(kindOf(message))));
        const Buffer frame = encodeOrFail(message);
        auto decoded = codec_->decode(frame);
        ASSERT_TRUE(decoded) << decoded.error().describe();
        EXPECT_TRUE(messagesEqual(message, *decoded));
    }
}

TEST_P(CodecConformance, ObjectContentOfStockTrafficRoundTrips) {
    // What Scaler 1.9.9 peers send: a delete and a request carry ids only, a clear carries
    // nothing, a create carries all four lists aligned.
    ObjectContent idsOnly;
    idsOnly.ids = {binary("gone-1"), binary("gone-2")};
    std::vector<Message> messages;  // Messages with payloads move, they do not copy
    messages.emplace_back(ObjectInstruction{ObjectInstructionType::del, binary("client"),
                                            cloneObjectContent(idsOnly)});
    messages.emplace_back(
        ObjectInstruction{ObjectInstructionType::clear, binary("client"), ObjectContent{}});
    messages.emplace_back(
        ObjectInstruction{ObjectInstructionType::create, binary("client"), sampleContent()});
    messages.emplace_back(ObjectResponse{ObjectResponseType::content, sampleContent()});
    messages.emplace_back(ObjectRequest{ObjectRequestType::get, idsOnly.ids});
    for (const Message& message : messages) {
        const Buffer frame = encodeOrFail(message);
        auto decoded = codec_->decode(frame);
        ASSERT_TRUE(decoded) << decoded.error().describe();
        EXPECT_TRUE(messagesEqual(message, *decoded));
    }
}

TEST_P(CodecConformance, MultiChunkPayloadsRoundTrip) {
    ObjectContent content;
    for (unsigned i = 0; i < 5; ++i) {
        content.ids.push_back(fmt::format("object-{}", i));
        content.types.push_back(i % 2 ? ObjectType::object : ObjectType::serializer);
        content.names.push_back(fmt::format("name-{}", i));
        auto& chunks = content.payloads.emplace_back();
        for (unsigned c = 0; c <= i; ++c)
            chunks.push_back(patternBuffer(1 + 4099 * c + i, i * 10 + c));
    }
    content.payloads[2].insert(content.payloads[2].begin() + 1, Buffer{});  // an empty chunk
    const Message message =
        ObjectResponse{ObjectResponseType::content, cloneObjectContent(content)};
    const Buffer frame = encodeOrFail(message);
    auto decoded = codec_->decode(frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_TRUE(messagesEqual(message, *decoded));
}

TEST_P(CodecConformance, LargePayloadRoundTripsWithoutCopy) {
    constexpr std::size_t kSize = std::size_t{64} << 20;  // 64 MiB
    ObjectContent content;
    content.ids = {"large"};
    content.types = {ObjectType::object};
    content.names = {"large"};
    content.payloads.resize(1);
    content.payloads[0].push_back(patternBuffer(kSize, 42));
    const std::string expected = concatenated(content.payloads[0]);
    const Message message =
        ObjectInstruction{ObjectInstructionType::create, "client", std::move(content)};

    const Buffer frame = encodeOrFail(message);
    ASSERT_GE(frame.size(), kSize);
    auto decoded = codec_->decode(frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& chunks = std::get<ObjectInstruction>(*decoded).objectContent.payloads.at(0);
    std::size_t total = 0;
    for (const Buffer& chunk : chunks) {
        EXPECT_TRUE(inside(frame, chunk.data(), chunk.size()));
        total += chunk.size();
    }
    ASSERT_EQ(total, kSize);
    EXPECT_TRUE(concatenated(chunks) == expected);  // not EXPECT_EQ: never print 64 MiB
}

TEST_P(CodecConformance, DecodedPayloadsShareTheFrame) {
    const Message message =
        std::move(sampleMessages()[static_cast<std::size_t>(MessageKind::objectInstruction)]);
    Buffer frame = encodeOrFail(message);
    auto decoded = codec_->decode(frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const ObjectContent* content = contentOf(*decoded);
    ASSERT_NE(content, nullptr);
    std::size_t chunks = 0;
    for (const auto& payload : content->payloads) {
        for (const Buffer& chunk : payload) {
            if (chunk.empty()) continue;
            ++chunks;
            EXPECT_TRUE(inside(frame, chunk.data(), chunk.size()));
        }
    }
    EXPECT_GT(chunks, 0u);

    // The chunks keep the frame's bytes alive after the frame itself is gone.
    const Message copy = cloneMessage(*decoded);
    frame = Buffer{};
    decoded = Message{};
    EXPECT_TRUE(messagesEqual(message, copy));
}

TEST_P(CodecConformance, UnalignedFrameDecodes) {
    for (const Message& message : sampleMessages()) {
        SCOPED_TRACE(std::string(messageKindName(kindOf(message))));
        const Buffer frame = encodeOrFail(message);
        for (std::size_t offset : {1u, 3u, 4u}) {
            Buffer storage = Buffer::allocate(frame.size() + offset);
            std::memcpy(storage.mutableData() + offset, frame.data(), frame.size());
            const Buffer shifted = storage.slice(offset, frame.size());
            auto decoded = codec_->decode(shifted);
            ASSERT_TRUE(decoded) << "offset " << offset << ": " << decoded.error().describe();
            EXPECT_TRUE(messagesEqual(message, *decoded)) << "offset " << offset;
        }
    }
}

TEST_P(CodecConformance, EmptyFrameIsRefused) {
    auto decoded = codec_->decode(Buffer{});
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
}

TEST_P(CodecConformance, TruncatedFramesAreRefusedOrHarmless) {
    for (const Message& message : sampleMessages()) {
        SCOPED_TRACE(std::string(messageKindName(kindOf(message))));
        const Buffer frame = encodeOrFail(message);
        for (std::size_t length = 0; length < frame.size(); ++length) {
            // A fresh allocation of exactly `length` bytes, so a read past it is caught by ASan.
            const Buffer prefix = Buffer::copyOf(frame.bytes().first(length));
            auto decoded = codec_->decode(prefix);
            if (GetParam().refusesTruncation) {
                ASSERT_FALSE(decoded) << "a " << length << "-byte prefix of a " << frame.size()
                                      << "-byte frame decoded";
                EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
            } else if (!decoded) {
                EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
            }
        }
    }
}

TEST_P(CodecConformance, RandomBytesNeverCrash) {
    std::mt19937_64 random(20240611);
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        // Mostly whole words, as a word-based format would need to get past its first check.
        std::size_t size = random() % 257;
        if (i % 4 != 0) size &= ~std::size_t{7};
        Buffer bytes = Buffer::allocate(size);
        for (std::size_t b = 0; b < size; ++b)
            bytes.mutableData()[b] = static_cast<std::byte>(random());
        auto decoded = codec_->decode(bytes);
        if (decoded) {
            ++accepted;
            EXPECT_TRUE(codec_->encode(*decoded)) << "a decoded message must encode again";
        } else {
            EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
        }
    }
    RecordProperty("accepted", static_cast<int>(accepted));
}

TEST_P(CodecConformance, BitFlippedFramesNeverCrash) {
    std::mt19937_64 random(7);
    std::vector<Buffer> frames;
    for (const Message& message : sampleMessages()) frames.push_back(encodeOrFail(message));
    std::size_t accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        const Buffer& frame = frames[i % frames.size()];
        Buffer flipped = Buffer::copyOf(frame.bytes());
        const int flips = 1 + static_cast<int>(random() % 3);
        for (int f = 0; f < flips; ++f) {
            const std::size_t bit = random() % (flipped.size() * 8);
            flipped.mutableData()[bit / 8] ^= static_cast<std::byte>(1u << (bit % 8));
        }
        auto decoded = codec_->decode(flipped);
        if (decoded) {
            ++accepted;
            EXPECT_TRUE(codec_->encode(*decoded)) << "a decoded message must encode again";
        } else {
            EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
        }
    }
    RecordProperty("accepted", static_cast<int>(accepted));
}

TEST_P(CodecConformance, EncodeRefusesWhatPeersCannotRead) {
    // An enum value outside the schema.
    const Message badStatus = TaskResult{"t", static_cast<TaskStatus>(200), "", {"r"}};
    auto frame = codec_->encode(badStatus);
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().kind, ErrorKind::InvalidArgument);

    // Parallel object lists that do not line up.
    ObjectContent content = sampleContent();
    content.names.pop_back();
    frame = codec_->encode(
        ObjectInstruction{ObjectInstructionType::create, "user", std::move(content)});
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().kind, ErrorKind::InvalidArgument);
}

TEST_P(CodecConformance, ConcurrentEncodeAndDecode) {
    const auto samples = sampleMessages();
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 500; ++i) {
                const Message& message = samples[(i + t) % samples.size()];
                auto frame = codec_->encode(message);
                if (!frame) {
                    ++failures;
                    continue;
                }
                auto decoded = codec_->decode(*frame);
                if (!decoded || !messagesEqual(message, *decoded)) ++failures;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST_P(CodecConformance, FactoryRefusesUnknownOptions) {
    auto factory = registry_->codec(GetParam().name);
    ASSERT_TRUE(factory);
    CodecContext context{parseConfigText("noSuchOption: 1\n", "codec.yaml")};
    auto codec = (*factory)->create(context);
    ASSERT_FALSE(codec);
    EXPECT_EQ(codec.error().kind, ErrorKind::InvalidConfig);
    EXPECT_NE(codec.error().message.find("noSuchOption"), std::string::npos)
        << codec.error().message;
}

}  // namespace plexus::test
