// The tcp framing fuzz target: see fuzz_targets.h for the input layout and the invariants.

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "framing.h"
#include "fuzz_targets.h"

namespace plexus::fuzz {
namespace {

using tcp::FrameDecoder;

/// What a decoder made of a stream.
struct Decoded {
    std::vector<Buffer> frames;
    std::optional<Error> error;
};

/// Deterministic read sizes from one seed byte (xorshift32): half the reads fill what was asked,
/// the others return a random part of it, as a socket read may.
class ReadSizes {
  public:
    explicit ReadSizes(std::uint8_t seed) noexcept : state_(0x9e3779b9u ^ seed) {}
    std::size_t next(std::size_t asked) noexcept {
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        if (state_ & 1u) return asked;
        return 1 + (state_ >> 1) % asked;
    }

  private:
    std::uint32_t state_;
};

/// Reads `stream` as tcp_connection.cpp does: into a chunk of `chunkBytes` and feed(), or,
/// once the frame in progress has at least a chunk's worth left, straight into directTarget().
Decoded readLikeConnection(FrameDecoder& decoder, std::span<const std::byte> stream,
                           std::size_t chunkBytes, ReadSizes sizes) {
    Decoded out;
    std::size_t at = 0;
    while (at < stream.size()) {
        const std::span<std::byte> direct = decoder.directTarget();
        const bool intoFrame = direct.size() >= chunkBytes;
        const std::size_t count =
            std::min(sizes.next(intoFrame ? direct.size() : chunkBytes), stream.size() - at);
        const std::span<const std::byte> read = stream.subspan(at, count);
        at += count;
        if (intoFrame) {
            std::memcpy(direct.data(), read.data(), count);
            decoder.commitDirect(count, out.frames);
        } else if (auto fed = decoder.feed(read, out.frames); !fed) {
            out.error = fed.error();
            break;
        }
    }
    return out;
}

bool sameError(const std::optional<Error>& a, const std::optional<Error>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->kind == b->kind && a->message == b->message);
}

std::string describe(const std::optional<Error>& error) {
    return error ? error->describe() : "no error";
}

/// The bytes a sender would have written for `identity` and `frames`.
std::vector<std::byte> reencode(const Identity& identity, const std::vector<Buffer>& frames) {
    const Buffer preamble = tcp::encodePreamble(identity);
    std::vector<std::byte> out(preamble.bytes().begin(), preamble.bytes().end());
    for (const Buffer& frame : frames) {
        const tcp::LengthHeader header = tcp::encodeLength(frame.size());
        out.insert(out.end(), header.begin(), header.end());
        out.insert(out.end(), frame.bytes().begin(), frame.bytes().end());
    }
    return out;
}

}  // namespace

Violation checkTcpFraming(Input input) {
    if (input.size() < 2) return std::nullopt;
    const std::size_t chunkBytes = 1 + input[0] % 64;
    const ReadSizes sizes(input[1]);
    const std::span<const std::byte> stream = std::as_bytes(input.subspan(2));

    FrameDecoder decoder(kFuzzMaxFrameBytes);
    const Decoded read = readLikeConnection(decoder, stream, chunkBytes, sizes);

    FrameDecoder reference(kFuzzMaxFrameBytes);
    Decoded whole;
    if (auto fed = reference.feed(stream, whole.frames); !fed) whole.error = fed.error();

    if (!sameError(read.error, whole.error)) {
        return fmt::format("read in {}-byte chunks: {}; fed at once: {}", chunkBytes,
                           describe(read.error), describe(whole.error));
    }
    if (read.frames.size() != whole.frames.size()) {
        return fmt::format("read in {}-byte chunks: {} frames; fed at once: {}", chunkBytes,
                           read.frames.size(), whole.frames.size());
    }
    for (std::size_t i = 0; i < read.frames.size(); ++i) {
        if (read.frames[i].view() != whole.frames[i].view()) {
            return fmt::format("frame {} differs between chunked and whole reads", i);
        }
    }
    if (decoder.identity() != reference.identity()) {
        return "the identity differs between chunked and whole reads";
    }
    if (decoder.atFrameBoundary() != reference.atFrameBoundary()) {
        return "the decoders disagree on whether the stream stopped between frames";
    }
    if (decoder.describePosition().empty()) return "describePosition() is empty";

    if (read.error) {
        // Sticky: the failed decoder refuses anything more with the same error.
        std::vector<Buffer> more;
        auto again = decoder.feed(stream.subspan(0, std::min<std::size_t>(stream.size(), 1)), more);
        if (again || !sameError(again.error(), read.error) || !more.empty()) {
            return "a failed decoder accepted more input or changed its error";
        }
    }

    for (std::size_t i = 0; i < read.frames.size(); ++i) {
        const Buffer& frame = read.frames[i];
        if (frame.size() > kFuzzMaxFrameBytes) {
            return fmt::format("frame {} has {} bytes, over the {}-byte limit", i, frame.size(),
                               kFuzzMaxFrameBytes);
        }
        if (!frame.empty() && !frame.isWordAligned()) {
            return fmt::format("frame {} is not word-aligned", i);
        }
    }
    if (!decoder.handshakeDone()) {
        if (!read.frames.empty()) return "frames were delivered before the handshake finished";
        return std::nullopt;
    }
    const Identity& identity = *decoder.identity();
    if (identity.empty() || identity.size() > tcp::kMaxIdentityBytes) {
        return fmt::format("accepted an identity of {} bytes", identity.size());
    }

    const std::vector<std::byte> sent = reencode(identity, read.frames);
    if (sent.size() > stream.size() || !std::equal(sent.begin(), sent.end(), stream.begin())) {
        return "re-encoding the identity and frames does not give back the stream's bytes";
    }
    const bool cleanEnd = !read.error && decoder.atFrameBoundary();
    if (cleanEnd && sent.size() != stream.size()) {
        return fmt::format(
            "the stream ended between frames, but {} of its {} bytes are not in "
            "any frame",
            stream.size() - sent.size(), stream.size());
    }
    if (!read.error && !cleanEnd && sent.size() == stream.size()) {
        return "every byte is in a frame, yet the decoder is not between frames";
    }
    return std::nullopt;
}

}  // namespace plexus::fuzz
