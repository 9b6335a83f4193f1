#pragma once

// The protobuf codec: plexus::Message <-> plexus's own protobuf schema (proto/plexus.proto), one
// serialized `plexus.wire.Message` per frame. For plexus peers only; stock Scaler peers speak the
// Cap'n Proto codec.

#include <memory>

#include "plexus/codec.h"

namespace plexus::detail {

/// Encodes and decodes plexus.wire.Message frames.
///
/// Two paths, one wire format:
/// - ObjectInstruction and ObjectResponse (the kinds with object payloads) are written and read
///   by hand (raw_wire.h), byte for byte as the generated code would: encode copies each payload
///   chunk once, into the frame; decode copies no payload byte, each chunk is a slice of the
///   frame (so it keeps the frame alive while it lives).
/// - Every other kind goes through the generated code on a protobuf Arena: encode serializes
///   straight into one Buffer of ByteSizeLong() bytes; decode is ParseFromArray over the frame,
///   then the parsed byte strings are moved (not copied) into the plexus message.
///
/// Limits: a frame is at most INT_MAX bytes (protobuf's 2 GiB message limit), both ways; nesting
/// is bounded by protobuf's default recursion limit (100). Decode refuses a frame whose `kind`
/// is not set exactly once, enum values outside the schema, integers wider than the plexus
/// field, and ObjectContent lists that do not line up.
///
/// Thread-safety: immutable; encode() and decode() may run concurrently.
class ProtobufCodec final : public Codec {
  public:
    Result<Buffer> encode(const Message& message) const noexcept override;
    Result<Message> decode(const Buffer& frame) const noexcept override;
};

/// The plugin's factory. The codec takes no options: any key in `context.options` is an
/// InvalidConfig error naming the key. Thread-safe.
class ProtobufCodecFactory final : public CodecFactory {
  public:
    Result<std::unique_ptr<Codec>> create(const CodecContext& context) const noexcept override;
};

}  // namespace plexus::detail
