// The transport conformance suite, run against the tcp plugin loaded from the build tree.
#include "conformance/transport_suite.h"

PLEXUS_INSTANTIATE_TRANSPORT_SUITE(Tcp, "tcp", "tcp://127.0.0.1:0");
