#pragma once

// The Cap'n Proto codec: plexus::Message <-> Scaler 1.9.9's wire format, one unpacked
// Cap'n Proto message ("flat array": segment table + segments, as pycapnp's to_bytes() writes
// and from_bytes() reads) per frame, with root struct `Message` (schema/message.capnp).

#include <cstddef>
#include <cstdint>
#include <memory>

#include "plexus/codec.h"

namespace plexus::detail {

/// The largest Cap'n Proto Data blob (a list's element count has 29 bits). Scaler's
/// CAPNP_DATA_SIZE_LIMIT has the same value; object payload chunks longer than this are split.
inline constexpr std::size_t kCapnpMaxDataBytes = (std::size_t{1} << 29) - 1;

/// Encodes and decodes Scaler 1.9.9 frames.
///
/// Encode copies the message into a MallocMessageBuilder, then the segments once into a single
/// Buffer (the frame). Large object payload pieces are not copied into the builder: each becomes
/// a segment of its own referring to the payload, so their bytes are copied exactly once, into
/// the frame (such a frame has several segments, which every Cap'n Proto reader accepts).
/// Decode reads the frame in place when it is word-aligned (one aligned copy otherwise); decoded
/// object payload chunks are slices of that storage, so they keep the whole frame alive for as
/// long as they live.
///
/// Thread-safety: immutable after construction; encode() and decode() may run concurrently.
class CapnpCodec final : public Codec {
  public:
    /// `maxChunkBytes` is the largest Data blob an object payload chunk is written as; longer
    /// chunks are split on encode. It is clamped to [1, kCapnpMaxDataBytes]; only tests lower it.
    explicit CapnpCodec(std::size_t maxChunkBytes = kCapnpMaxDataBytes) noexcept;

    Result<Buffer> encode(const Message& message) const noexcept override;
    Result<Message> decode(const Buffer& frame) const noexcept override;

  private:
    std::size_t maxChunkBytes_;
};

/// The plugin's factory. The codec takes no options: any key in `context.options` is an
/// InvalidConfig error. Thread-safe.
class CapnpCodecFactory final : public CodecFactory {
  public:
    Result<std::unique_ptr<Codec>> create(const CodecContext& context) const noexcept override;
};

}  // namespace plexus::detail
