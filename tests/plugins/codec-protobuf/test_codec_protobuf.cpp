// The "protobuf" codec: the shared conformance suite, plus what only protobuf has: field numbers
// that follow the kind ordinals, open enums, unknown fields (forward compatibility), a kind from
// a newer plexus, and the hand-written object path checked against the generated code.

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "conformance/codec_suite.h"
#include "plexus.pb.h"
#include "proto_convert.h"
#include "raw_wire.h"
#include "support/test_support.h"

namespace plexus::test {

namespace pb = plexus::detail::pb;

// Protobuf messages can end at any field boundary, so a prefix of a frame is often a valid
// frame: truncations must only not crash.
INSTANTIATE_TEST_SUITE_P(Protobuf, CodecConformance,
                         ::testing::Values(CodecSuiteParam{"protobuf", false}),
                         codecSuiteParamName);

namespace {

// ---- a tiny protobuf writer, to build frames independently of the codec ----------------------

std::string varint(std::uint64_t value) {
    std::string out;
    while (value >= 0x80) {
        out.push_back(static_cast<char>(value | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
    return out;
}
std::string tag(std::uint32_t field, std::uint32_t wireType) {
    return varint((std::uint64_t{field} << 3) | wireType);
}
std::string lenField(std::uint32_t field, std::string_view bytes) {
    return tag(field, 2) + varint(bytes.size()) + std::string(bytes);
}
std::string varintField(std::uint32_t field, std::uint64_t value) {
    return tag(field, 0) + varint(value);
}
/// The top-level field of kind `kind` holding `body`.
std::string kindField(MessageKind kind, std::string_view body) {
    return lenField(static_cast<std::uint32_t>(kind) + 1, body);
}
/// Unknown fields of every wire type, as a newer peer might add them (numbers far above ours).
std::string unknownFields() {
    return varintField(1000, 12345) + lenField(1001, "future bytes") + tag(1002, 5) +
           std::string("\x01\x02\x03\x04", 4) + tag(1003, 1) + std::string(8, '\x7f') +
           tag(1004, 3) + varintField(1, 7) + lenField(2, "in a group") + tag(1004, 4);
}

Buffer frameOf(std::string_view bytes) {
    return Buffer::copyOf(bytes);
}

/// The generated code's frame for `message` (toProto + the generated serializer).
std::string generatedFrame(const Message& message) {
    wire::Message root;
    pb::toProto(message, root);
    return root.SerializeAsString();
}

/// The generated code's reading of `frame`, with the codec's own kind check in front (so a
/// difference can only come from the object path): a Decode error or a message.
Result<Message> generatedDecode(const Buffer& frame) {
    try {
        pb::scanFrame(frame);
        wire::Message root;
        if (!root.ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
            return fail(ErrorKind::Decode, "generated parser refused the frame");
        }
        return pb::fromProto(root);
    } catch (const pb::ConversionError& e) {
        return fail(e.kind, e.message);
    }
}

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 15]);
    }
    return out;
}

/// Every object-carrying message the tests use: the samples, defaults, stock traffic shapes,
/// enum values at both ends, empty and many chunks.
std::vector<Message> objectMessages() {
    std::vector<Message> out;
    auto samples = sampleMessages();
    out.push_back(std::move(samples[static_cast<std::size_t>(MessageKind::objectInstruction)]));
    out.push_back(std::move(samples[static_cast<std::size_t>(MessageKind::objectResponse)]));
    out.emplace_back(ObjectInstruction{});
    out.emplace_back(ObjectResponse{});
    ObjectContent idsOnly;
    idsOnly.ids = {"a", "", std::string(300, 'x')};
    out.emplace_back(
        ObjectInstruction{ObjectInstructionType::del, "user", cloneObjectContent(idsOnly)});
    out.emplace_back(ObjectInstruction{ObjectInstructionType::clear, "", ObjectContent{}});
    out.emplace_back(ObjectResponse{ObjectResponseType::objectNotExist, std::move(idsOnly)});
    ObjectContent chunky;
    for (unsigned i = 0; i < 4; ++i) {
        chunky.ids.push_back(std::string(i, 'i'));
        chunky.types.push_back(i % 2 ? ObjectType::object : ObjectType::serializer);
        chunky.names.push_back(std::string(i * 50, 'n'));
        auto& chunks = chunky.payloads.emplace_back();
        for (unsigned c = 0; c < i; ++c) chunks.push_back(patternBuffer(c * 200, i + c));
    }
    chunky.payloads[3].push_back(Buffer{});  // an empty chunk at the end
    out.emplace_back(ObjectInstruction{ObjectInstructionType::create, "u", std::move(chunky)});
    return out;
}

class ProtobufCodecTest : public ::testing::Test {
  protected:
    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->codec("protobuf");
        ASSERT_TRUE(factory) << factory.error().describe();
        auto codec = (*factory)->create({});
        ASSERT_TRUE(codec) << codec.error().describe();
        codec_ = std::move(*codec);
    }

