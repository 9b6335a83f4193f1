// The fuzz targets' invariant checks catch what they claim to: codecs and streams that break
// an invariant on purpose are reported, honest ones are not.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "codec_round_trip.h"
#include "framing.h"
#include "fuzz_targets.h"

namespace plexus::fuzz {
namespace {

enum class Flaw { none, lossy, wrongRefusalKind, encodeRefuses, alignmentSensitive };

/// A codec whose frames are 8 bytes, a ClientHeartbeat's latencyUS (4 bytes) and resource.cpu
/// (4 bytes), with one flaw on demand.
class FlawedCodec final : public Codec {
  public:
    explicit FlawedCodec(Flaw flaw) : flaw_(flaw) {}

    Result<Buffer> encode(const Message& message) const noexcept override {
        if (flaw_ == Flaw::encodeRefuses) return fail(ErrorKind::InvalidArgument, "no");
        const auto& heartbeat = std::get<ClientHeartbeat>(message);
        const std::uint32_t words[2] = {heartbeat.latencyUS,
                                        static_cast<std::uint32_t>(heartbeat.resource.cpu)};
        Buffer frame = Buffer::allocate(sizeof words);
        std::memcpy(frame.mutableData(), words, sizeof words);
        return frame;
    }

    Result<Message> decode(const Buffer& frame) const noexcept override {
        if (frame.size() != 8) {
            return fail(flaw_ == Flaw::wrongRefusalKind ? ErrorKind::Internal : ErrorKind::Decode,
                        "not 8 bytes");
        }
        if (flaw_ == Flaw::alignmentSensitive && !frame.isWordAligned()) {
            return fail(ErrorKind::Decode, "unaligned");
        }
        std::uint32_t words[2];
        std::memcpy(words, frame.data(), sizeof words);
        ClientHeartbeat heartbeat;
        heartbeat.latencyUS = words[0];
        // The lossy flaw reads the cpu field one off, so every round trip changes it.
        heartbeat.resource.cpu = words[1] + (flaw_ == Flaw::lossy ? 1 : 0);
        return Message{heartbeat};
    }

  private:
    Flaw flaw_;
};

const std::vector<std::uint8_t> kFrame{1, 2, 3, 4, 5, 6, 7, 8};
const std::vector<std::uint8_t> kBadFrame{1, 2, 3};

TEST(CodecRoundTripCheck, PassesAnHonestCodec) {
    const FlawedCodec codec(Flaw::none);
    EXPECT_EQ(checkDecodeRoundTrip(codec, kFrame), std::nullopt);
    EXPECT_EQ(checkDecodeRoundTrip(codec, kBadFrame), std::nullopt);
}

TEST(CodecRoundTripCheck, CatchesEachFlaw) {
    EXPECT_NE(checkDecodeRoundTrip(FlawedCodec(Flaw::lossy), kFrame), std::nullopt);
    EXPECT_NE(checkDecodeRoundTrip(FlawedCodec(Flaw::wrongRefusalKind), kBadFrame), std::nullopt);
    EXPECT_NE(checkDecodeRoundTrip(FlawedCodec(Flaw::encodeRefuses), kFrame), std::nullopt);
    EXPECT_NE(checkDecodeRoundTrip(FlawedCodec(Flaw::alignmentSensitive), kFrame), std::nullopt);
}

/// chunk selector, read seed, then a stream.
std::vector<std::uint8_t> framingInput(std::uint8_t chunk, std::uint8_t seed,
                                       const std::vector<std::uint8_t>& stream) {
    std::vector<std::uint8_t> input{chunk, seed};
    input.insert(input.end(), stream.begin(), stream.end());
    return input;
}

std::vector<std::uint8_t> validStream() {
    std::vector<std::uint8_t> stream;
    const Buffer preamble = tcp::encodePreamble("1|Client|abc");
    for (std::byte b : preamble.bytes()) stream.push_back(static_cast<std::uint8_t>(b));
    for (std::size_t size : {0u, 5u, 200u}) {
        for (std::byte b : tcp::encodeLength(size)) stream.push_back(static_cast<std::uint8_t>(b));
        for (std::size_t i = 0; i < size; ++i) stream.push_back(static_cast<std::uint8_t>(i));
    }
    return stream;
}

TEST(TcpFramingCheck, AcceptsValidAndRefusedStreamsAlike) {
    // Whatever the chunking, a valid stream, a truncated one and a refused one (wrong magic,
    // oversize frame) all keep every invariant: refusing bad input is not a violation.
    std::vector<std::uint8_t> oversize = validStream();
    for (std::byte b : tcp::encodeLength(kFuzzMaxFrameBytes + 1)) {
        oversize.push_back(static_cast<std::uint8_t>(b));
    }
    std::vector<std::uint8_t> wrongMagic = validStream();
    wrongMagic[2] = 'X';
    std::vector<std::uint8_t> truncated = validStream();
    truncated.resize(truncated.size() - 3);
    for (const auto& stream : {validStream(), oversize, wrongMagic, truncated}) {
        for (std::uint8_t chunk : {0, 3, 63}) {
            for (std::uint8_t seed : {0, 1, 2}) {
                EXPECT_EQ(checkTcpFraming(framingInput(chunk, seed, stream)), std::nullopt)
                    << "chunk selector " << int(chunk) << ", seed " << int(seed);
            }
        }
    }
}

}  // namespace
}  // namespace plexus::fuzz
