#pragma once

// The invariants both codec fuzz targets check (see fuzz_targets.h), for any Codec.

#include <memory>

#include "fuzz_targets.h"
#include "plexus/codec.h"

namespace plexus::fuzz {

/// A codec from `factory` with no options, as a configuration without codec_options makes it;
/// nullptr if the factory refuses (never for the plexus codecs).
std::unique_ptr<Codec> makeCodec(const CodecFactory& factory);

/// Decodes `input` as one frame, from an aligned copy and from an unaligned one, and checks:
/// a refusal is ErrorKind::Decode, both copies give the same outcome, and a decoded message
/// re-encodes into a frame that decodes into a message encoding to the very same bytes.
Violation checkDecodeRoundTrip(const Codec& codec, Input input);

}  // namespace plexus::fuzz
