// The "capnp" codec: the shared conformance suite, plus what only Cap'n Proto has: the exact
// bytes of Scaler 1.9.9 frames, the segment table, union tags, reader limits and the 2^29-1
// byte Data limit.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "capnp_codec.h"
#include "conformance/codec_suite.h"
#include "message.capnp.h"
#include "support/test_support.h"

namespace plexus::test {

INSTANTIATE_TEST_SUITE_P(Capnp, CodecConformance, ::testing::Values(CodecSuiteParam{"capnp"}),
                         codecSuiteParamName);

namespace {

Buffer fromHex(std::string_view hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return Buffer::copyOf(bytes);
}

std::string toHex(const Buffer& buffer) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (std::byte b : buffer.bytes()) {
        out.push_back(kDigits[static_cast<unsigned>(b) >> 4]);
        out.push_back(kDigits[static_cast<unsigned>(b) & 15]);
    }
    return out;
}

/// A frame made of explicit little-endian words (for hand-built hostile frames).
Buffer wordsFrame(const std::vector<std::uint64_t>& words) {
    Buffer frame = Buffer::allocate(words.size() * 8);
    std::memcpy(frame.mutableData(), words.data(), words.size() * 8);
    return frame;
}

/// Raw Cap'n Proto pointers (see the encoding spec): struct and list pointers.
std::uint64_t structPointer(std::int32_t offset, std::uint16_t dataWords, std::uint16_t pointers) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(offset) << 2)) |
           (std::uint64_t{dataWords} << 32) | (std::uint64_t{pointers} << 48);
}
std::uint64_t listPointer(std::int32_t offset, unsigned elementSize, std::uint32_t count) {
    return 1u | (static_cast<std::uint64_t>(static_cast<std::uint32_t>(offset) << 2)) |
           (std::uint64_t{elementSize} << 32) | (std::uint64_t{count} << 35);
}
/// The first word of a one-segment frame: segment count - 1 = 0, then the segment's size.
std::uint64_t oneSegmentTable(std::uint32_t segmentWords) {
    return std::uint64_t{segmentWords} << 32;
}

class CapnpCodecTest : public ::testing::Test {
  protected:
    void SetUp() override {
        registry_ = makeBuildRegistry();
        auto factory = registry_->codec("capnp");
        ASSERT_TRUE(factory) << factory.error().describe();
        auto codec = (*factory)->create({});
        ASSERT_TRUE(codec) << codec.error().describe();
        codec_ = std::move(*codec);
    }

    std::unique_ptr<PluginRegistry> registry_;
    std::unique_ptr<Codec> codec_;
};

// scaler-protocol.md §1.1: Message{clientHeartbeatEcho} as `capnp encode` writes it with Scaler
// 1.9.9's schema: segment table (1 segment of 3 words), root pointer (1 data word, 1 pointer),
// data word holding union tag 9, pointer to an empty struct.
// Words: 00000000 03000000 | 00000000 01000100 | 09000000 00000000 | fcffffff 00000000.
constexpr std::string_view kEchoFrame =
    "000000000300000000000000010001000900000000000000fcffffff00000000";

TEST_F(CapnpCodecTest, ClientHeartbeatEchoEncodesToTheScalerBytes) {
    auto frame = codec_->encode(ClientHeartbeatEcho{});
    ASSERT_TRUE(frame) << frame.error().describe();
    EXPECT_EQ(toHex(*frame), kEchoFrame);

    auto decoded = codec_->decode(fromHex(kEchoFrame));
    ASSERT_TRUE(decoded) << decoded.error().describe();
    EXPECT_EQ(kindOf(*decoded), MessageKind::clientHeartbeatEcho);
}

// Frames written by `capnp encode` with Scaler 1.9.9's own message.capnp (v1.9.9 tag), from the
// text shown with each. They pin this codec's schema copy to the reference layout on real bytes:
// each decodes to the expected message, and encoding that message gives the same bytes back.
struct ReferenceFrame {
    std::string_view text;
    std::string_view hex;
    Message expected;
    /// False where the text leaves lists out: `capnp encode` then writes null pointers, while
    /// this codec (like pycapnp's new_msg(), which passes empty lists) writes empty lists.
    bool sameBytes = true;
};

