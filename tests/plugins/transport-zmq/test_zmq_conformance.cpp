// The transport conformance suite, run against the zmq plugin loaded from the build tree.
#include "conformance/transport_suite.h"

PLEXUS_INSTANTIATE_TRANSPORT_SUITE(Zmq, "zmq", "tcp://127.0.0.1:0");
