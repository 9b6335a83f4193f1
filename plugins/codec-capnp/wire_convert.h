#pragma once

// Conversions between plexus::Message and the generated Cap'n Proto types (schema/*.capnp).
// Internal to the capnp codec.
//
// Cap'n Proto reports malformed input and exceeded limits by throwing kj::Exception, so these
// functions are exception-based too: they throw ConversionError for what they check themselves
// and let kj::Exception through. CapnpCodec::encode()/decode() catch both; nothing escapes the
// codec.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "message.capnp.h"
#include "plexus/buffer.h"
#include "plexus/messages.h"
#include "plexus/result.h"

namespace plexus::detail {

/// A refusal found by the converters themselves (not by Cap'n Proto).
struct ConversionError {
    ErrorKind kind;
    std::string message;
};

/// The object payload pieces toWire() did not copy into the builder: each one is a segment of
/// its own that refers to the piece's bytes where they are (Cap'n Proto's external data), so
/// that they are copied once, straight into the frame. In the order toWire() added them, which
/// is their order among the builder's segments. Such a segment is the piece rounded up to whole
/// words: the bytes past the piece's end are not the piece's and must not be read.
using ExternalPieces = std::vector<std::span<const std::byte>>;

/// Writes `message` into `root`. Object payload chunks longer than `maxChunkBytes` are split
/// into pieces of at most that size; large word-aligned pieces are referenced, not copied, and
/// appended to `external` (their bytes must outlive the builder). Throws ConversionError
/// (InvalidArgument: an enum value out of range, ObjectContent lists of different lengths;
/// TooLarge: a field over a Cap'n Proto limit) or kj::Exception.
void toWire(const Message& message, wire::Message::Builder root, std::size_t maxChunkBytes,
            ExternalPieces& external);

/// Reads `root`, which lives in `storage`'s bytes: object payload chunks become slices of
/// `storage` (shared, not copied). Throws ConversionError (Decode: unknown message type, enum
/// value out of range, ObjectContent lists of different lengths) or kj::Exception.
Message fromWire(wire::Message::Reader root, const Buffer& storage);

/// Words of a first segment big enough for `message` (its object payloads above all, cut at
/// `maxChunkBytes`, except the pieces toWire() references in place), so that everything but
/// those pieces fits in a single segment. An estimate: a message that outgrows it simply gets
/// more segments.
std::size_t estimateWireWords(const Message& message, std::size_t maxChunkBytes) noexcept;

}  // namespace plexus::detail
