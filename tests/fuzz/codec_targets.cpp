// The two codec fuzz targets: the plugins' own factories and codecs, linked in from the codecs'
// static libraries (the very code their plugin.cpp wraps), so libFuzzer's coverage sees them.

#include "capnp_codec.h"
#include "codec_round_trip.h"
#include "protobuf_codec.h"

namespace plexus::fuzz {
namespace {

Violation check(const std::unique_ptr<Codec>& codec, Input input) {
    if (!codec) return "the codec factory refused an empty configuration";
    return checkDecodeRoundTrip(*codec, input);
}

}  // namespace

Violation checkCapnpDecode(Input input) {
    static const std::unique_ptr<Codec> codec = makeCodec(detail::CapnpCodecFactory{});
    return check(codec, input);
}

Violation checkProtobufDecode(Input input) {
    static const std::unique_ptr<Codec> codec = makeCodec(detail::ProtobufCodecFactory{});
    return check(codec, input);
}

}  // namespace plexus::fuzz
