# Client library sources, compiled into plexus_core. Paths relative to core/.
set(PLEXUS_CLIENT_SOURCES
    src/client/client.cpp
    src/client/client_core.cpp
    src/client/client_options.cpp
    src/client/ids.cpp)
