// Unit tests of the pure parts of the tcp transport: the YMQ frame decoder and address parsing.

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "address.h"
#include "framing.h"
#include "plugins/transport-tcp/raw_peer.h"

namespace plexus::tcp {
namespace {

using test::le64;
using test::ymqFrame;
using test::ymqMagic;
using test::ymqPreamble;

std::span<const std::byte> bytesOf(const std::string& s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::vector<std::string> texts(const std::vector<Buffer>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames) out.emplace_back(f.view());
    return out;
}

TEST(TcpFraming, LengthIsLittleEndianWhateverTheHost) {
    const LengthHeader header = encodeLength(0x0102030405060708ull);
    const std::vector<std::byte> expected{std::byte{8}, std::byte{7}, std::byte{6}, std::byte{5},
                                          std::byte{4}, std::byte{3}, std::byte{2}, std::byte{1}};
    EXPECT_TRUE(std::equal(header.begin(), header.end(), expected.begin()));
    EXPECT_EQ(decodeLength(header), 0x0102030405060708ull);
    EXPECT_EQ(decodeLength(encodeLength(0)), 0u);
    EXPECT_EQ(decodeLength(encodeLength(std::numeric_limits<std::uint64_t>::max())),
              std::numeric_limits<std::uint64_t>::max());
}

TEST(TcpFraming, PreambleIsMagicThenIdentityFrame) {
    const Buffer preamble = encodePreamble("1|Client|ab");
    EXPECT_EQ(std::string(preamble.view()), ymqPreamble("1|Client|ab"));
    EXPECT_EQ(std::string(preamble.view()).substr(0, 4), std::string("YMQ\x01", 4));
}

TEST(TcpFrameDecoder, DecodesByteAtATime) {
    const std::string stream =
        ymqPreamble("peer-1") + ymqFrame("hello") + ymqFrame("") + ymqFrame(std::string(300, 'x'));
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    for (std::size_t i = 0; i < stream.size(); ++i) {
        ASSERT_TRUE(decoder.feed(bytesOf(stream).subspan(i, 1), frames)) << "at byte " << i;
        if (i < 4 + 8 + 6 - 1) {
            EXPECT_FALSE(decoder.handshakeDone()) << "at byte " << i;
        }
    }
    ASSERT_TRUE(decoder.identity());
    EXPECT_EQ(*decoder.identity(), "peer-1");
    EXPECT_EQ(texts(frames), (std::vector<std::string>{"hello", "", std::string(300, 'x')}));
    EXPECT_TRUE(decoder.atFrameBoundary());
}

TEST(TcpFrameDecoder, DecodesManyFramesInOneChunk) {
    std::string stream = ymqPreamble("p");
    for (int i = 0; i < 100; ++i) stream += ymqFrame("frame " + std::to_string(i));
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    ASSERT_TRUE(decoder.feed(bytesOf(stream), frames));
    ASSERT_EQ(frames.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(frames[i].view(), "frame " + std::to_string(i));
}

TEST(TcpFrameDecoder, SplitsAnywhere) {
    const std::string stream =
        ymqPreamble("peer") + ymqFrame("abc") + ymqFrame("") + ymqFrame("de");
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        FrameDecoder decoder(1 << 20);
        std::vector<Buffer> frames;
        ASSERT_TRUE(decoder.feed(bytesOf(stream).subspan(0, cut), frames));
        ASSERT_TRUE(decoder.feed(bytesOf(stream).subspan(cut), frames));
        EXPECT_EQ(texts(frames), (std::vector<std::string>{"abc", "", "de"})) << "cut at " << cut;
    }
}

TEST(TcpFrameDecoder, FramesAreWordAligned) {
    // Odd sizes put later frames at odd offsets of the input; each must still get aligned memory.
    std::string stream = ymqPreamble("p");
    for (int size : {1, 3, 5, 7, 9, 1000}) stream += ymqFrame(std::string(size, 'z'));
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    ASSERT_TRUE(decoder.feed(bytesOf(stream), frames));
    for (const auto& frame : frames) EXPECT_TRUE(frame.isWordAligned());
}

TEST(TcpFrameDecoder, DirectTargetReceivesALargeFrame) {
    const std::string body(200000, 'q');
    const std::string head = ymqPreamble("p") + le64(body.size()) + body.substr(0, 10);
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    ASSERT_TRUE(decoder.feed(bytesOf(head), frames));
    EXPECT_TRUE(frames.empty());
    std::size_t offset = 10;
    while (offset < body.size()) {
        auto target = decoder.directTarget();
        ASSERT_EQ(target.size(), body.size() - offset);
        const std::size_t n = std::min<std::size_t>(65536, target.size());
        std::memcpy(target.data(), body.data() + offset, n);
        decoder.commitDirect(n, frames);
        offset += n;
    }
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].view(), body);
    EXPECT_TRUE(decoder.directTarget().empty());
}

