#pragma once

// Conversions between plexus::Message and the generated Cap'n Proto types (schema/*.capnp).
// Internal to the capnp codec.
//
// Cap'n Proto reports malformed input and exceeded limits by throwing kj::Exception, so these
// functions are exception-based too: they throw ConversionError for what they check themselves
// and let kj::Exception through. CapnpCodec::encode()/decode() catch both; nothing escapes the
// codec.

#include <cstddef>
#include <string>

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

/// Writes `message` into `root`. Object payload chunks longer than `maxChunkBytes` are split
/// into pieces of at most that size. Throws ConversionError (InvalidArgument: an enum value out
/// of range, ObjectContent lists of different lengths; TooLarge: a field over a Cap'n Proto
/// limit) or kj::Exception.
void toWire(const Message& message, wire::Message::Builder root, std::size_t maxChunkBytes);

/// Reads `root`, which lives in `storage`'s bytes: object payload chunks become slices of
/// `storage` (shared, not copied). Throws ConversionError (Decode: unknown message type, enum
/// value out of range, ObjectContent lists of different lengths) or kj::Exception.
Message fromWire(wire::Message::Reader root, const Buffer& storage);

/// Words of a first segment big enough for `message` (its object payloads above all, cut at
/// `maxChunkBytes`), so that a typical frame is a single segment. An estimate: a message that
/// outgrows it simply gets more segments.
std::size_t estimateWireWords(const Message& message, std::size_t maxChunkBytes) noexcept;

}  // namespace plexus::detail