std::vector<ReferenceFrame> referenceFrames() {
    std::vector<ReferenceFrame> out;
    out.push_back(
        {"(workerHeartbeat = (agent = (cpu = 992, rss = 123456789), rssFree = 987654321, "
         "queuedTasks = 3, latencyUS = 250, taskLock = true, processors = [(pid = 4321, "
         "initialized = true, hasTask = true, suspended = false, resource = (cpu = 5, rss = 6))]))",
         "000000000f00000000000000010001000a000000000000000000000003000200b168de3a0000000003000000"
         "fa000000010000000000000004000000020000000900000017000000e00300000000000015cd5b0700000000"
         "0400000001000100e1100000030000000000000002000000050000000000000006000000000000"
         "00",
         WorkerHeartbeat{Resource{992, 123456789},
                         987654321,
                         3,
                         250,
                         true,
                         {ProcessorStatus{4321, true, true, false, Resource{5, 6}}}}});
    {
        ObjectContent content;
        content.ids = {"id-1", "id-2"};
        content.types = {ObjectType::serializer, ObjectType::object};
        content.names = {"ser", "fn"};
        content.payloads.resize(2);
        content.payloads[0].push_back(Buffer::copyOf(std::string_view("abc")));
        content.payloads[0].push_back(Buffer::copyOf(std::string_view("defgh")));
        content.payloads[1].push_back(Buffer::copyOf(std::string_view("0123456789")));
        out.push_back(
            {"(objectInstruction = (instructionType = create, objectUser = \"client-1\", "
             "objectContent = (objectIds = [\"id-1\", \"id-2\"], objectTypes = [serializer, "
             "object], objectNames = [\"ser\", \"fn\"], objectBytes = [[\"abc\", \"defgh\"], "
             "[\"0123456789\"]])))",
             "000000001d000000000000000100010005000000000000000000000001000200000000000000000005"
             "000000420000000400000000000400636c69656e742d310d0000001600000019000000130000001900"
             "00001600000025000000160000000500000022000000050000002200000069642d31000000006964"
             "2d32000000000000010000000000050000001a00000005000000120000007365720000000000666e00"
             "00000000000500000016000000110000000e000000050000001a000000050000002a00000061626300"
             "000000006465666768000000010000005200000030313233343536373839000000000000",
             ObjectInstruction{ObjectInstructionType::create, "client-1", std::move(content)}});
    }
    out.push_back(
        {"(taskCancel = (taskId = \"tid\", flags = (force = true, retrieveTaskObject = "
         "false)))",
         "000000000700000000000000010001000100000000000000000000000000020005000000"
         "1a000000040000000100000074696400000000000100000000000000",
         TaskCancel{"tid", true, false}});
    out.push_back(
        {"(stateTask = (taskId = \"t\", functionName = \"f\", status = canceling, "
         "worker = \"w\", metadata = \"m\"))",
         "000000000c000000000000000100010013000000000000000000000001000400080000000000"
         "00000d0000000a0000000d0000000a0000000d0000000a0000000d0000000a00000074000000"
         "00000000660000000000000077000000000000006d00000000000000",
         StateTask{"t", "f", TaskStatus::canceling, "w", "m"}});
    {
        ObjectContent content;
        content.ids = {"gone"};
        out.push_back(
            {"(objectInstruction = (instructionType = delete, objectUser = \"w\", "
             "objectContent = (objectIds = [\"gone\"])))",
             "000000000d0000000000000001000100050000000000000000000000010002000100000000"
             "000000050000000a000000040000000000040077000000000000000d0000000e0000000000"
             "000000000000000000000000000000000000000000000100000022000000676f6e65000000"
             "00",
             ObjectInstruction{ObjectInstructionType::del, "w", std::move(content)}, false});
    }
    return out;
}

TEST_F(CapnpCodecTest, DecodesAndEncodesFramesWrittenWithTheScalerSchema) {
    for (const ReferenceFrame& reference : referenceFrames()) {
        SCOPED_TRACE(std::string(reference.text));
        const std::string hex(reference.hex);
        auto decoded = codec_->decode(fromHex(hex));
        ASSERT_TRUE(decoded) << decoded.error().describe();
        EXPECT_TRUE(messagesEqual(reference.expected, *decoded));
        if (reference.sameBytes) {
            auto encoded = codec_->encode(reference.expected);
            ASSERT_TRUE(encoded) << encoded.error().describe();
            EXPECT_EQ(toHex(*encoded), hex);
        }
    }
}

