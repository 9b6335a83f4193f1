# Worker runtime sources, compiled into plexus_core. Paths relative to core/.
set(PLEXUS_WORKER_SOURCES)
