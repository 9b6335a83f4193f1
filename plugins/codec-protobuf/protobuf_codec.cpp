#include "protobuf_codec.h"

#include <fmt/format.h>
#include <google/protobuf/arena.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>

#include "plexus/config.h"
#include "proto_convert.h"
#include "raw_wire.h"

namespace plexus::detail {
namespace {

/// The first block of each call's Arena, on the stack: the generated objects of a heartbeat, a
/// task or a task result (a few hundred bytes) fit, so the Arena itself does not allocate for
/// them. Larger messages (monitor state) continue on the heap. 2 KiB of stack is negligible on
/// any thread plexus runs a codec on.
constexpr std::size_t kArenaFirstBlockBytes = 2048;

}  // namespace

Result<Buffer> ProtobufCodec::encode(const Message& message) const noexcept {
    try {
        if (pb::carriesObjects(kindOf(message))) return pb::encodeObjects(message);

        alignas(std::max_align_t) char block[kArenaFirstBlockBytes];
        google::protobuf::Arena arena(block, sizeof block);
        auto* root = google::protobuf::Arena::CreateMessage<wire::Message>(&arena);
        pb::toProto(message, *root);

        const std::size_t size = root->ByteSizeLong();  // also caches every nested size
        if (size > pb::kMaxFrameBytes) {
            return fail(ErrorKind::TooLarge,
                        fmt::format("cannot encode {}: {} bytes exceed protobuf's limit of {}",
                                    messageKindName(kindOf(message)), size, pb::kMaxFrameBytes));
        }
        Buffer frame = Buffer::allocate(size);
        auto* begin = reinterpret_cast<std::uint8_t*>(frame.mutableData());
        const std::uint8_t* end = root->SerializeWithCachedSizesToArray(begin);
        if (end != begin + size) {
            return fail(ErrorKind::Internal,
                        fmt::format("cannot encode {}: serialized {} bytes, expected {}",
                                    messageKindName(kindOf(message)), end - begin, size));
        }
        return frame;
    } catch (const pb::ConversionError& e) {
        return fail(e.kind, fmt::format("cannot encode {}: {}", messageKindName(kindOf(message)),
                                        e.message));
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

Result<Message> ProtobufCodec::decode(const Buffer& frame) const noexcept {
    try {
        if (frame.size() > pb::kMaxFrameBytes) {
            return fail(ErrorKind::Decode,
                        fmt::format("a frame of {} bytes exceeds protobuf's limit of {}",
                                    frame.size(), pb::kMaxFrameBytes));
        }
        const pb::FrameKind where = pb::scanFrame(frame);
        if (pb::carriesObjects(where.kind)) return pb::decodeObjects(frame, where);

        alignas(std::max_align_t) char block[kArenaFirstBlockBytes];
        google::protobuf::Arena arena(block, sizeof block);
        auto* root = google::protobuf::Arena::CreateMessage<wire::Message>(&arena);
        if (!root->ParseFromArray(frame.data(), static_cast<int>(frame.size()))) {
            return fail(ErrorKind::Decode,
                        fmt::format("malformed protobuf frame ({} bytes, kind {})", frame.size(),
                                    messageKindName(where.kind)));
        }
        if (static_cast<int>(root->kind_case()) != static_cast<int>(where.kind) + 1) {
            return fail(ErrorKind::Decode, "malformed protobuf frame: inconsistent message kind");
        }
        return pb::fromProto(*root);
    } catch (const pb::ConversionError& e) {
        return fail(e.kind, e.message);
    } catch (const std::bad_alloc&) {
        return fail(ErrorKind::Decode,
                    fmt::format("out of memory decoding a {}-byte frame", frame.size()));
    } catch (const std::exception& e) {
        return fail(ErrorKind::Decode, e.what());
    } catch (...) {
        return fail(ErrorKind::Decode, "unknown exception while decoding");
    }
}

Result<std::unique_ptr<Codec>> ProtobufCodecFactory::create(
    const CodecContext& context) const noexcept {
    try {
        context.options.allowOnly({});  // the protobuf codec takes no options
        return std::unique_ptr<Codec>(std::make_unique<ProtobufCodec>());
    } catch (const ConfigError& e) {
        return fail(ErrorKind::InvalidConfig, e.what());
    } catch (const std::exception& e) {
        return fail(ErrorKind::Internal, fmt::format("protobuf codec: {}", e.what()));
    } catch (...) {
        return fail(ErrorKind::Internal, "protobuf codec: unknown exception");
    }
}

}  // namespace plexus::detail