    /// Decodes `bytes`, expecting a Decode error whose message contains `expected`.
    void expectRefused(std::string_view bytes, std::string_view expected) {
        auto decoded = codec_->decode(frameOf(bytes));
        ASSERT_FALSE(decoded) << "decoded " << hex(bytes);
        EXPECT_EQ(decoded.error().kind, ErrorKind::Decode) << decoded.error().describe();
        EXPECT_NE(decoded.error().message.find(expected), std::string::npos)
            << decoded.error().describe();
    }

    Message decodeOrFail(std::string_view bytes) {
        auto decoded = codec_->decode(frameOf(bytes));
        EXPECT_TRUE(decoded) << hex(bytes) << ": " << decoded.error().describe();
        return decoded ? std::move(*decoded) : Message{};
    }

    std::unique_ptr<PluginRegistry> registry_;  // declared first: outlives the codec
    std::unique_ptr<Codec> codec_;
};

}  // namespace

// ---- the schema ------------------------------------------------------------------------------

TEST_F(ProtobufCodecTest, FieldNumberIsOrdinalPlusOne) {
    for (const Message& message : sampleMessages()) {
        SCOPED_TRACE(std::string(messageKindName(kindOf(message))));
        auto frame = codec_->encode(message);
        ASSERT_TRUE(frame) << frame.error().describe();
        // The frame is exactly one length-delimited field: the kind.
        std::uint64_t key = 0;
        std::size_t at = 0;
        for (int shift = 0;; shift += 7) {
            const auto byte = static_cast<std::uint8_t>(frame->data()[at++]);
            key |= std::uint64_t{byte & 0x7fu} << shift;
            if (byte < 0x80) break;
        }
        EXPECT_EQ(key >> 3, static_cast<std::uint64_t>(kindOf(message)) + 1);
        EXPECT_EQ(key & 7, 2u);
    }
}

TEST_F(ProtobufCodecTest, GeneratedCodeReadsEveryFrame) {
    // The hand-written object path and the generated path write the same format: the generated
    // parser reads every frame the codec writes, with the same meaning.
    for (const Message& message : sampleMessages()) {
        SCOPED_TRACE(std::string(messageKindName(kindOf(message))));
        auto frame = codec_->encode(message);
        ASSERT_TRUE(frame) << frame.error().describe();
        wire::Message root;
        ASSERT_TRUE(root.ParseFromArray(frame->data(), static_cast<int>(frame->size())));
        EXPECT_EQ(static_cast<int>(root.kind_case()), static_cast<int>(kindOf(message)) + 1);
        EXPECT_TRUE(messagesEqual(message, pb::fromProto(root)));
    }
}

// ---- the hand-written object path against the generated code ---------------------------------

TEST_F(ProtobufCodecTest, ObjectFramesAreByteForByteWhatGeneratedCodeWrites) {
    for (const Message& message : objectMessages()) {
        auto frame = codec_->encode(message);
        ASSERT_TRUE(frame) << frame.error().describe();
        EXPECT_EQ(hex(frame->view()), hex(generatedFrame(message)));
    }
}

