// Entry point of the uds transport plugin (plexus_transport_uds.so): the only exported symbol.
#include "plexus/plugin_abi.h"
#include "uds_transport.h"

PLEXUS_TRANSPORT_PLUGIN("uds", "0.1.0", plexus::uds::UdsTransportFactory)
