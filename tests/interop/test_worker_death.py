"""A stock worker killed with SIGKILL: its tasks run elsewhere and every future resolves; and a
task that kills its worker, past the scheduler's retry cap, raises the stock WorkerDiedError."""

import os
import signal
import time

import pytest
from scaler import Client
from scaler.utility.exceptions import WorkerDiedError

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


def kill_my_worker():
    os.kill(os.getppid(), signal.SIGKILL)  # a task runs in a processor, a child of its worker
    time.sleep(60)


def test_task_that_kills_its_worker_raises_worker_died_error(tmp_path, processes):
    scheduler = PlexusScheduler(
        tmp_path, extra="  worker_timeout_seconds: 3\n  max_task_retries: 0\n")
    processes.append(scheduler)
    workers = ScalerWorkers(tmp_path, scheduler.address, count=2)
    processes.append(workers)
    wait_until(lambda: len(workers.worker_pids()) == 2, 30, "two stock workers")
    with Client(address=scheduler.address) as client:
        assert client.submit(slow_identity, 1).result(timeout=60) == 1  # workers are registered
        with pytest.raises(WorkerDiedError):
            client.submit(kill_my_worker).result(timeout=60)
        assert client.submit(slow_identity, 2).result(timeout=60) == 2  # the other one carries on
    assert scheduler.running(), scheduler.output()