TEST_F(ProtobufCodecTest, ObjectPathReadsWhatGeneratedCodeReads) {
    // Frames a generated encoder could send, and many it could not (bit flips, splices): the
    // hand-written reader and the generated parser must agree on each, refusal or message.
    std::vector<std::string> seeds;
    for (const Message& message : objectMessages()) seeds.push_back(generatedFrame(message));
    // Shapes the codec never writes but protobuf allows: unknown fields at every level, an
    // unpacked enum list, ObjectContent split over two occurrences (merged), a group.
    const std::string content1 = lenField(1, "id-1") + varintField(2, 1) + unknownFields() +
                                 lenField(3, "name-1") +
                                 lenField(4, lenField(1, "chunk") + unknownFields());
    const std::string content2 =
        lenField(1, "id-2") + lenField(2, varint(0)) + lenField(3, "name-2") + lenField(4, "");
    seeds.push_back(unknownFields() +
                    kindField(MessageKind::objectInstruction,
                              varintField(1, 1) + unknownFields() + lenField(2, "user") +
                                  lenField(3, content1) + lenField(3, content2)) +
                    unknownFields());

    std::mt19937_64 random(99);
    int checked = 0;
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string bytes = seeds[i % seeds.size()];
        const int edits = 1 + static_cast<int>(random() % 4);
        for (int e = 0; e < edits && !bytes.empty(); ++e) {
            const std::size_t at = random() % bytes.size();
            switch (random() % 4) {
                case 0:
                    bytes[at] = static_cast<char>(bytes[at] ^ (1 << (random() % 8)));
                    break;
                case 1:
                    bytes[at] = static_cast<char>(random());
                    break;
                case 2:
                    bytes.erase(at, 1 + random() % 3);
                    break;
                default:
                    bytes.insert(at, 1, static_cast<char>(random()));
            }
        }
        const Buffer frame = frameOf(bytes);
        auto ours = codec_->decode(frame);
        auto reference = generatedDecode(frame);
        ++checked;
        ASSERT_EQ(bool(ours), bool(reference))
            << hex(bytes) << "\nours: " << (ours ? "decoded" : ours.error().describe())
            << "\ngenerated: " << (reference ? "decoded" : reference.error().describe());
        if (ours) {
            ++accepted;
            ASSERT_TRUE(messagesEqual(*reference, *ours)) << hex(bytes);
        }
    }
    EXPECT_GT(accepted, 100) << "the mutations should leave many frames readable";
    RecordProperty("accepted", accepted);
    RecordProperty("checked", checked);
}

TEST_F(ProtobufCodecTest, ObjectPathEncodeRefusesLikeTheGeneratedPath) {
    ObjectContent content;
    content.ids = {"a"};
    content.types = {static_cast<ObjectType>(2)};
    auto frame =
        codec_->encode(ObjectResponse{ObjectResponseType::content, cloneObjectContent(content)});
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().kind, ErrorKind::InvalidArgument);

    frame = codec_->encode(ObjectResponse{static_cast<ObjectResponseType>(7), ObjectContent{}});
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().kind, ErrorKind::InvalidArgument);

    content.types.clear();
    content.payloads.resize(2);
    frame =
        codec_->encode(ObjectInstruction{ObjectInstructionType::create, "u", std::move(content)});
    ASSERT_FALSE(frame);
    EXPECT_EQ(frame.error().kind, ErrorKind::InvalidArgument);
}

// ---- no kind, a kind from the future, a kind twice -------------------------------------------

TEST_F(ProtobufCodecTest, FrameWithoutKindIsUnknownMessageType) {
    expectRefused("", "unknown message type");
    // Well-formed protobuf with no kind: only fields outside the oneof.
    expectRefused(varintField(1000, 1) + lenField(1001, "x"), "unknown message type");
    // A kind's field number with the wrong wire type is an unknown field, not that kind.
    expectRefused(varintField(static_cast<std::uint32_t>(MessageKind::task) + 1, 1),
                  "unknown message type");
}

