"""Extraction scaling: the corpus PDFs extracted the way the flow does it (a thread pool of extract
tasks, each handing its document to ``flows.processes``), with 1 worker process (in-thread: the old
behaviour) and with N, in a process pool or on a local Dask cluster of N one-thread workers.

Prints, per setting: the start (the pool or cluster up and one worker's imports done, as a run's first
document waits for them), the work after it, their sum (wall) and its speed-up against the first
setting, and the CPU seconds of the threads that ran the extractions (equal between engines when a
worker extracts as fast in either). Prefect's own per-task overhead is not included (see the flow
measurement in the README): this is the engines' own cost, without the flow's.

Usage: python benchmarks/process_bench.py [--processes 1 2] [--copies 1] [--threads 4] [--runner pool dask]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors.document import extract_document  # noqa: E402
from flows import processes  # noqa: E402

log = logging.getLogger("process-bench")
CORPUS = ROOT.parent / "shared" / "corpus" / "pdf"


def timed_extract(path: Path) -> float:
    """One document's extraction, where the engine runs it: the CPU seconds of the thread that ran it."""
    t0 = time.thread_time()
    extract_document(path, path.name)
    return time.thread_time() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--copies", type=int, default=1, help="extract every PDF this many times")
    parser.add_argument("--threads", type=int, default=4, help="the flow's thread pool (PP_MAX_WORKERS)")
    parser.add_argument("--runner", nargs="+", choices=["pool", "dask"], default=["pool"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("extractors").setLevel(logging.ERROR)
    pdfs = sorted(CORPUS.glob("*/*.pdf"), key=lambda p: -p.stat().st_size) * args.copies
    log.info("%d documents, %d threads", len(pdfs), args.threads)
    base = None
    for runner in args.runner:
        for n in args.processes:
            t0 = time.perf_counter()
            with processes.extraction_pool(n, runner == "dask"), ThreadPoolExecutor(args.threads) as threads:
                processes.run(processes.load_extractors)
                t1 = time.perf_counter()
                cpu = list(threads.map(lambda p: processes.run(timed_extract, p), pdfs))
                t2 = time.perf_counter()
            wall = t2 - t0
            base = base or wall
            log.info(
                "runner=%s processes=%d start=%.2fs work=%.2fs wall=%.2fs task_cpu=%.1fs documents=%d speedup=%.2fx",
                runner, n, t1 - t0, t2 - t1, wall, sum(cpu), len(cpu), base / wall,
            )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
