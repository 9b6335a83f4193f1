# Worker runtime sources, compiled into plexus_core. Paths relative to core/.
set(PLEXUS_WORKER_SOURCES
    src/worker/worker_config.cpp
    src/worker/task_libraries.cpp
    src/worker/executor_pool.cpp
    src/worker/host_channel.cpp
    src/worker/task_process.cpp
    src/worker/task_process_pool.cpp
    src/worker/task_host.cpp
    src/worker/worker_core.cpp
    src/worker/worker.cpp)
