#include "codec_round_trip.h"

#include <fmt/format.h>

#include <cstring>

namespace plexus::fuzz {
namespace {

std::string_view kindName(const Message& message) {
    return messageKindName(kindOf(message));
}

}  // namespace

std::unique_ptr<Codec> makeCodec(const CodecFactory& factory) {
    auto codec = factory.create(CodecContext{});
    return codec ? std::move(*codec) : nullptr;
}

Violation checkDecodeRoundTrip(const Codec& codec, Input input) {
    const std::span<const std::byte> bytes = std::as_bytes(input);
    // Exactly sized, so that a sanitizer catches any read past the frame. Transports hand
    // codecs frames at allocation (16-byte) alignment; the unaligned copy starts one byte later.
    const Buffer frame = Buffer::copyOf(bytes);
    Buffer padded = Buffer::allocate(bytes.size() + 1);
    if (!bytes.empty()) std::memcpy(padded.mutableData() + 1, bytes.data(), bytes.size());
    const Buffer unalignedFrame = padded.slice(1, bytes.size());

    const Result<Message> decoded = codec.decode(frame);
    const Result<Message> unaligned = codec.decode(unalignedFrame);
    if (decoded.has_value() != unaligned.has_value()) {
        return fmt::format("aligned decode {}, unaligned decode {}",
                           decoded ? "succeeded" : decoded.error().describe(),
                           unaligned ? "succeeded" : unaligned.error().describe());
    }
    if (!decoded) {
        if (decoded.error().kind != ErrorKind::Decode) {
            return "a refused frame is not an ErrorKind::Decode error: " +
                   decoded.error().describe();
        }
        return std::nullopt;
    }

    const Result<Buffer> first = codec.encode(*decoded);
    if (!first) {
        return fmt::format("a decoded {} does not encode again: {}", kindName(*decoded),
                           first.error().describe());
    }
    const Result<Buffer> fromUnaligned = codec.encode(*unaligned);
    if (!fromUnaligned || fromUnaligned->view() != first->view()) {
        return fmt::format("the {} decoded at an unaligned address differs", kindName(*decoded));
    }
    const Result<Message> again = codec.decode(*first);
    if (!again) {
        return fmt::format("a re-encoded {} does not decode: {}", kindName(*decoded),
                           again.error().describe());
    }
    if (kindOf(*again) != kindOf(*decoded)) {
        return fmt::format("a re-encoded {} decodes as a {}", kindName(*decoded), kindName(*again));
    }
    const Result<Buffer> second = codec.encode(*again);
    if (!second) {
        return fmt::format("a {} decoded from a re-encoded frame does not encode: {}",
                           kindName(*again), second.error().describe());
    }
    if (second->view() != first->view()) {
        return fmt::format("the round trip of a {} is not stable: {} bytes, then {} bytes",
                           kindName(*decoded), first->size(), second->size());
    }
    return std::nullopt;
}

}  // namespace plexus::fuzz
