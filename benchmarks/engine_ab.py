"""A Dask worker against a pool process, side by side: both engines extract the same documents at the
same time, each with ``--workers`` processes (one core each), so the machine's drift (±10% over a
minute on these shared VMs) hits both alike. Run one after the other, the two engines' totals differ by
more than the difference this asks about.

Prints, per engine: the CPU seconds of the threads that ran the extractions (in the first and last
third of the documents too, to show a worker slowing as it ages), the CPU seconds of its worker
processes over the same time (every thread: a Dask worker's event loop receives each document and
sends each result back; a pool process does that in its one thread), the wall time for its documents,
and the Dask / pool ratios. Each engine is the run's own (``flows.processes``: the spawned
pool, the local cluster with ``LOCAL_CLUSTER_CONFIG``), started and warmed before the clock starts.

Usage: python benchmarks/engine_ab.py [--copies 9] [--workers 1]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from concurrent.futures import Executor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.process_bench import CORPUS, timed_extract  # noqa: E402
from core import procs  # noqa: E402
from flows import processes  # noqa: E402

log = logging.getLogger("engine-ab")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=9, help="extract every corpus PDF this many times")
    parser.add_argument("--workers", type=int, default=1, help="processes per engine")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("distributed", "extractors"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    base = sorted(CORPUS.glob("*/*.pdf"), key=lambda p: -p.stat().st_size)
    docs = base * args.copies
    engines: dict[str, Executor] = {
        "pool": processes._new_pool(args.workers),
        "dask": processes._DaskOnDemand(args.workers, None),
    }
    for engine in engines.values():  # started, and the extractors imported, before the clock starts
        for f in [engine.submit(processes.load_extractors) for _ in range(args.workers)]:
            f.result()
    pids = {"pool": set(getattr(engines["pool"], "_processes", {})), "dask": set()}
    pids["dask"] = {p.pid for p in procs.spawned(os.getpid()) if p.pid not in pids["pool"]}
    cpu: dict[str, list[float]] = {}
    wall: dict[str, float] = {}
    process_cpu: dict[str, float] = {}

    def workers_cpu(name: str) -> float:
        tree = procs.tree(os.getpid())
        return sum(tree[p].cpu_s for p in pids[name] if p in tree)

    def extract_all(name: str, engine: Executor) -> None:
        before = workers_cpu(name)
        t0 = time.perf_counter()
        cpu[name] = list(engine.map(timed_extract, docs))  # each engine's workers kept busy, in order
        wall[name] = time.perf_counter() - t0
        process_cpu[name] = workers_cpu(name) - before

    threads = [threading.Thread(target=extract_all, args=item) for item in engines.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for engine in engines.values():
        engine.shutdown()
    third = len(base) * max(1, args.copies // 3)
    log.info("%d documents per engine, %d worker process(es) each, side by side", len(docs), args.workers)
    for name, seconds in cpu.items():
        log.info(
            "%s: task_cpu=%.1fs (first third %.1fs, last third %.1fs) process_cpu=%.1fs wall=%.1fs",
            name, sum(seconds), sum(seconds[:third]), sum(seconds[-third:]), process_cpu[name], wall[name],
        )  # fmt: skip
    log.info(
        "dask/pool: task_cpu %.3f, process_cpu %.3f, wall %.3f",
        sum(cpu["dask"]) / sum(cpu["pool"]), process_cpu["dask"] / process_cpu["pool"], wall["dask"] / wall["pool"],
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