TEST_F(CapnpCodecTest, UnknownUnionTagIsRefused) {
    for (std::uint16_t tag : {std::uint16_t{kMessageKindCount},
                              std::uint16_t{kMessageKindCount + 1}, std::uint16_t{0xffff}}) {
        Buffer frame = fromHex(kEchoFrame);
        std::memcpy(frame.mutableData() + 16, &tag, sizeof tag);  // the union tag (§1.1)
        auto decoded = codec_->decode(frame);
        ASSERT_FALSE(decoded) << "tag " << tag;
        EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
        EXPECT_NE(decoded.error().message.find("unknown message type " + std::to_string(tag)),
                  std::string::npos)
            << decoded.error().message;
    }
}

TEST_F(CapnpCodecTest, UnknownEnumerantIsRefused) {
    // stateTask's status (UInt16 at data bits [0,16) of StateTask) set to 9: no such TaskStatus.
    Buffer frame = fromHex(referenceFrames()[3].hex);
    // Root Message at segment words 1..2; its pointer (word 2) has offset 0, so StateTask's data
    // word is segment word 3: byte 8 (the table) + 3 * 8.
    constexpr std::size_t kStatusByte = 8 + 3 * 8;
    const std::uint16_t status = 9;
    ASSERT_EQ(static_cast<unsigned>(frame.data()[kStatusByte]), 8u);  // canceling, as encoded
    std::memcpy(frame.mutableData() + kStatusByte, &status, sizeof status);
    auto decoded = codec_->decode(frame);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
}

TEST_F(CapnpCodecTest, MisalignedObjectListsAreRefused) {
    // Two ids but one name: what no stock peer sends for a create.
    capnp::MallocMessageBuilder builder;
    auto content =
        builder.initRoot<detail::wire::Message>().initObjectInstruction().initObjectContent();
    auto ids = content.initObjectIds(2);
    ids.set(0, capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("a"), 1));
    ids.set(1, capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("b"), 1));
    content.initObjectNames(1).set(
        0, capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("n"), 1));
    const auto words = capnp::messageToFlatArray(builder);
    const Buffer frame = Buffer::copyOf(std::span(reinterpret_cast<const std::byte*>(words.begin()),
                                                  words.size() * sizeof(capnp::word)));
    auto decoded = codec_->decode(frame);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
}

TEST_F(CapnpCodecTest, HugeSegmentTableIsRefusedBeforeAllocating) {
    // One segment declared as 2^32-1 words (32 GiB) in a 3-word frame; then 2^32 segments.
    // Refusal must come from the table check (which allocates nothing), not from an allocation.
    for (const Buffer& frame :
         {wordsFrame({oneSegmentTable(0xffffffffu), structPointer(0, 1, 0), 9}),
          wordsFrame({0x00000001ffffffffull, 0, 0}),
          wordsFrame({oneSegmentTable(1), 0, 0})}) {  // and a segment shorter than the frame
        auto decoded = codec_->decode(frame);
        ASSERT_FALSE(decoded);
        EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
        EXPECT_NE(decoded.error().message.find("segment table"), std::string::npos)
            << decoded.error().message;
    }
}

TEST_F(CapnpCodecTest, FrameSizeNotAWholeNumberOfWordsIsRefused) {
    Buffer frame = fromHex(kEchoFrame);
    auto decoded = codec_->decode(frame.slice(0, 31));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
}

TEST_F(CapnpCodecTest, AmplificationIsCappedByTheTraversalLimit) {
    // objectRequest whose N id pointers all aim at one M-word blob: decoding would copy N*M
    // words out of a frame of about N+M words.
    constexpr std::uint32_t kIds = 2000;
    constexpr std::uint32_t kBlobWords = 2000;
    std::vector<std::uint64_t> segment;
    segment.push_back(structPointer(0, 1, 1));   // root -> Message at word 1
    segment.push_back(6);                        // union tag: objectRequest
    segment.push_back(structPointer(0, 1, 1));   // -> ObjectRequest at word 3
    segment.push_back(0);                        // requestType get
    segment.push_back(listPointer(0, 6, kIds));  // objectIds: pointers at words 5..
    for (std::uint32_t i = 0; i < kIds; ++i) {
        segment.push_back(listPointer(static_cast<std::int32_t>(kIds - 1 - i), 2, kBlobWords * 8));
    }
    segment.resize(segment.size() + kBlobWords, 0x4141414141414141ull);
    std::vector<std::uint64_t> words{oneSegmentTable(static_cast<std::uint32_t>(segment.size()))};
    words.insert(words.end(), segment.begin(), segment.end());

    auto decoded = codec_->decode(wordsFrame(words));
    ASSERT_FALSE(decoded) << "an amplified frame decoded";
    EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);

    // The same shape with only a handful of ids stays under the limit and decodes.
    std::vector<std::uint64_t> small{oneSegmentTable(5 + 2 + 4),
                                     structPointer(0, 1, 1),
                                     6,
                                     structPointer(0, 1, 1),
                                     0,
                                     listPointer(0, 6, 2),
                                     listPointer(1, 2, 32),
                                     listPointer(0, 2, 32),
                                     1,
                                     2,
                                     3,
                                     4};
    auto ok = codec_->decode(wordsFrame(small));
    ASSERT_TRUE(ok) << ok.error().describe();
    EXPECT_EQ(std::get<ObjectRequest>(*ok).objectIds.size(), 2u);
}

