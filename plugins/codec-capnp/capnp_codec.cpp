#include "capnp_codec.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <fmt/format.h>
#include <kj/exception.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>

#include "plexus/config.h"
#include "wire_convert.h"

namespace plexus::detail {

// The frame is written and read as little-endian words in place, as Cap'n Proto lays them out.
static_assert(std::endian::native == std::endian::little, "the capnp codec assumes little-endian");

// plexus's enums carry the wire values; the converters cast between them.
static_assert(static_cast<std::uint16_t>(wire::TaskStatus::CANCELING) ==
              static_cast<std::uint16_t>(TaskStatus::canceling));
static_assert(kTaskStatusCount == static_cast<std::uint16_t>(wire::TaskStatus::CANCELING) + 1);
static_assert(static_cast<std::uint16_t>(wire::ObjectContent::ObjectContentType::OBJECT) ==
              static_cast<std::uint16_t>(ObjectType::object));
static_assert(static_cast<std::uint16_t>(wire::ObjectInstruction::ObjectInstructionType::CLEAR) ==
              static_cast<std::uint16_t>(ObjectInstructionType::clear));
static_assert(static_cast<std::uint16_t>(wire::Message::Which::CLIENT_CAPABILITIES) + 1 ==
              kMessageKindCount);

namespace {

constexpr std::size_t kWordBytes = sizeof(capnp::word);

/// Segment table: a u32 segment count minus one, one u32 size (in words) per segment, padded to
/// a whole word.
std::size_t segmentTableWords(std::size_t segmentCount) {
    return (segmentCount + 2) / 2;
}

/// Why the reader limits are what they are:
/// - traversalLimitInWords: every object a reader follows counts its size against this budget,
///   so it bounds the work and the memory decoding may spend. An honest frame is read about once
///   (each of its words), so twice the frame's words plus a small constant accepts every honest
///   frame, however large (a 1 GiB object message included; Python reads with no limit at all),
///   while a hostile frame whose pointers all aim at the same bytes ("amplification") is cut off
///   after reading about twice its own size.
/// - nestingLimit: the schema is not recursive and its deepest path is 6 levels (Message ->
///   StateScheduler -> WorkerManagerStatus -> WorkerStatus -> ProcessorStatus -> Resource); 16
///   leaves room for schema growth while keeping any recursion shallow.
capnp::ReaderOptions readerOptions(std::size_t frameWords) {
    constexpr std::uint64_t kTraversalSlackWords = 1024;
    capnp::ReaderOptions options;
    options.traversalLimitInWords =
        2 * static_cast<std::uint64_t>(frameWords) + kTraversalSlackWords;
    options.nestingLimit = 16;
    return options;
}

std::uint32_t readU32(const std::byte* at) {
    std::uint32_t value;
    std::memcpy(&value, at, sizeof value);
    return value;
}

/// Checks the segment table against the frame before Cap'n Proto sees it: the declared
/// segments must fill the frame exactly (nothing missing, nothing trailing). Arithmetic is in
/// 64 bits so no declared size can wrap; nothing is allocated from declared sizes.
Result<void> checkSegmentTable(const Buffer& frame) {
    const std::size_t frameWords = frame.size() / kWordBytes;
    const std::uint64_t segmentCount = std::uint64_t{readU32(frame.data())} + 1;
    const std::uint64_t tableWords = segmentTableWords(segmentCount);
    if (tableWords > frameWords) {
        return fail(ErrorKind::Decode,
                    fmt::format("segment table of {} segments does not fit in a {}-byte frame",
                                segmentCount, frame.size()));
    }
    std::uint64_t declaredWords = tableWords;
    for (std::uint64_t i = 0; i < segmentCount; ++i) {
        declaredWords += readU32(frame.data() + 4 + 4 * i);
    }
    if (declaredWords != frameWords) {
        return fail(ErrorKind::Decode,
                    fmt::format("segment table declares {} words but the frame has {}",
                                declaredWords, frameWords));
    }
    return {};
}

/// Whether `segment` is the one Cap'n Proto made for the externally referenced `piece`.
bool isSegmentOf(kj::ArrayPtr<const capnp::word> segment, std::span<const std::byte> piece) {
    return static_cast<const void*>(segment.begin()) == piece.data() &&
           segment.size() == (piece.size() + kWordBytes - 1) / kWordBytes;
}

}  // namespace

CapnpCodec::CapnpCodec(std::size_t maxChunkBytes) noexcept
    : maxChunkBytes_(std::clamp<std::size_t>(maxChunkBytes, 1, kCapnpMaxDataBytes)) {}

Result<Buffer> CapnpCodec::encode(const Message& message) const noexcept {
    try {
        ExternalPieces external;  // before the builder: its segments point into these pieces
        capnp::MallocMessageBuilder builder(
            static_cast<unsigned>(estimateWireWords(message, maxChunkBytes_)));
        toWire(message, builder.initRoot<wire::Message>(), maxChunkBytes_, external);

        // The flat-array layout, written straight into the one Buffer that becomes the frame.
        const auto segments = builder.getSegmentsForOutput();
        std::size_t words = segmentTableWords(segments.size());
        for (const auto& segment : segments) {
            // The table stores counts and sizes as u32; capnp's own limits keep them below.
            if (segment.size() > UINT32_MAX || segments.size() > UINT32_MAX) {
                return fail(ErrorKind::TooLarge, "message exceeds the segment table's limits");
            }
            words += segment.size();
        }
        Buffer frame = Buffer::allocate(words * kWordBytes);
        std::byte* out = frame.mutableData();

        const auto tableBytes = segmentTableWords(segments.size()) * kWordBytes;
        std::memset(out, 0, tableBytes);  // the padding word half, if any
        const auto putU32 = [&](std::size_t index, std::size_t value) {
            const auto v = static_cast<std::uint32_t>(value);
            std::memcpy(out + 4 * index, &v, sizeof v);
        };
        putU32(0, segments.size() - 1);
        for (std::size_t i = 0; i < segments.size(); ++i) putU32(i + 1, segments[i].size());

        // The payload pieces referenced in place are copied here for the first and only time.
        // Their segments are whole words; the padding after a piece is written as zeros, never
        // read from the piece's memory (what follows a piece is not ours to send, or to read).
        std::byte* next = out + tableBytes;
        std::size_t nextExternal = 0;
        for (const auto& segment : segments) {
            const std::size_t bytes = segment.size() * kWordBytes;
            if (nextExternal < external.size() && isSegmentOf(segment, external[nextExternal])) {
                const std::span<const std::byte> piece = external[nextExternal++];
                std::memcpy(next, piece.data(), piece.size());
                std::memset(next + piece.size(), 0, bytes - piece.size());
            } else {
                std::memcpy(next, segment.begin(), bytes);
            }
            next += bytes;
        }
        if (nextExternal != external.size()) {
            return fail(ErrorKind::Internal,
                        fmt::format("cannot encode {}: {} of {} referenced payload pieces are "
                                    "not among the message's segments",
                                    messageKindName(kindOf(message)),
                                    external.size() - nextExternal, external.size()));
        }
        return frame;
    } catch (const ConversionError& e) {
        return fail(e.kind, fmt::format("cannot encode {}: {}", messageKindName(kindOf(message)),
                                        e.message));
    } catch (const kj::Exception& e) {
        return fail(ErrorKind::InvalidArgument,
                    fmt::format("cannot encode {}: {}", messageKindName(kindOf(message)),
                                e.getDescription().cStr()));
    } catch (const std::bad_alloc&) {
        return fail(ErrorKind::TooLarge,
                    fmt::format("out of memory encoding {}", messageKindName(kindOf(message))));
    } catch (const std::exception& e) {
        return fail(ErrorKind::Internal, fmt::format("cannot encode {}: {}",
                                                     messageKindName(kindOf(message)), e.what()));
    } catch (...) {
        return fail(ErrorKind::Internal, "cannot encode: unknown exception");
    }
}

Result<Message> CapnpCodec::decode(const Buffer& frame) const noexcept {
    try {
        if (frame.empty()) return fail(ErrorKind::Decode, "empty frame");
        if (frame.size() % kWordBytes != 0) {
            return fail(ErrorKind::Decode,
                        fmt::format("frame of {} bytes is not a whole number of 8-byte words",
                                    frame.size()));
        }
        if (auto table = checkSegmentTable(frame); !table) return tl::unexpected(table.error());

        // Cap'n Proto reads words in place, so they must be word-aligned; otherwise read (and
        // slice payloads from) an aligned copy.
        Buffer aligned;
        const Buffer* storage = &frame;
        if (!frame.isWordAligned()) {
            aligned = Buffer::copyOf(frame.bytes());
            storage = &aligned;
        }
        const kj::ArrayPtr<const capnp::word> words(
            reinterpret_cast<const capnp::word*>(storage->data()), storage->size() / kWordBytes);
        capnp::FlatArrayMessageReader reader(words, readerOptions(words.size()));
        return fromWire(reader.getRoot<wire::Message>(), *storage);
    } catch (const ConversionError& e) {
        return fail(e.kind, e.message);
    } catch (const kj::Exception& e) {
        return fail(ErrorKind::Decode, e.getDescription().cStr());
    } catch (const std::bad_alloc&) {
        return fail(ErrorKind::Decode,
                    fmt::format("out of memory decoding a {}-byte frame", frame.size()));
    } catch (const std::exception& e) {
        return fail(ErrorKind::Decode, e.what());
    } catch (...) {
        return fail(ErrorKind::Decode, "unknown exception while decoding");
    }
}

Result<std::unique_ptr<Codec>> CapnpCodecFactory::create(
    const CodecContext& context) const noexcept {
    try {
        context.options.allowOnly({});  // the capnp codec takes no options
        return std::unique_ptr<Codec>(std::make_unique<CapnpCodec>());
    } catch (const ConfigError& e) {
        return fail(ErrorKind::InvalidConfig, e.what());
    } catch (const std::exception& e) {
        return fail(ErrorKind::Internal, fmt::format("capnp codec: {}", e.what()));
    } catch (...) {
        return fail(ErrorKind::Internal, "capnp codec: unknown exception");
    }
}

}  // namespace plexus::detail