TEST_F(ProtobufCodecTest, KindFromNewerPlexusIsUnknownMessageType) {
    // A newer plexus's kind: the next field number in the oneof, which this one does not know.
    const std::uint32_t future = kMessageKindCount + 1;
    expectRefused(lenField(future, varintField(1, 5) + lenField(2, "new")), "unknown message type");
    expectRefused(lenField(future, ""), std::to_string(future));
}

TEST_F(ProtobufCodecTest, KindSetTwiceIsRefused) {
    const std::string heartbeat = kindField(MessageKind::clientHeartbeatEcho, "");
    expectRefused(heartbeat + heartbeat, "set 2 times");
    expectRefused(kindField(MessageKind::objectRequest, "") + heartbeat, "set 2 times");
}

// ---- forward compatibility -------------------------------------------------------------------

TEST_F(ProtobufCodecTest, UnknownFieldsInKnownKindsAreIgnored) {
    // TaskCancel (generated path) with fields a newer peer added, and more beside the kind.
    const std::string cancel = lenField(1, "task-1") + varintField(2, 1) + unknownFields();
    Message decoded = decodeOrFail(unknownFields() + kindField(MessageKind::taskCancel, cancel) +
                                   unknownFields());
    EXPECT_TRUE(messagesEqual(TaskCancel{"task-1", true, false}, decoded));

    // A nested message with unknown fields: Task's argument.
    const std::string argument = varintField(1, 1) + unknownFields() + lenField(2, "obj");
    decoded = decodeOrFail(kindField(MessageKind::task, lenField(1, "t") + lenField(5, argument)));
    EXPECT_TRUE(
        messagesEqual(Task{"t", "", "", "", {Argument{ArgumentType::objectID, "obj"}}}, decoded));

    // ObjectInstruction (hand-written path), unknown fields at every level.
    const std::string payload = lenField(1, "abc") + unknownFields() + lenField(1, "def");
    const std::string content = lenField(1, "id") + unknownFields() + lenField(2, varint(1)) +
                                lenField(3, "name") + lenField(4, payload);
    decoded = decodeOrFail(kindField(MessageKind::objectInstruction,
                                     unknownFields() + varintField(1, 0) + lenField(2, "user") +
                                         lenField(3, content) + unknownFields()));
    ASSERT_TRUE(std::holds_alternative<ObjectInstruction>(decoded));
    const auto& instruction = std::get<ObjectInstruction>(decoded);
    EXPECT_EQ(instruction.objectUser, "user");
    EXPECT_EQ(instruction.objectContent.ids, std::vector<Bytes>{"id"});
    EXPECT_EQ(instruction.objectContent.types, std::vector<ObjectType>{ObjectType::object});
    EXPECT_EQ(instruction.objectContent.names, std::vector<Bytes>{"name"});
    ASSERT_EQ(instruction.objectContent.payloads.size(), 1u);
    EXPECT_EQ(concatenated(instruction.objectContent.payloads[0]), "abcdef");
}

// ---- enums and narrow integers ---------------------------------------------------------------