TEST_F(CapnpCodecTest, RandomSegmentsBehindAValidTableNeverCrash) {
    // The conformance suite's random bytes rarely get past the segment table; these do, so
    // capnp's pointer validation and the converters see random pointers and data.
    std::mt19937_64 random(99);
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        const auto segmentWords = static_cast<std::uint32_t>(1 + random() % 24);
        std::vector<std::uint64_t> words{oneSegmentTable(segmentWords)};
        for (std::uint32_t w = 0; w < segmentWords; ++w) words.push_back(random());
        if (i % 2 == 0 && segmentWords >= 3) {
            words[1] = structPointer(0, 1, 1);  // a root Message with a random variant pointer
            words[2] = random() % 30;           // tags 0-29: some unknown
        }
        auto decoded = codec_->decode(wordsFrame(words));
        if (decoded) {
            ++accepted;
            EXPECT_TRUE(codec_->encode(*decoded)) << "a decoded message must encode again";
        } else {
            EXPECT_EQ(decoded.error().kind, ErrorKind::Decode);
        }
    }
    EXPECT_GT(accepted, 0);
    RecordProperty("accepted", accepted);
}

TEST_F(CapnpCodecTest, MultiSegmentFramesDecodeInPlace) {
    // A builder forced to put every object in its own segment (far pointers everywhere), as a
    // peer's builder does for large payloads.
    capnp::MallocMessageBuilder builder(1, capnp::AllocationStrategy::FIXED_SIZE);
    auto instruction = builder.initRoot<detail::wire::Message>().initObjectInstruction();
    instruction.setObjectUser(capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("u"), 1));
    auto content = instruction.initObjectContent();
    content.initObjectIds(1).set(
        0, capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("id"), 2));
    content.initObjectTypes(1).set(0, detail::wire::ObjectContent::ObjectContentType::OBJECT);
    content.initObjectNames(1).set(
        0, capnp::Data::Reader(reinterpret_cast<const capnp::byte*>("n"), 1));
    const Buffer payload = patternBuffer(100000, 3);
    content.initObjectBytes(1).init(0, 1).set(
        0,
        capnp::Data::Reader(reinterpret_cast<const capnp::byte*>(payload.data()), payload.size()));
    ASSERT_GT(builder.getSegmentsForOutput().size(), 3u);

    const auto words = capnp::messageToFlatArray(builder);
    const Buffer frame = Buffer::copyOf(std::span(reinterpret_cast<const std::byte*>(words.begin()),
                                                  words.size() * sizeof(capnp::word)));
    auto decoded = codec_->decode(frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& chunks = std::get<ObjectInstruction>(*decoded).objectContent.payloads.at(0);
    ASSERT_EQ(chunks.size(), 1u);
    EXPECT_EQ(chunks[0].view(), payload.view());
    EXPECT_GE(chunks[0].data(), frame.data());
    EXPECT_LE(chunks[0].data() + chunks[0].size(), frame.data() + frame.size());
}

/// The segment table of an encoded frame: each segment's size in words.
std::vector<std::uint32_t> segmentWords(const Buffer& frame) {
    std::uint32_t countMinusOne = 0;
    std::memcpy(&countMinusOne, frame.data(), 4);
    std::vector<std::uint32_t> sizes(countMinusOne + 1);
    std::memcpy(sizes.data(), frame.data() + 4, 4 * sizes.size());
    return sizes;
}

