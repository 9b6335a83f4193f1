// Entry point of the tcp transport plugin (plexus_transport_tcp.so).
#include "plexus/plugin_abi.h"
#include "tcp_factory.h"

PLEXUS_TRANSPORT_PLUGIN("tcp", "0.1.0", plexus::tcp::TcpTransportFactory)
