#pragma once

// Conversions between plexus::Message and the generated protobuf types (proto/plexus.proto), and
// what both codec paths share. Internal to the protobuf codec.
//
// Like the Cap'n Proto converters these throw: ConversionError for what they refuse. The codec's
// encode()/decode() catch it (and everything else); nothing escapes the codec.

#include <cstdint>
#include <string>
#include <string_view>

#include "plexus.pb.h"
#include "plexus/messages.h"
#include "plexus/result.h"

namespace plexus::detail::pb {

/// A refusal by the converters (an enum out of range, lists that do not line up, ...).
struct ConversionError {
    ErrorKind kind;
    std::string message;
};

[[noreturn]] void refuse(ErrorKind kind, std::string message);

/// The number of enumerants of each plexus enum without a count constant in messages.h.
inline constexpr std::uint16_t kArgumentTypeCount = 2;
inline constexpr std::uint16_t kObjectInstructionTypeCount = 3;
inline constexpr std::uint16_t kObjectRequestTypeCount = 1;
inline constexpr std::uint16_t kObjectResponseTypeCount = 2;
inline constexpr std::uint16_t kNodeTaskTypeCount = 2;
inline constexpr std::uint16_t kDisconnectTypeCount = 2;

/// The wire value of a plexus enum; throws InvalidArgument for a value outside the schema.
template <class PlexusEnum>
std::uint32_t enumToWire(PlexusEnum value, std::uint16_t count, std::string_view field) {
    const auto raw = static_cast<std::uint16_t>(value);
    if (raw >= count) {
        refuse(ErrorKind::InvalidArgument, std::string(field) + ": value " + std::to_string(raw) +
                                               " is not one of the " + std::to_string(count) +
                                               " enumerants");
    }
    return raw;
}

/// A wire enum value as the plexus enum; throws Decode for a value outside the schema (proto3
/// keeps unknown enum values as plain numbers, negative ones included).
template <class PlexusEnum>
PlexusEnum enumFromWire(std::int64_t raw, std::uint16_t count, std::string_view field) {
    if (raw < 0 || raw >= count) {
        refuse(ErrorKind::Decode,
               std::string(field) + ": unknown enumerant " + std::to_string(raw));
    }
    return static_cast<PlexusEnum>(raw);
}

/// Every non-empty list of `content` must have one element per id (a delete or a request
/// carries ids only). Throws `kind` (InvalidArgument on encode, Decode on decode).
void checkParallel(const ObjectContent& content, ErrorKind kind, std::string_view field);

/// Writes `message` into `root` (all kinds; object payload chunks are copied into the generated
/// message, which the codec avoids by writing object kinds with raw_wire.h). Throws
/// ConversionError (InvalidArgument).
void toProto(const Message& message, wire::Message& root);

/// Reads `root` (all kinds), moving its byte strings out, so `root` is left hollow. Object
/// payload chunks become Buffers that own the parsed strings (protobuf's parse copied them once;
/// no further copy). Throws ConversionError (Decode: no kind set, an enum or integer out of
/// range, ObjectContent lists that do not line up).
Message fromProto(wire::Message& root);

}  // namespace plexus::detail::pb