TEST(TcpFrameDecoder, RefusesWrongMagicAtTheFirstWrongByte) {
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    ASSERT_TRUE(decoder.feed(bytesOf("YM"), frames));
    const auto result = decoder.feed(bytesOf("X"), frames);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::Protocol);
    // Stays failed.
    EXPECT_FALSE(decoder.feed(bytesOf(ymqPreamble("p")), frames));
    EXPECT_FALSE(decoder.handshakeDone());
}

TEST(TcpFrameDecoder, RefusesOldMagiclessStream) {
    // Scaler 1.12.1-2.0.1 sent the identity frame without magic.
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    EXPECT_FALSE(decoder.feed(bytesOf(ymqFrame("old-peer")), frames));
}

TEST(TcpFrameDecoder, RefusesEmptyAndOversizeIdentity) {
    {
        FrameDecoder decoder(1 << 20);
        std::vector<Buffer> frames;
        const auto result = decoder.feed(bytesOf(ymqPreamble("")), frames);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().kind, ErrorKind::Protocol);
    }
    {
        FrameDecoder decoder(1 << 20);
        std::vector<Buffer> frames;
        const auto result = decoder.feed(bytesOf(ymqMagic() + le64(kMaxIdentityBytes + 1)), frames);
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().kind, ErrorKind::TooLarge);
    }
    {
        FrameDecoder decoder(1 << 20);
        std::vector<Buffer> frames;
        EXPECT_TRUE(
            decoder.feed(bytesOf(ymqPreamble(std::string(kMaxIdentityBytes, 'i'))), frames));
    }
}

TEST(TcpFrameDecoder, RefusesOversizeFrameBeforeAllocating) {
    FrameDecoder decoder(1000);
    std::vector<Buffer> frames;
    // A length no allocator could satisfy: the check must come first (else bad_alloc).
    const auto result = decoder.feed(bytesOf(ymqPreamble("p") + ymqFrame("ok") +
                                             le64(std::numeric_limits<std::uint64_t>::max())),
                                     frames);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::TooLarge);
    // The frame before the violation is still delivered.
    EXPECT_EQ(texts(frames), std::vector<std::string>{"ok"});
}

TEST(TcpFrameDecoder, AcceptsFrameOfExactlyTheLimit) {
    FrameDecoder decoder(1000);
    std::vector<Buffer> frames;
    ASSERT_TRUE(decoder.feed(bytesOf(ymqPreamble("p") + ymqFrame(std::string(1000, 'a'))), frames));
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_FALSE(decoder.feed(bytesOf(le64(1001)), frames));
}

TEST(TcpFrameDecoder, KnowsWhereAStreamWasCutOff) {
    FrameDecoder decoder(1 << 20);
    std::vector<Buffer> frames;
    ASSERT_TRUE(decoder.feed(bytesOf(ymqPreamble("p")), frames));
    EXPECT_TRUE(decoder.atFrameBoundary());
    ASSERT_TRUE(decoder.feed(bytesOf(le64(10) + "abc"), frames));
    EXPECT_FALSE(decoder.atFrameBoundary());
    ASSERT_TRUE(decoder.feed(bytesOf("defghij"), frames));
    EXPECT_TRUE(decoder.atFrameBoundary());
    ASSERT_TRUE(decoder.feed(bytesOf(le64(1).substr(0, 3)), frames));
    EXPECT_FALSE(decoder.atFrameBoundary());
}

TEST(TcpAddress, ParsesIpv4AndBracketedIpv6) {
    auto v4 = parseTcpAddress("tcp://127.0.0.1:5555");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->port(), 5555);
    EXPECT_EQ(formatTcpAddress(*v4), "tcp://127.0.0.1:5555");
    auto v6 = parseTcpAddress("tcp://[::1]:0");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->address().is_v6());
    EXPECT_EQ(formatTcpAddress(*v6), "tcp://[::1]:0");
}

TEST(TcpAddress, RefusesWhatIsNotAnIpLiteralWithPort) {
    for (const char* bad : {"127.0.0.1:5555", "udp://127.0.0.1:1", "tcp://localhost:5555",
                            "tcp://127.0.0.1", "tcp://127.0.0.1:", "tcp://127.0.0.1:65536",
                            "tcp://127.0.0.1:12ab", "tcp://::1:5555", "tcp://:5555"}) {
        auto parsed = parseTcpAddress(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidArgument) << bad;
    }
}

}  // namespace
}  // namespace plexus::tcp
