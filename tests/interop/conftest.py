"""Fixtures that run a real plexus scheduler (and plexus workers) next to stock Scaler 1.9.9
clients and workers on loopback. Every wait has a deadline; nothing sleeps blindly."""

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("PLEXUS_BUILD_DIR", ROOT / "build"))
PLEXUS = BUILD / "plexus"
PLUGINS = BUILD / "lib" / "plexus" / "plugins"
SCALER_CLUSTER = pathlib.Path(sys.executable).parent / "scaler_cluster"


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    pause = 0.005
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class Process:
    """A child process whose output goes to a file, stopped (then killed) at teardown."""

    def __init__(self, args, log_path, env=None):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                      start_new_session=True)

    def output(self):
        return pathlib.Path(self.log_path).read_text(errors="replace")

    def running(self):
        return self.popen.poll() is None

    def stop(self, timeout=10):
        if self.running():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._log.close()


class PlexusScheduler(Process):
    """`plexus scheduler` with a zmq+capnp endpoint for stock peers and a tcp+capnp endpoint for
    plexus peers, both on free ports."""

    def __init__(self, tmp_path, extra=""):
        config = tmp_path / "scheduler.yaml"
        config.write_text(
            "scheduler:\n"
            "  endpoints:\n"
            "    - {address: 'tcp://127.0.0.1:0', transport: zmq, codec: capnp}\n"
            "    - {address: 'tcp://127.0.0.1:0', transport: tcp, codec: capnp}\n"
            f"  plugin_dir: {PLUGINS}\n" + extra)
        address_file = tmp_path / "scheduler.address"
        super().__init__([str(PLEXUS), "scheduler", "--config", str(config), "--address-file",
                          str(address_file)], tmp_path / "scheduler.log")
        wait_until(lambda: address_file.exists() or not self.running(), 10, "the scheduler to listen")
        if not address_file.exists():
            raise RuntimeError("scheduler did not start:\n" + self.output())
        self.address, self.tcp_address = address_file.read_text().split()


class ScalerWorkers(Process):
    """Stock Scaler 1.9.9 workers: `scaler_cluster -n N <address>`."""

    def __init__(self, tmp_path, address, count=2, name="workers"):
        # Functions defined in the tests are pickled by reference: the workers import them from
        # here, as a deployment ships its code to its workers.
        env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).parent))
        super().__init__([str(SCALER_CLUSTER), "-n", str(count), address],
                         tmp_path / f"{name}.log", env=env)

    def worker_pids(self):
        """The worker processes scaler_cluster started: its children, less multiprocessing's
        resource tracker."""
        children = pathlib.Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()] if children.exists() else []

        def is_worker(pid):
            try:
                return b"resource_tracker" not in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                return False

        return [pid for pid in pids if is_worker(pid)]


def process_alive(pid):
    """True while `pid` runs (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


class PlexusWorker(Process):
    """A plexus C++ worker running the given task libraries, connected over tcp+capnp."""

    def __init__(self, tmp_path, address, libraries, name="plexus-worker"):
        config = tmp_path / f"{name}.yaml"
        config.write_text("worker:\n"
                          f"  task_libraries: [{', '.join(str(lib) for lib in libraries)}]\n"
                          "  executors: 2\n"
                          "  heartbeat_interval_seconds: 0.5\n"
                          f"  plugin_dir: {PLUGINS}\n")
        super().__init__([str(PLEXUS), "worker", "--config", str(config), "--scheduler-address",
                          address], tmp_path / f"{name}.log")


@pytest.fixture
def processes():
    """Collects processes a test starts and stops them all at teardown, printing their output
    when the test failed."""
    started = []
    yield started
    for process in reversed(started):
        process.stop()


@pytest.fixture
def scheduler(tmp_path, processes):
    process = PlexusScheduler(tmp_path)
    processes.append(process)
    return process


@pytest.fixture
def workers(tmp_path, scheduler, processes):
    process = ScalerWorkers(tmp_path, scheduler.address, count=2)
    processes.append(process)
    return process
