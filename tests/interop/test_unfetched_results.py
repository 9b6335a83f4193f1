"""A stock Scaler 1.9.9 client fetches a result only when its user asks for it (submit() returns a
delayed future), so leaving results unfetched is normal for it, not a sign that it stopped
reading. The scheduler must not hold such a client for its unfetched results: one that waits on
its last future would never get it (docs/reliability.md, Backpressure)."""

from scaler import Client

from conftest import PlexusScheduler, ScalerWorkers, wait_until

MIB = 1 << 20
RESULT_BYTES = 256 * 1024
TASKS = 40  # 10 MiB of results, ten times the unfetched high watermark below


def blob(i):
    return bytes([i % 256]) * RESULT_BYTES


def test_client_waiting_only_on_its_last_future_gets_it_then_every_other(tmp_path, processes):
    # One task per worker at a time, so most tasks wait in the scheduler's queue: a hold on the
    # client would keep them there.
    scheduler = PlexusScheduler(
        tmp_path,
        extra=f"  unfetched_results_high_watermark_bytes: {MIB}\n"
        "  per_worker_queue_size: 1\n")
    processes.append(scheduler)
    workers = ScalerWorkers(tmp_path, scheduler.address, count=2)
    processes.append(workers)
    wait_until(lambda: len(workers.worker_pids()) == 2, 30, "two stock workers")

    with Client(address=scheduler.address) as client:
        futures = [client.submit(blob, i) for i in range(TASKS)]
        # Only the last one is waited on: the 39 results before it stay unfetched meanwhile.
        assert futures[-1].result(timeout=120) == blob(TASKS - 1)
        # Every task finishes while none of the others' results was asked for: 10 MiB unfetched.
        wait_until(lambda: all(future.done() for future in futures), 60, "every task to finish")
        for i, future in enumerate(futures[:-1]):
            assert future.result(timeout=60) == blob(i), f"task {i}"

    assert scheduler.running(), scheduler.output()
    assert "wait to be fetched" not in scheduler.output()  # the client was never held for them