/// An ObjectInstruction carrying one object of the given chunks.
ObjectInstruction instructionOf(std::vector<Buffer> chunks) {
    ObjectContent content;
    content.ids = {"object"};
    content.types = {ObjectType::object};
    content.names = {"name"};
    content.payloads.push_back(std::move(chunks));
    return ObjectInstruction{ObjectInstructionType::create, "user", std::move(content)};
}

TEST_F(CapnpCodecTest, EncodedFramesAreOneSegmentUnlessTheyCarryLargePayloads) {
    // The first segment is sized from the message, so peers get the common single-segment
    // layout for everything but large payloads.
    for (const Message& message : sampleMessages()) {
        auto frame = codec_->encode(message);
        ASSERT_TRUE(frame) << frame.error().describe();
        EXPECT_EQ(segmentWords(*frame).size(), 1u) << messageKindName(kindOf(message));
    }
    // A large payload is not copied into the builder: it is a segment of its own, exactly its
    // words long, copied once into the frame.
    constexpr std::size_t kSize = (std::size_t{8} << 20) + 5;
    const Buffer payload = patternBuffer(kSize, 1);
    std::vector<Buffer> chunks;
    chunks.push_back(payload.share());
    auto frame = codec_->encode(instructionOf(std::move(chunks)));
    ASSERT_TRUE(frame) << frame.error().describe();
    const auto sizes = segmentWords(*frame);
    EXPECT_GT(sizes.size(), 1u);
    EXPECT_EQ(std::count(sizes.begin(), sizes.end(), (kSize + 7) / 8), 1);
    auto decoded = codec_->decode(*frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& received = std::get<ObjectInstruction>(*decoded).objectContent.payloads.at(0);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0].view() == payload.view());  // not EXPECT_EQ: never print 8 MiB
}

