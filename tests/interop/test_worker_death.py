"""A stock worker killed with SIGKILL: its tasks run elsewhere and every future resolves."""

import os
import signal
import time

from scaler import Client

from conftest import PlexusScheduler, ScalerWorkers, wait_until


def slow_identity(x):
    time.sleep(0.1)
    return x


def test_killed_worker_tasks_run_elsewhere(tmp_path, processes):
    scheduler = PlexusScheduler(tmp_path, extra="  worker_timeout_seconds: 3\n")
    processes.append(scheduler)
    workers = ScalerWorkers(tmp_path, scheduler.address, count=3)
    processes.append(workers)
    wait_until(lambda: len(workers.worker_pids()) == 3, 30, "three stock workers")
    with Client(address=scheduler.address) as client:
        futures = [client.submit(slow_identity, i) for i in range(60)]
        assert futures[0].result(timeout=60) == 0  # work is flowing to every worker
        os.kill(workers.worker_pids()[0], signal.SIGKILL)
        assert [future.result(timeout=120) for future in futures] == list(range(60))
    assert scheduler.running(), scheduler.output()
