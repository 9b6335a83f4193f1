"""The stock Scaler 1.9.9 client and workers (`scaler_cluster`) on a plexus scheduler."""

import operator
import time

import pytest
from scaler import Client

from conftest import PlexusScheduler, ScalerWorkers, process_alive, wait_until


def test_submit_and_result(scheduler, workers):
    with Client(address=scheduler.address) as client:
        assert client.submit(pow, 2, 10).result() == 1024


def test_map(scheduler, workers):
    with Client(address=scheduler.address) as client:
        assert client.map(pow, [(i, 2) for i in range(200)]) == [i * i for i in range(200)]


def test_send_object_used_by_tasks(scheduler, workers):
    with Client(address=scheduler.address) as client:
        numbers = client.send_object(list(range(1000)), name="numbers")
        futures = [client.submit(operator.getitem, numbers, i) for i in range(10)]
        assert [f.result() for f in futures] == list(range(10))
        assert client.submit(sum, numbers).result() == sum(range(1000))


def test_graph(scheduler, workers):
    graph = {
        "a": 2,
        "b": 3,
        "ten": 10,
        "c": (operator.add, "a", "b"),
        "d": (operator.mul, "c", "ten"),
        "e": (operator.sub, "d", "a"),
    }
    with Client(address=scheduler.address) as client:
        assert client.get(graph, keys=["c", "e"]) == {"c": 5, "e": 48}


def fibonacci(address, n):
    """A task that submits tasks to the same cluster."""
    if n < 2:
        return n
    with Client(address=address) as client:
        a = client.submit(fibonacci, address, n - 1)
        b = client.submit(fibonacci, address, n - 2)
        return a.result() + b.result()


def test_nested_tasks(tmp_path, scheduler, processes):
    # Nested tasks each hold a worker while they wait for their children.
    processes.append(ScalerWorkers(tmp_path, scheduler.address, count=6, name="many-workers"))
    with Client(address=scheduler.address) as client:
        assert client.submit(fibonacci, scheduler.address, 4).result() == 3


def raise_value_error(message):
    raise ValueError(message)


def test_task_that_raises(scheduler, workers):
    with Client(address=scheduler.address) as client:
        with pytest.raises(ValueError, match="raised on purpose"):
            client.submit(raise_value_error, "raised on purpose").result()
        assert client.submit(operator.neg, 5).result() == -5  # the worker carries on


def make_bytes(size):
    return b"r" * size


def test_hundred_megabyte_argument_and_result(scheduler, workers):
    size = 100 * 1024 * 1024
    with Client(address=scheduler.address) as client:
        assert client.submit(len, b"a" * size).result() == size
        result = client.submit(make_bytes, size).result()
        assert len(result) == size and result[:1] == b"r" and result[-1:] == b"r"


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


def test_cancel(scheduler, workers):
    with Client(address=scheduler.address) as client:
        long_tasks = [client.submit(sleep_for, 3) for _ in range(6)]
        for future in long_tasks:
            future.cancel()
        assert all(future.cancelled() for future in long_tasks)
        assert client.submit(operator.add, 1, 1).result() == 2


def test_disconnect_then_reconnect(scheduler, workers):
    client = Client(address=scheduler.address)
    assert client.submit(abs, -3).result() == 3
    client.disconnect()
    with Client(address=scheduler.address) as again:
        assert again.submit(abs, -4).result() == 4


def test_shutdown_stops_scheduler_and_workers(tmp_path, scheduler, processes):
    # One worker, known to the scheduler once it has run a task: the shutdown must reach it.
    # (scaler_cluster's own parent process stays until signalled, as it does with Scaler.)
    workers = ScalerWorkers(tmp_path, scheduler.address, count=1)
    processes.append(workers)
    client = Client(address=scheduler.address)
    assert client.submit(abs, -1).result() == 1
    worker_pids = workers.worker_pids()
    assert len(worker_pids) == 1
    client.shutdown()
    wait_until(lambda: not scheduler.running(), 30, "the scheduler to exit")
    assert scheduler.popen.returncode == 0, scheduler.output()
    wait_until(lambda: not process_alive(worker_pids[0]), 30, "the worker to exit")


def test_protected_scheduler_refuses_shutdown(tmp_path, processes):
    scheduler = PlexusScheduler(tmp_path, extra="  protected: true\n")
    processes.append(scheduler)
    processes.append(ScalerWorkers(tmp_path, scheduler.address, count=1))
    client = Client(address=scheduler.address)
    with pytest.raises(ValueError, match="protected mode"):
        client.shutdown()
    with Client(address=scheduler.address) as again:
        assert again.submit(abs, -7).result() == 7
    assert scheduler.running()
