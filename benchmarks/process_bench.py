"""Extraction scaling: the corpus PDFs extracted the way the flow does it (a thread pool of extract
tasks, each handing its document to ``flows.processes``), with 1 worker process (in-thread: the old
behaviour) and with N.

Prints, per setting: wall seconds for the stage (pool start-up included), documents, speed-up against
1. Prefect's own per-task overhead is not included (see the flow measurement in the README).

Usage: python benchmarks/process_bench.py [--processes 1 2] [--copies 1] [--threads 4]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--copies", type=int, default=1, help="extract every PDF this many times")
    parser.add_argument("--threads", type=int, default=4, help="the flow's thread pool (PP_MAX_WORKERS)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("extractors").setLevel(logging.ERROR)
    pdfs = sorted(CORPUS.glob("*/*.pdf"), key=lambda p: -p.stat().st_size) * args.copies
    log.info("%d documents, %d threads", len(pdfs), args.threads)
    base = None
    for n in args.processes:
        t0 = time.perf_counter()
        with processes.extraction_pool(n), ThreadPoolExecutor(args.threads) as threads:
            done = list(threads.map(lambda p: processes.run(extract_document, p, p.name), pdfs))
        wall = time.perf_counter() - t0
        base = base or wall
        log.info("processes=%d wall=%.2fs documents=%d speedup=%.2fx", n, wall, len(done), base / wall)
    return 0


if __name__ == "__main__":
    sys.exit(main())
