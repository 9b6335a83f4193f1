"""Dask distributed running plexus_bench's workloads, for the side-by-side table.

    .venv-bench/bin/python dask_bench.py [--throughput N] [--latency N] [--payload N --size B]
                                         [--big-bytes B] [--memory N] [--repeat R]

(bench/setup-venv.sh makes .venv-bench with the current dask[distributed].) Workloads (a)-(d) run
on one LocalCluster(n_workers=2, threads_per_worker=1, processes=True) over TCP, with one client:
  (a) dask_throughput  N no-op tasks (client.map, pure=False), gathered: tasks/s
  (b) dask_latency     N no-op tasks one at a time (submit, result): p50/p99/mean
  (c) dask_bigobject   scatter a --big-bytes object, an echo task uses it and returns it, the
                       client gathers the result: GB/s of object + result, as plexus_bench
  (d) dask_payload     N echo tasks with --size bytes arguments and results: tasks/s, MB/s
  (e) dask_memory      `dask scheduler` alone (no worker, so every task stays queued); one client
                       submits N no-op tasks; the scheduler's VmHWM/VmRSS growth per task
A workload that fails prints a "skipped" line with the reason; the others still run.
"""

import argparse
import logging
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import common  # noqa: E402

LABEL = "dask"


# Task functions: defined in __main__, so they are pickled by value to the worker processes.
def noop(x):
    return x


def echo(data):
    return data


def count_tasks(dask_scheduler):
    return len(dask_scheduler.tasks)


# ---- (a)-(d) on a LocalCluster -----------------------------------------------------------------

def throughput(client, n, run):
    load = common.load1()
    start = time.monotonic()
    futures = client.map(noop, range(n), pure=False)
    submitted = time.monotonic()
    results = client.gather(futures)
    seconds = time.monotonic() - start
    del futures
    if results != list(range(n)):
        raise RuntimeError("wrong no-op results")
    common.emit({"bench": "dask_throughput", "label": LABEL, "run": run, "tasks": n,
                 "seconds": round(seconds, 4), "submit_seconds": round(submitted - start, 4),
                 "tasks_per_s": round(n / seconds, 1), "load1": load},
                f"dask_throughput run {run}: {n} no-op tasks in {seconds:.3f} s = "
                f"{n / seconds:.0f} tasks/s (submit {submitted - start:.3f} s); load {load:.2f}")
    return load, {"tasks_per_s": n / seconds}


def latency(client, n, run):
    load = common.load1()
    micros = []
    for i in range(n):
        start = time.perf_counter()
        if client.submit(noop, i, pure=False).result() != i:
            raise RuntimeError("wrong no-op result")
        micros.append((time.perf_counter() - start) * 1e6)
    p50, p99 = common.percentile(micros, 50), common.percentile(micros, 99)
    mean = sum(micros) / n
    common.emit({"bench": "dask_latency", "label": LABEL, "run": run, "tasks": n,
                 "p50_us": round(p50, 1), "p99_us": round(p99, 1), "mean_us": round(mean, 1),
                 "max_us": round(max(micros), 1), "load1": load},
                f"dask_latency run {run}: {n} sequential no-op tasks: p50 {p50:.1f} us, "
                f"p99 {p99:.1f} us, mean {mean:.1f} us; load {load:.2f}")
    return load, {"p50_us": p50, "p99_us": p99, "mean_us": mean}


def bigobject(client, size, run):
    data = os.urandom(size)  # incompressible: no comm compression can shortcut it
    load = common.load1()
    start = time.monotonic()
    scattered = client.scatter(data)
    result = client.submit(echo, scattered, pure=False).result()
    seconds = time.monotonic() - start
    ok = result == data
    del scattered, result
    if not ok:
        raise RuntimeError("the result differs from the object")
    gbps = 2 * size / seconds / 1e9
    common.emit({"bench": "dask_bigobject", "label": LABEL, "run": run, "bytes": size,
                 "seconds": round(seconds, 4), "gb_per_s": round(gbps, 3), "load1": load},
                f"dask_bigobject run {run}: scatter {size / 1e6:.0f} MB, echo task, gather the "
                f"result in {seconds:.3f} s = {gbps:.2f} GB/s (object + result); load {load:.2f}")
    return load, {"gb_per_s": gbps, "seconds": seconds}


def payload(client, n, size, run):
    data = bytes((ord("a") + i % 26) for i in range(size))
    load = common.load1()
    start = time.monotonic()
    futures = client.map(echo, [data] * n, pure=False)
    results = client.gather(futures)
    seconds = time.monotonic() - start
    del futures
    if len(results) != n or any(r != data for r in results):
        raise RuntimeError("wrong echo results")
    mbps = 2 * n * size / seconds / 1e6
    common.emit({"bench": "dask_payload", "label": LABEL, "run": run, "tasks": n, "bytes": size,
                 "seconds": round(seconds, 4), "tasks_per_s": round(n / seconds, 1),
                 "mb_per_s": round(mbps, 2), "load1": load},
                f"dask_payload run {run}: {n} echo tasks of {size} B in {seconds:.3f} s = "
                f"{n / seconds:.0f} tasks/s, {mbps:.2f} MB/s (arguments + results); "
                f"load {load:.2f}")
    return load, {"tasks_per_s": n / seconds, "mb_per_s": mbps}


