"""The same stock Scaler 1.9.9 Python client workload against one scheduler: stock
`scaler_scheduler` or `plexus scheduler`, each with 2 stock workers (`scaler_cluster -n 2`).

    python scaler_bench.py --scheduler stock|plexus [--plexus build-bench/plexus] [counts...]

Runs in the venv that has scaler==1.9.9 (scripts/setup-python.sh makes .venv). Workloads, on one
cluster and one client, repeated --repeat times:
  noop  --noop N no-op tasks with client.map (submitted at once, results gathered)
  mix   --mix-tasks N echo tasks with --mix-bytes arguments and results (client.map), then a graph
        of 2 * --graph-leaves - 1 task nodes (a leaf task per input, then a binary tree of sums)
        through client.get, then --sleep-tasks tasks that sleep 1 ms (client.map)
Reported per workload: wall time, tasks/s, and the scheduler's CPU seconds per 1,000 tasks
(utime + stime from /proc of the scheduler process and all its descendants, before and after).
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import common  # noqa: E402

LABELS = {"stock": "stock scaler_scheduler", "plexus": "plexus scheduler"}


# Task functions: defined in __main__, so cloudpickle ships them by value to the stock workers.
def noop(x):
    return x


def echo(data):
    return data


def sleep_ms(seconds):
    time.sleep(seconds)
    return seconds


def add(a, b):
    return a + b


def inc(x):
    return x + 1


def worker_pid(pause):
    time.sleep(pause)
    return os.getpid()


def tree_graph(leaves):
    """{key: value or task}: leaf tasks inc(i), then pairwise sums up to "root"."""
    graph = {f"x{i}": i for i in range(leaves)}
    level = []
    for i in range(leaves):
        graph[f"inc{i}"] = (inc, f"x{i}")
        level.append(f"inc{i}")
    depth = 0
    while len(level) > 1:
        depth += 1
        next_level = []
        for j in range(0, len(level) - 1, 2):
            key = f"sum{depth}_{j // 2}"
            graph[key] = (add, level[j], level[j + 1])
            next_level.append(key)
        if len(level) % 2:
            next_level.append(level[-1])
        level = next_level
    graph["root"] = (noop, level[0])
    tasks = sum(1 for value in graph.values() if isinstance(value, tuple))
    return graph, tasks, sum(i + 1 for i in range(leaves))


# ---- the clusters ------------------------------------------------------------------------------

def bin_dir():
    return pathlib.Path(sys.executable).parent


def start_stock_scheduler(tmp):
    port, monitor = common.free_port(), common.free_port()
    scheduler = common.Process(
        [bin_dir() / "scaler_scheduler", "--logging-level", "WARNING", "--logging-paths",
         tmp / "scheduler-own.log", "--monitor-address", f"tcp://127.0.0.1:{monitor}",
         f"tcp://127.0.0.1:{port}"], tmp / "scheduler.log")
    common.wait_until(lambda: common.port_open(port) or not scheduler.running(), 60,
                      "scaler_scheduler to listen")
    if not scheduler.running():
        raise RuntimeError("scaler_scheduler exited: " + scheduler.output_tail())
    return scheduler, f"tcp://127.0.0.1:{port}"


def start_plexus_scheduler(tmp, plexus):
    config = tmp / "scheduler.yaml"
    # ZeroMQ + capnp: the endpoint stock Scaler 1.9.9 clients and workers speak.
    config.write_text("scheduler:\n"
                      "  endpoints:\n"
                      "    - {address: 'tcp://127.0.0.1:0', transport: zmq, codec: capnp}\n"
                      "  log_level: warn\n")
    address_file = tmp / "scheduler.address"
    scheduler = common.Process([plexus, "scheduler", "--config", config, "--address-file",
                                address_file], tmp / "scheduler.log")
    common.wait_until(lambda: address_file.exists() or not scheduler.running(), 60,
                      "plexus scheduler to listen")
    if not scheduler.running():
        raise RuntimeError("plexus scheduler exited: " + scheduler.output_tail())
    return scheduler, address_file.read_text().split()[0]


def wait_for_workers(client, count, timeout=120):
    """Until tasks have run on `count` distinct worker processes (they register asynchronously)."""
    seen = set()

    def enough():
        seen.update(client.map(worker_pid, [(0.02,)] * (4 * count)))
        return len(seen) >= count

    common.wait_until(enough, timeout, f"{count} workers to take tasks")


# ---- the workloads -----------------------------------------------------------------------------

def run_noop(client, args):
    results = client.map(noop, [(i,) for i in range(args.noop)])
    if results != list(range(args.noop)):
        raise RuntimeError("wrong no-op results")
    return args.noop, {}


def run_mix(client, args):
    parts = {}
    start = time.monotonic()
    payload = os.urandom(args.mix_bytes)
    results = client.map(echo, [(payload,)] * args.mix_tasks)
    if len(results) != args.mix_tasks or any(r != payload for r in results):
        raise RuntimeError("wrong echo results")
    del results
    parts["echo_s"] = time.monotonic() - start

    start = time.monotonic()
    graph, graph_tasks, expected = tree_graph(args.graph_leaves)
    if client.get(graph, keys=["root"])["root"] != expected:
        raise RuntimeError("wrong graph result")
    parts["graph_s"] = time.monotonic() - start

    start = time.monotonic()
    if client.map(sleep_ms, [(0.001,)] * args.sleep_tasks) != [0.001] * args.sleep_tasks:
        raise RuntimeError("wrong sleep results")
    parts["sleep_s"] = time.monotonic() - start
    return args.mix_tasks + graph_tasks + args.sleep_tasks, parts


def describe(args, bench):
    if bench == "scaler_noop":
        return f"{args.noop} no-op tasks (client.map)"
    graph_tasks = tree_graph(args.graph_leaves)[1]
    return (f"{args.mix_tasks} echo tasks of {args.mix_bytes // 1000} KB + a {graph_tasks}-task "
            f"graph (client.get) + {args.sleep_tasks} 1-ms sleeps")


def measure(client, scheduler, args, label):
    workloads = [("scaler_noop", run_noop), ("scaler_mix", run_mix)]
    summaries = {bench: common.Summary(bench, label) for bench, _ in workloads}
    for run in range(1, args.repeat + 1):
        for bench, workload in workloads:
            load = common.load1()
            cpu0, _ = common.tree_cpu_seconds(scheduler.pid)
            start = time.monotonic()
            tasks, parts = workload(client, args)
            seconds = time.monotonic() - start
            cpu1, pids = common.tree_cpu_seconds(scheduler.pid)
            cpu = cpu1 - cpu0
            per_k = cpu / tasks * 1000
            processes = ", ".join(f"{pid} {common.command_line(pid)}" for pid in pids)
            common.emit(
                {"bench": bench, "label": label, "run": run, "tasks": tasks,
                 "seconds": round(seconds, 4),
                 "tasks_per_s": round(tasks / seconds, 1), "scheduler_cpu_s": round(cpu, 3),
                 "scheduler_cpu_s_per_1k": round(per_k, 4), "scheduler_processes": len(pids),
                 "load1": load, **{k: round(v, 4) for k, v in parts.items()}},
                f"{bench} [{label}] run {run}: {describe(args, bench)}: {tasks} tasks in "
                f"{seconds:.3f} s = {tasks / seconds:.0f} tasks/s; scheduler CPU {cpu:.2f} s = "
                f"{per_k:.3f} s per 1,000 tasks ({len(pids)} process(es): {processes})"
                + "".join(f"; {k} {v:.3f}" for k, v in parts.items()) + f"; load {load:.2f}")
            summaries[bench].add(load, seconds=seconds, tasks_per_s=tasks / seconds,
                                 scheduler_cpu_s_per_1k=per_k, scheduler_processes=len(pids))
    for summary in summaries.values():
        summary.emit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scheduler", choices=LABELS, required=True)
    parser.add_argument("--plexus", type=pathlib.Path,
                        help="the plexus binary (for --scheduler plexus)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop", type=int, default=10_000)
    parser.add_argument("--mix-tasks", type=int, default=2_000)
    parser.add_argument("--mix-bytes", type=int, default=100_000)
    parser.add_argument("--graph-leaves", type=int, default=256)
    parser.add_argument("--sleep-tasks", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    label = LABELS[args.scheduler]

    from scaler import Client

    with tempfile.TemporaryDirectory(prefix="plexus-bench-scaler-") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        processes = []
        try:
            if args.scheduler == "stock":
                scheduler, address = start_stock_scheduler(tmp)
            else:
                if not args.plexus:
                    common.fail("--scheduler plexus needs --plexus")
                scheduler, address = start_plexus_scheduler(tmp, args.plexus)
            processes.append(scheduler)
            processes.append(common.Process(
                [bin_dir() / "scaler_cluster", "-n", args.workers, address], tmp / "workers.log"))
            client = Client(address)
            try:
                wait_for_workers(client, args.workers)
                client.map(noop, [(i,) for i in range(200)])  # warm-up
                measure(client, scheduler, args, label)
            finally:
                client.disconnect()
        except Exception as e:  # one peer failing must not stop the others: say why, exit 1
            reason = f"{type(e).__name__}: {e}"
            for process in processes:
                if not process.running():
                    reason += f"; {process.args[0]} exited: {process.output_tail(3)}"
            for bench in ("scaler_noop", "scaler_mix"):
                common.emit_skipped(bench, label, reason)
            common.fail(reason)
        finally:
            for process in reversed(processes):
                process.stop()


if __name__ == "__main__":
    main()
