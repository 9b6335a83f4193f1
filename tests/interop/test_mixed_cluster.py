"""Stock Python workers and plexus C++ workers under one scheduler: Python tasks only reach stock
workers, native tasks only plexus workers, and each kind of client gets its answers."""

import operator
import subprocess

from scaler import Client

from conftest import BUILD, PlexusWorker, ScalerWorkers


def test_python_and_native_tasks_share_a_cluster(tmp_path, scheduler, processes):
    processes.append(ScalerWorkers(tmp_path, scheduler.address, count=2))
    processes.append(PlexusWorker(tmp_path, scheduler.tcp_address,
                                  [BUILD / "examples" / "libplexus_example_pi_tasks.so"]))
    native_client = subprocess.Popen([str(BUILD / "examples" / "plexus_example_pi"),
                                      scheduler.tcp_address],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with Client(address=scheduler.address) as client:
        # A plexus worker given a Python task, or a stock worker given a native one, would fail it.
        assert client.map(operator.mul, [(i, 3) for i in range(300)]) == [3 * i for i in range(300)]
    output, _ = native_client.communicate(timeout=120)
    assert native_client.returncode == 0, output
    assert "pi ~= 3.14" in output
