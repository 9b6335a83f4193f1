// plexus's transport conformance suite (installed with the SDK), run against the uds plugin
// loaded from this build. "unix://" asks for a fresh socket path, as port 0 does for tcp.
#include "conformance/transport_suite.h"

PLEXUS_INSTANTIATE_TRANSPORT_SUITE(Uds, "uds", "unix://");