TEST_F(ProtobufCodecTest, OutOfRangeEnumsAreRefused) {
    // TaskResult.status = 9: one past TASK_STATUS_CANCELING (generated path).
    expectRefused(kindField(MessageKind::taskResult, varintField(2, kTaskStatusCount)),
                  "taskResult.status");
    // A negative enum value (proto3 keeps it as an int): -1 as a 10-byte varint.
    expectRefused(kindField(MessageKind::stateTask, varintField(3, ~std::uint64_t{0})),
                  "stateTask.status");
    // A value that only fits after truncation to int32 must still be refused: 2^32 + 9.
    expectRefused(kindField(MessageKind::taskResult, varintField(2, (std::uint64_t{1} << 32) + 9)),
                  "taskResult.status");
    expectRefused(kindField(MessageKind::task, lenField(5, varintField(1, 2))),
                  "task.functionArgs.type");
    expectRefused(kindField(MessageKind::clientDisconnect, varintField(1, 2)),
                  "clientDisconnect.disconnectType");
    // Hand-written path: the instruction type, the response type, an object type (packed and
    // not).
    expectRefused(kindField(MessageKind::objectInstruction, varintField(1, 3)),
                  "objectInstruction.instructionType");
    expectRefused(kindField(MessageKind::objectResponse, varintField(1, 2)),
                  "objectResponse.responseType");
    expectRefused(kindField(MessageKind::objectResponse,
                            lenField(2, lenField(1, "id") + lenField(2, varint(2)))),
                  "objectContent.objectTypes");
    expectRefused(kindField(MessageKind::objectResponse,
                            lenField(2, lenField(1, "id") + varintField(2, ~std::uint64_t{0}))),
                  "objectContent.objectTypes");
}

TEST_F(ProtobufCodecTest, IntegersWiderThanTheirPlexusFieldAreRefused) {
    // Resource.cpu is 16 bits in plexus, uint32 on the wire.
    expectRefused(kindField(MessageKind::clientHeartbeat, lenField(1, varintField(1, 65536))),
                  "clientHeartbeat.resource.cpu");
    // WorkerStatus.suspended is 8 bits.
    const std::string worker = lenField(1, "w") + varintField(7, 256);
    expectRefused(kindField(MessageKind::stateScheduler, lenField(7, lenField(1, worker))),
                  "stateScheduler.workerManager.workers");
    // The largest values that fit are fine.
    const Message decoded =
        decodeOrFail(kindField(MessageKind::clientHeartbeat, lenField(1, varintField(1, 65535))));
    EXPECT_EQ(std::get<ClientHeartbeat>(decoded).resource.cpu, 65535);
}

// ---- object content --------------------------------------------------------------------------

TEST_F(ProtobufCodecTest, MisalignedObjectListsAreRefused) {
    // Two ids, one name.
    expectRefused(kindField(MessageKind::objectInstruction,
                            lenField(3, lenField(1, "a") + lenField(1, "b") + lenField(3, "n"))),
                  "1 names for 2 ids");
    // One payload, no ids.
    expectRefused(kindField(MessageKind::objectResponse, lenField(2, lenField(4, ""))),
                  "1 payloads for 0 ids");
    // Ids only (a delete) is fine.
    const Message decoded = decodeOrFail(
        kindField(MessageKind::objectInstruction,
                  varintField(1, 1) + lenField(3, lenField(1, "a") + lenField(1, "b"))));
    EXPECT_EQ(std::get<ObjectInstruction>(decoded).objectContent.ids,
              (std::vector<Bytes>{"a", "b"}));
}

TEST_F(ProtobufCodecTest, ObjectFramesOfStrangeButValidShapeDecode) {
    // What protobuf allows and the generated parser accepts: an unpacked type list, object
    // content in two occurrences (merged), the last of two scalar occurrences winning.
    const std::string content1 =
        lenField(1, "a") + varintField(2, 1) + lenField(4, lenField(1, "x"));
    const std::string content2 = lenField(1, "b") + varintField(2, 0) + lenField(4, "");
    const Message decoded = decodeOrFail(kindField(
        MessageKind::objectInstruction, varintField(1, 2) + lenField(2, "first") +
                                            lenField(3, content1) + varintField(1, 0) +
                                            lenField(2, "second") + lenField(3, content2)));
    const auto& instruction = std::get<ObjectInstruction>(decoded);
    EXPECT_EQ(instruction.instructionType, ObjectInstructionType::create);
    EXPECT_EQ(instruction.objectUser, "second");
    EXPECT_EQ(instruction.objectContent.ids, (std::vector<Bytes>{"a", "b"}));
    EXPECT_EQ(instruction.objectContent.types,
              (std::vector<ObjectType>{ObjectType::object, ObjectType::serializer}));
    ASSERT_EQ(instruction.objectContent.payloads.size(), 2u);
    EXPECT_EQ(concatenated(instruction.objectContent.payloads[0]), "x");
    EXPECT_TRUE(instruction.objectContent.payloads[1].empty());
}

