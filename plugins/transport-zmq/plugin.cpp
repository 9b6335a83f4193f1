// Entry point of the ZeroMQ transport plugin (plexus_transport_zmq.so).
#include "plexus/plugin_abi.h"
#include "zmq_factory.h"

PLEXUS_TRANSPORT_PLUGIN("zmq", "0.1.0", plexus::zmq::ZmqTransportFactory)
