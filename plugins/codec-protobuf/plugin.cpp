// Entry symbol of the protobuf codec plugin ("protobuf"): plexus's own schema, for plexus peers.

#include "plexus/plugin_abi.h"
#include "plexus/version.h"
#include "protobuf_codec.h"

PLEXUS_CODEC_PLUGIN("protobuf", PLEXUS_VERSION, plexus::detail::ProtobufCodecFactory)
