#pragma once

// The parts of the protobuf wire format the codec handles by hand (protobuf's encoding:
// https://protobuf.dev/programming-guides/encoding/):
// - finding a frame's one `Message.kind` field;
// - writing and reading the two kinds that carry object payloads, ObjectInstruction and
//   ObjectResponse, so that a payload byte is copied once on encode (into the frame) and never
//   on decode (a chunk is a slice of the frame). The generated code would copy each chunk into a
//   std::string on both sides.
//
// The bytes written are exactly those the generated serializer writes for the same message
// (fields in number order, proto3 defaults omitted, enum lists packed), and the reader accepts
// what the generated parser accepts for these messages: unknown fields (skipped), enum lists
// packed or not, repeated occurrences of a nested message (merged). Field numbers come from the
// generated code (plexus.pb.h), so a renumbering in plexus.proto cannot go unnoticed; the tests
// compare both directions with the generated code.
//
// Internal to the protobuf codec. Throws ConversionError (proto_convert.h).

#include <cstddef>
#include <limits>

#include "plexus/buffer.h"
#include "plexus/messages.h"

namespace plexus::detail::pb {

/// The largest frame either way: protobuf's message size limit (2 GiB - 1; sizes are int).
inline constexpr std::size_t kMaxFrameBytes = std::numeric_limits<int>::max();

/// Where a frame's `Message.kind` field is.
struct FrameKind {
    MessageKind kind = MessageKind::task;
    std::size_t offset = 0;  ///< of the field's value (the embedded message) in the frame
    std::size_t length = 0;  ///< of that value
};

/// Walks the top level of `frame` (at most kMaxFrameBytes) and finds its kind, skipping unknown
/// fields. Throws ConversionError (Decode) for malformed wire format, for a frame with no known
/// kind ("unknown message type": empty, or a kind from a newer plexus, an unknown field number)
/// and for a frame whose kind is set more than once (protobuf would merge the occurrences; no
/// plexus encoder writes that, so it is refused rather than interpreted).
FrameKind scanFrame(const Buffer& frame);

/// True for ObjectInstruction and ObjectResponse, the kinds this file encodes and decodes.
inline bool carriesObjects(MessageKind kind) noexcept {
    return kind == MessageKind::objectInstruction || kind == MessageKind::objectResponse;
}

/// The frame of an ObjectInstruction or ObjectResponse: one allocation of the exact size; each
/// payload chunk is copied once, into it. Throws ConversionError (InvalidArgument: an enum out
/// of range, ObjectContent lists that do not line up; TooLarge: over kMaxFrameBytes).
Buffer encodeObjects(const Message& message);

/// Reads the ObjectInstruction or ObjectResponse found by scanFrame(). Payload chunks are slices
/// of `frame` (shared, not copied; they keep the frame alive). Throws ConversionError (Decode).
Message decodeObjects(const Buffer& frame, const FrameKind& where);

}  // namespace plexus::detail::pb