def run_workloads(args):
    from dask.distributed import Client, LocalCluster

    workloads = []
    if args.throughput:
        workloads.append(("dask_throughput", lambda c, r: throughput(c, args.throughput, r)))
    if args.latency:
        workloads.append(("dask_latency", lambda c, r: latency(c, args.latency, r)))
    if args.big_bytes:
        workloads.append(("dask_bigobject", lambda c, r: bigobject(c, args.big_bytes, r)))
    if args.payload:
        workloads.append(("dask_payload", lambda c, r: payload(c, args.payload, args.size, r)))
    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               protocol="tcp://", host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.WARNING)
    except Exception as e:
        for bench, _ in workloads:
            common.emit_skipped(bench, LABEL, f"LocalCluster did not start: {e}")
        return False
    ok = True
    with cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=120)
        client.gather(client.map(noop, range(200), pure=False))  # warm-up
        for bench, workload in workloads:
            summary = common.Summary(bench, LABEL)
            try:
                for run in range(1, args.repeat + 1):
                    load, metrics = workload(client, run)
                    summary.add(load, **metrics)
            except Exception as e:
                ok = False
                if not summary.loads:
                    common.emit_skipped(bench, LABEL, f"{type(e).__name__}: {e}")
            summary.emit()
    return ok


# ---- (e) the scheduler alone -------------------------------------------------------------------

def memory(args):
    """Bytes per queued task in a `dask scheduler` process with no worker."""
    from dask.distributed import Client

    summary = common.Summary("dask_memory", LABEL)
    n = args.memory
    for run in range(1, args.repeat + 1):
        with tempfile.TemporaryDirectory(prefix="plexus-bench-dask-") as tmp_name:
            tmp = pathlib.Path(tmp_name)
            scheduler_file = tmp / "scheduler.json"
            scheduler = common.Process(
                [pathlib.Path(sys.executable).parent / "dask", "scheduler", "--host", "127.0.0.1",
                 "--port", "0", "--no-dashboard", "--scheduler-file", scheduler_file],
                tmp / "scheduler.log")
            with scheduler:
                common.wait_until(lambda: scheduler_file.exists() or not scheduler.running(), 120,
                                  "dask scheduler to write its scheduler file")
                if not scheduler.running():
                    raise RuntimeError("dask scheduler exited: " + scheduler.output_tail())
                load = common.load1()
                with Client(scheduler_file=str(scheduler_file)) as client:
                    client.run_on_scheduler(count_tasks)  # connected, set up
                    baseline, _ = common.memory_bytes(scheduler.pid)
                    start = time.monotonic()
                    futures = client.map(noop, range(n), pure=False)
                    common.wait_until(lambda: client.run_on_scheduler(count_tasks) >= n, 600,
                                      f"the scheduler to hold {n} tasks")
                    seconds = time.monotonic() - start
                    rss, hwm = common.memory_bytes(scheduler.pid)
                    del futures
            peak, retained = (hwm - baseline) / n, (rss - baseline) / n
            common.emit({"bench": "dask_memory", "label": LABEL, "run": run, "tasks": n,
                         "baseline_rss": baseline, "queued_rss": rss, "peak_hwm": hwm,
                         "bytes_per_task_peak": round(peak, 1),
                         "bytes_per_task_retained": round(retained, 1),
                         "queue_tasks_per_s": round(n / seconds), "load1": load},
                        f"dask_memory run {run}: scheduler RSS {baseline / 1e6:.1f} MB with the "
                        f"client, {rss / 1e6:.1f} MB with {n} tasks queued (peak {hwm / 1e6:.1f} "
                        f"MB): {peak:.0f} B/task at peak ({retained:.0f} retained); queued at "
                        f"{n / seconds:.0f} tasks/s; load {load:.2f}")
            summary.add(load, bytes_per_task_peak=peak, bytes_per_task_retained=retained,
                        queue_tasks_per_s=n / seconds)
    summary.emit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--throughput", type=int, default=100_000)
    parser.add_argument("--latency", type=int, default=2_000)
    parser.add_argument("--payload", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--big-bytes", type=int, default=100_000_000)
    parser.add_argument("--memory", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    ok = run_workloads(args)
    if args.memory:
        try:
            memory(args)
        except Exception as e:
            ok = False
            common.emit_skipped("dask_memory", LABEL, f"{type(e).__name__}: {e}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