TEST_F(CapnpCodecTest, NothingPastTheEndOfALargePayloadReachesTheFrame) {
    // A payload slice ending mid-word, followed in memory by bytes that are not its own: the
    // word padding after it on the wire must be zeros, not those bytes.
    constexpr std::size_t kSize = 100003;
    Buffer backing = Buffer::allocate(kSize + 64);
    std::memset(backing.mutableData(), 0xee, backing.size());
    const Buffer pattern = patternBuffer(kSize, 2);
    std::memcpy(backing.mutableData(), pattern.data(), kSize);
    std::vector<Buffer> chunks;
    chunks.push_back(backing.slice(0, kSize));
    auto frame = codec_->encode(instructionOf(std::move(chunks)));
    ASSERT_TRUE(frame) << frame.error().describe();
    EXPECT_GT(segmentWords(*frame).size(), 1u);  // the payload was referenced in place

    auto decoded = codec_->decode(*frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& received = std::get<ObjectInstruction>(*decoded).objectContent.payloads.at(0);
    ASSERT_EQ(received.size(), 1u);
    EXPECT_TRUE(received[0].view() == pattern.view());
    const std::byte* end = received[0].data() + kSize;
    ASSERT_LE(end + (8 - kSize % 8), frame->data() + frame->size());
    for (std::size_t i = 0; i < 8 - kSize % 8; ++i) EXPECT_EQ(end[i], std::byte{0}) << i;
}

TEST_F(CapnpCodecTest, UnalignedLargePayloadsAreCopiedIntact) {
    // Cap'n Proto can only reference word-aligned bytes; a slice at an odd offset is copied.
    const Buffer backing = patternBuffer(300001, 3);
    std::vector<Buffer> chunks;
    chunks.push_back(backing.slice(1, 200000));
    chunks.push_back(backing.slice(200001, 100000));
    auto frame = codec_->encode(instructionOf(std::move(chunks)));
    ASSERT_TRUE(frame) << frame.error().describe();
    auto decoded = codec_->decode(*frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& received = std::get<ObjectInstruction>(*decoded).objectContent.payloads.at(0);
    EXPECT_TRUE(concatenated(received) == std::string(backing.view().substr(1)));
}

TEST(CapnpCodecChunks, LongChunksAreSplitAtTheDataLimit) {
    // The real limit is 2^29-1 bytes; a codec built with a 1000-byte limit exercises the same
    // code without gigabyte payloads.
    const detail::CapnpCodec codec(1000);
    ObjectContent content;
    content.ids = {"a", "b"};
    content.types = {ObjectType::object, ObjectType::object};
    content.names = {"a", "b"};
    content.payloads.resize(2);
    content.payloads[0].push_back(patternBuffer(2500, 1));  // -> 1000 + 1000 + 500
    content.payloads[0].push_back(patternBuffer(1000, 2));  // exactly the limit: one piece
    content.payloads[0].push_back(Buffer{});                // an empty chunk stays one
    content.payloads[1].push_back(patternBuffer(999, 3));
    const std::string first = concatenated(content.payloads[0]);
    const std::string second = concatenated(content.payloads[1]);

    auto frame =
        codec.encode(ObjectInstruction{ObjectInstructionType::create, "user", std::move(content)});
    ASSERT_TRUE(frame) << frame.error().describe();
    auto decoded = codec.decode(*frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& payloads = std::get<ObjectInstruction>(*decoded).objectContent.payloads;
    ASSERT_EQ(payloads.size(), 2u);
    std::vector<std::size_t> sizes;
    for (const Buffer& chunk : payloads[0]) sizes.push_back(chunk.size());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{1000, 1000, 500, 1000, 0}));
    EXPECT_EQ(concatenated(payloads[0]), first);
    ASSERT_EQ(payloads[1].size(), 1u);
    EXPECT_EQ(concatenated(payloads[1]), second);
}

TEST(CapnpCodecChunks, LargePiecesOfASplitChunkAreReferencedAndLineUp) {
    // With an 80,000-byte limit a 200,000-byte chunk is cut into 80,000 + 80,000 (each large
    // and word-aligned: referenced in place) + 40,000 (copied); a second object in between
    // interleaves copied and referenced pieces.
    const detail::CapnpCodec codec(80000);
    ObjectContent content;
    content.ids = {"a", "b", "c"};
    content.payloads.resize(3);
    content.payloads[0].push_back(patternBuffer(200000, 1));
    content.payloads[1].push_back(patternBuffer(100, 2));
    content.payloads[2].push_back(patternBuffer(70000, 3));
    const std::string a = concatenated(content.payloads[0]);
    const std::string b = concatenated(content.payloads[1]);
    const std::string c = concatenated(content.payloads[2]);

    auto frame = codec.encode(ObjectResponse{ObjectResponseType::content, std::move(content)});
    ASSERT_TRUE(frame) << frame.error().describe();
    auto decoded = codec.decode(*frame);
    ASSERT_TRUE(decoded) << decoded.error().describe();
    const auto& payloads = std::get<ObjectResponse>(*decoded).objectContent.payloads;
    ASSERT_EQ(payloads.size(), 3u);
    std::vector<std::size_t> sizes;
    for (const Buffer& chunk : payloads[0]) sizes.push_back(chunk.size());
    EXPECT_EQ(sizes, (std::vector<std::size_t>{80000, 80000, 40000}));
    EXPECT_TRUE(concatenated(payloads[0]) == a);
    EXPECT_TRUE(concatenated(payloads[1]) == b);
    EXPECT_TRUE(concatenated(payloads[2]) == c);
}

TEST(CapnpCodecChunks, DefaultLimitIsCapnpDataLimit) {
    EXPECT_EQ(detail::kCapnpMaxDataBytes, (std::size_t{1} << 29) - 1);
    // A chunk under the limit is one Data, whatever its size.
    const detail::CapnpCodec codec;
    ObjectContent content;
    content.ids = {"a"};
    content.payloads.resize(1);
    content.payloads[0].push_back(patternBuffer(3 << 20, 1));
    auto frame = codec.encode(ObjectResponse{ObjectResponseType::content, std::move(content)});
    ASSERT_TRUE(frame);
    auto decoded = codec.decode(*frame);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::get<ObjectResponse>(*decoded).objectContent.payloads.at(0).size(), 1u);
}

TEST(CapnpCodecFactory, AcceptsAbsentOrEmptyOptions) {
    auto registry = makeBuildRegistry();
    auto factory = registry->codec("capnp");
    ASSERT_TRUE(factory) << factory.error().describe();
    EXPECT_TRUE((*factory)->create({}));
    EXPECT_TRUE((*factory)->create(CodecContext{parseConfigText("{}", "codec.yaml")}));
    auto refused = (*factory)->create(CodecContext{parseConfigText("[1, 2]", "codec.yaml")});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::InvalidConfig);
}

}  // namespace
}  // namespace plexus::test