// ---- hostile input ---------------------------------------------------------------------------

TEST_F(ProtobufCodecTest, MalformedWireFormatIsRefused) {
    const std::string kind = tag(static_cast<std::uint32_t>(MessageKind::objectInstruction) + 1, 2);
    expectRefused(kind + varint(5) + "abc", "overruns");           // length past the end
    expectRefused(kind, "truncated");                              // no length
    expectRefused(std::string(11, '\xff'), "malformed");           // endless varint tag
    expectRefused(tag(1000, 3) + varintField(1, 1), "truncated");  // group never ended
    expectRefused(tag(1000, 3) + tag(1001, 4), "end of group");    // mismatched end
    expectRefused(tag(1000, 4), "wire type");                      // stray end-group
    expectRefused(tag(1000, 6), "wire type");                      // wire types 6, 7
    expectRefused(std::string("\x00", 1), "field tag");            // field number 0
    // Groups nested past protobuf's recursion limit (100).
    std::string deep;
    for (int i = 0; i < 150; ++i) deep += tag(1000, 3);
    for (int i = 0; i < 150; ++i) deep += tag(1000, 4);
    expectRefused(deep, "limit");
    // Generated path: a malformed field inside a known kind.
    expectRefused(kindField(MessageKind::taskCancel, lenField(1, "t") + tag(9, 7)), "malformed");
}

TEST_F(ProtobufCodecTest, FramesOverTwoGibibytesAreRefusedUnread) {
    // protobuf sizes are int: a frame past INT_MAX is refused before a byte of it is read (the
    // Buffer claims more bytes than it has; the codec must not touch them).
    static const char kOne = 0;
    const Buffer huge =
        Buffer::wrap(nullptr, reinterpret_cast<const std::byte*>(&kOne), std::size_t{1} << 31);
    auto decoded = codec_->decode(huge);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
}

TEST_F(ProtobufCodecTest, RandomFramesBehindEveryKindNeverCrash) {
    // Random bodies behind each kind's tag, so most get past the kind check and into the
    // generated parser or the hand-written reader.
    std::mt19937_64 random(424242);
    int accepted = 0;
    for (int i = 0; i < 25000; ++i) {
        const auto kind = static_cast<MessageKind>(i % kMessageKindCount);
        std::string body(random() % 64, '\0');
        for (char& c : body) c = static_cast<char>(random());
        auto decoded = codec_->decode(frameOf(kindField(kind, body)));
        if (decoded) {
            ++accepted;
            EXPECT_EQ(kindOf(*decoded), kind);
            EXPECT_TRUE(codec_->encode(*decoded)) << "a decoded message must encode again";
        } else {
            EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
        }
    }
    RecordProperty("accepted", accepted);
}

TEST_F(ProtobufCodecTest, DecodedBytesDoNotDependOnTheFrame) {
    // Ids and other bytes are owned by the message (payload chunks share the frame, which they
    // keep alive); overwriting the frame's storage afterwards changes nothing.
    for (const Message& message : sampleMessages()) {
        auto frame = codec_->encode(message);
        ASSERT_TRUE(frame);
        Buffer copy = Buffer::copyOf(frame->bytes());
        auto decoded = codec_->decode(copy);
        ASSERT_TRUE(decoded) << decoded.error().describe();
        if (!pb::carriesObjects(kindOf(message))) {
            std::memset(copy.mutableData(), 0xa5, copy.size());
        }
        copy = Buffer{};
        EXPECT_TRUE(messagesEqual(message, *decoded));
    }
}

}  // namespace plexus::test
