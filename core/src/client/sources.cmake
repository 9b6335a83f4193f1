# Client library sources, compiled into plexus_core. Paths relative to core/.
set(PLEXUS_CLIENT_SOURCES)
