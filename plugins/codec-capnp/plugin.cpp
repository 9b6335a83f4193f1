// Entry symbol of the Cap'n Proto codec plugin ("capnp"): Scaler 1.9.9's wire format.

#include "capnp_codec.h"
#include "plexus/plugin_abi.h"
#include "plexus/version.h"

PLEXUS_CODEC_PLUGIN("capnp", PLEXUS_VERSION, plexus::detail::CapnpCodecFactory)
