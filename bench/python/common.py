"""What the Python benchmarks share (standard library only: it runs in the stock Scaler venv and in
the Dask venv alike).

Output format, as bench/plexus_bench.cpp's, so bench/run.sh reads every peer the same way:
  - one JSON line per measurement ({"bench", "label", "run", ...metrics, "load1"}) and one human
    line starting with '#';
  - after the repeats, a JSON line with "summary":true and, per metric, median, min and max;
  - a workload that cannot run prints {"bench", "label", "skipped": REASON} instead, so the report
    says "n/a" with the reason rather than the whole suite stopping.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def load1():
    return float(pathlib.Path("/proc/loadavg").read_text().split()[0])


def percentile(values, p):
    """Linear interpolation between the two nearest ranks (as plexus_bench)."""
    values = sorted(values)
    if not values:
        return 0.0
    rank = p / 100.0 * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (rank - low)


def emit(record, human):
    """One measurement: its JSON line, then its human line."""
    print(json.dumps(record, separators=(",", ":")), flush=True)
    print("# " + human, flush=True)


def emit_skipped(bench, label, reason):
    # One line, no double quotes or backslashes: bench/run.sh reads these lines with sed.
    reason = " ".join(str(reason).replace('"', "'").replace("\\", "/").split())[:300]
    print(json.dumps({"bench": bench, "label": label, "skipped": reason}, separators=(",", ":")),
          flush=True)
    print(f"# {bench} [{label}] not measured: {reason}", flush=True)


def _num(value):
    if abs(value) >= 1000:
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3g}"


class Summary:
    """Collects the metrics of every run of one benchmark; emit() prints median [min-max]."""

    def __init__(self, bench, label):
        self.bench = bench
        self.label = label
        self.metrics = {}
        self.loads = []

    def add(self, load, **metrics):
        self.loads.append(load)
        for name, value in metrics.items():
            self.metrics.setdefault(name, []).append(float(value))

    def emit(self):
        if not self.loads:
            return
        record = {"bench": self.bench, "label": self.label, "summary": True,
                  "runs": len(self.loads)}
        human = f"# {self.bench} [{self.label}] median [min-max] of {len(self.loads)}:"
        for name in sorted(self.metrics):
            values = self.metrics[name]
            median, low, high = percentile(values, 50), min(values), max(values)
            record[name] = {"median": float(f"{median:.6g}"), "min": float(f"{low:.6g}"),
                            "max": float(f"{high:.6g}")}
            human += f" {name} {_num(median)} [{_num(low)}-{_num(high)}];"
        record["load1"] = [round(load, 2) for load in self.loads]
        print(json.dumps(record, separators=(",", ":")), flush=True)
        print(human, flush=True)


# ---- processes ---------------------------------------------------------------------------------

def wait_until(condition, timeout, what):
    """Polls `condition` (backing off to 0.1 s) until it holds; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """A child process in its own process group, output to a log file. stop() ends that group
    only (SIGTERM, then SIGKILL after `timeout`): nothing this script did not start."""

    def __init__(self, args, log_path, env=None):
        self.args = [str(a) for a in args]
        self.log_path = pathlib.Path(log_path)
        self._log = open(self.log_path, "wb")
        self.popen = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                      env=env, start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def running(self):
        return self.popen.poll() is None

    def output_tail(self, lines=5):
        text = self.log_path.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])

    def stop(self, timeout=20):
        if self.running():
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# ---- /proc -------------------------------------------------------------------------------------

def _stat_fields(pid):
    """Fields 3.. of /proc/PID/stat (after the parenthesised command), or None once it is gone."""
    try:
        text = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rsplit(")", 1)[1].split()


def process_tree(pid):
    """`pid` and every live descendant (by parent pid)."""
    children = {}
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(entry.name)
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def tree_cpu_seconds(pid):
    """CPU seconds (user + system) used so far by `pid` and its descendants, including children
    that already exited and were reaped (cutime, cstime); and the pids counted."""
    pids = process_tree(pid)
    total = 0.0
    for p in pids:
        fields = _stat_fields(p)
        if fields:  # utime, stime, cutime, cstime are fields 14-17
            total += sum(int(v) for v in fields[11:15]) / CLOCK_TICKS
    return total, pids


def memory_bytes(pid):
    """(VmRSS, VmHWM) of a process, in bytes."""
    values = {}
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def command_line(pid):
    try:
        raw = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return "?"
    return " ".join(pathlib.Path(a).name if i == 0 else a
                    for i, a in enumerate(raw.decode(errors="replace").split("\0")[:3]) if a)


def fail(message):
    print(f"{pathlib.Path(sys.argv[0]).name}: {message}", file=sys.stderr, flush=True)
    sys.exit(1)
