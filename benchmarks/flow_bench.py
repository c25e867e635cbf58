"""The whole replay flow over N byte-distinct documents, as a user runs it (``python -m flows run``).

A replay server serves N documents (the corpus PDFs, each copy made byte-distinct by a trailing
comment, so no result is reused) and a local OpenAI-compatible server answers every LLM call after a
set latency. The flow runs in its own process; this script samples the whole process tree (the flow,
its embedded Prefect server, its extraction workers) every 0.2 s from /proc.

Prints, per run: wall seconds, CPU seconds per process group (flow, Prefect server, workers), the
peak RSS of the tree and of the flow process alone, the start-up (process start to the flow's
first log line: imports and the run's Prefect API), the span from the flow's start to its last
extraction (scrape, downloads and extractions, streamed), the LLM work still left after that last
extraction (each document's LLM items start as soon as it is extracted), wall per document after
start-up, and the speed-up of that span against one extraction process; then the same run again,
everything cached: its flow time per document, split into the documents' tasks (the orchestration
overhead: Prefect's task runs, manifest and cache lookups) and the outputs (store, workbook, CSV,
parquet).

Usage: python benchmarks/flow_bench.py [--docs 10 50 200] [--latency 0.3] [--processes 1 0] [--runner dask]
(``--processes 0`` = one per CPU, the default setting; with ``--runner dask`` it is the Dask worker count.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import procs  # noqa: E402
from replay import DEFAULT_CORPUS, ReplayServer  # noqa: E402
from replay.server import CatalogueEntry, corpus_catalogue  # noqa: E402
from tests.fake_openai import FakeOpenAI, by_schema  # noqa: E402

log = logging.getLogger("flow-bench")


def distinct_copies(n: int, folder: Path) -> list[CatalogueEntry]:
    """N catalogue entries over byte-distinct copies of the corpus PDFs (a trailing comment each)."""
    base = corpus_catalogue(DEFAULT_CORPUS)
    out = []
    for i in range(n):
        src = base[i % len(base)]
        copy = folder / f"{i:04d}_{src.pdf.name}"
        copy.write_bytes(src.pdf.read_bytes() + f"\n% flow_bench copy {i}\n".encode())
        out.append(
            CatalogueEntry(
                src.sec_code,
                src.sec_name,
                src.org_id,
                f"{src.title}（副本{i}）",
                dt.date(2024, 1, 1) + dt.timedelta(days=i % 300),
                f"9{i:09d}",
                src.category,
                copy,
                src.column,
            )
        )
    return out


def _group(pid: int, root: int, cmd: str) -> str:
    if pid == root:
        return "flow"
    if "prefect.server" in cmd or "uvicorn" in cmd:
        return "prefect server"
    return "workers"  # extraction processes or Dask workers, the parquet writer (Dask's scheduler is the flow's)


class TreeSampler(threading.Thread):
    """Samples the process tree under ``root``: peak RSS of the tree, of the flow, last CPU per pid."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.peak_tree = self.peak_flow = 0.0
        self.cpu: dict[int, tuple[str, float]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            rss = 0.0
            for p in procs.tree(self.root).values():
                rss += p.rss_mb
                # a process that has exited but is not yet reaped shows no command line: it keeps the
                # group it was seen in (the Prefect server's CPU was counted as a worker's)
                group = _group(p.pid, self.root, p.cmd) if p.cmd else self.cpu.get(p.pid, ("workers", 0.0))[0]
                self.cpu[p.pid] = (group, p.cpu_s)
                if p.pid == self.root:
                    self.peak_flow = max(self.peak_flow, p.rss_mb)
            self.peak_tree = max(self.peak_tree, rss)
            time.sleep(0.2)


_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def _times(lines: list[str], pattern: str) -> list[float]:
    out = []
    for line in lines:
        m = _STAMP.match(line)
        if m and re.search(pattern, line):
            out.append(dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp())
    return out


T = TypeVar("T", bound=Any)


def run_logged(
    cmd: list[str], checkout: Path, env: dict[str, str], folder: Path, sampler: Callable[[int], T]
) -> tuple[int, float, list[str], T]:
    """Run a flow command in ``checkout`` with its output in ``folder/flow.log``, sampled while it runs
    (``sampler``: a thread started with the flow's pid and stopped by its ``stop`` event):
    (exit code, wall seconds, log lines, the sampler). The output goes to a file, not a pipe:
    communicate() waits for every holder of a pipe, and a child that outlives the flow (a temporary
    Prefect server, a worker) would keep it waiting after the flow has ended."""
    t0 = time.time()
    with open(folder / "flow.log", "w+", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        watcher = sampler(proc.pid)
        watcher.start()
        proc.wait()
        wall = time.time() - t0
        watcher.stop.set()
        out.seek(0)
        lines = out.read().splitlines()
    return proc.returncode, wall, lines, watcher


def bench_env(srv: ReplayServer, model: FakeOpenAI, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked run: every exchange at the replay, a private data folder, no
    politeness gap, the local model; ``extra`` settings on top (``PP_…``)."""
    return {
        **os.environ,
        **{f"PP_{k.upper()}": v for k, v in srv.settings_overrides().items()},
        "PP_DATA_DIR": str(folder / "data"),
        "PP_OUTPUTS_DIR": str(folder / "out"),
        "PP_MIN_INTERVAL_S": "0",
        "PP_HOST_MIN_INTERVAL_S": "{}",
        "PP_LLM_BASE_URL": model.base_url,
        "PP_LLM_API_KEY": "bench",
        "PP_LLM_MODEL": "bench",
        **extra,
    }


def run_flow(n: int, processes: int, latency: float, runner: str = "threads") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with (
            FakeOpenAI(respond=by_schema) as model,
            ReplayServer(DEFAULT_CORPUS, catalogue=distinct_copies(n, folder)) as srv,
        ):
            model.latency = latency
            env = bench_env(srv, model, folder, PP_EXTRACT_PROCESSES=str(processes))
            cmd = [sys.executable, "-m", "flows", "run", "--start", "2024-01-01", "--end", "2024-12-31",
                   "--all-versions"]  # fmt: skip
            if runner == "dask":  # one Dask worker process per CPU, extraction inside the workers
                cmd += ["--task-runner", "dask", "--workers", str(processes or os.cpu_count() or 1)]
            before = os.times()
            t0 = time.time()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            sampler = TreeSampler(proc.pid)
            sampler.start()
            out, _ = proc.communicate()
            wall = time.time() - t0
            sampler.stop.set()
            after = os.times()
            calls = len(model.requests)
            # the same run again: everything is cached (no download, extraction or model call), so
            # the flow's own time per document is the orchestration overhead (tasks, store, workbook)
            again = subprocess.run(
                cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ).stdout.splitlines()
        # the cached rerun, split: the documents' tasks (Prefect's task runs, manifest and cache
        # lookups: the orchestration overhead) and the outputs (store, workbook, CSV, parquet)
        r_begin = min(_times(again, r"Beginning flow run"), default=0.0)
        r_docs = max(_times(again, r"LLM .*calls"), default=r_begin)
        r_out = max(_times(again, r"workbook: "), default=r_docs)
        r_end = min(_times(again, r"Finished in state"), default=r_out)
        lines = out.splitlines()
        if proc.returncode not in (0, 1):
            log.error("flow exited %s:\n%s", proc.returncode, "\n".join(lines[-30:]))
            raise SystemExit(1)
        first = min(_times(lines, r""), default=t0)
        begin = min(_times(lines, r"Beginning flow run"), default=first)
        ex = _times(lines, r"extracted ")  # each document task's own line, in the flow process
        llm = _times(lines, r"llm done ")
        cpu: dict[str, float] = {}
        for group, seconds in sampler.cpu.values():
            cpu[group] = cpu.get(group, 0.0) + seconds
        return {
            "docs": n,
            "processes": processes,
            "wall": wall,
            "startup": begin - t0,  # imports and the Prefect API up, to the flow's first line
            # scrape, downloads and extractions (streamed): from the flow's start to the last extraction
            "download_extract": (max(ex) - begin) if ex else float("nan"),
            # the LLM work still left when the last extraction ended (it streams alongside the rest)
            "llm": max(0.0, max(llm) - max(ex)) if llm and ex else float("nan"),
            "per_doc": (wall - (begin - t0)) / n,
            "cpu_total": (after.children_user + after.children_system)
            - (before.children_user + before.children_system),
            "cpu_flow": cpu.get("flow", 0.0),
            "cpu_server": cpu.get("prefect server", 0.0),
            "cpu_workers": cpu.get("workers", 0.0),
            "peak_tree_mb": sampler.peak_tree,
            "peak_flow_mb": sampler.peak_flow,
            "llm_calls": calls,
            "rerun_ms_per_doc": 1000 * (r_end - r_begin) / n,
            "rerun_docs_ms": 1000 * (r_docs - r_begin) / n,
            "rerun_out_ms": 1000 * (r_out - r_docs) / n,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 0])
    parser.add_argument("--runner", choices=["threads", "dask"], default="threads")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("cpus=%d latency=%.2fs (LLM concurrency: PP_LLM_CONCURRENCY, default 4)", os.cpu_count(), args.latency)
    head = (
        f"{'docs':>5}{'proc':>5}{'wall s':>8}{'start s':>8}{'→ex s':>8}{'llm s':>7}{'s/doc':>7}"
        f"{'cpu s':>7}{'flow':>6}{'srv':>6}{'wkr':>6}{'tree MB':>8}{'flow MB':>8}{'calls':>6}{'speedup':>8}"
        f"{'rerun ms/doc':>13}{'tasks':>6}{'out':>5}"
    )
    log.info(head)
    for n in args.docs:
        base = None
        for p in args.processes:
            r = run_flow(n, p, args.latency, args.runner)
            span = r["download_extract"]
            base = span if base is None else base
            log.info(
                f"{n:>5}{p or os.cpu_count():>5}{r['wall']:>8.1f}{r['startup']:>8.1f}{span:>8.1f}{r['llm']:>7.1f}"
                f"{r['per_doc']:>7.2f}{r['cpu_total']:>7.1f}{r['cpu_flow']:>6.1f}{r['cpu_server']:>6.1f}"
                f"{r['cpu_workers']:>6.1f}{r['peak_tree_mb']:>8.0f}{r['peak_flow_mb']:>8.0f}{int(r['llm_calls']):>6}"
                f"{base / span if span else float('nan'):>8.2f}{r['rerun_ms_per_doc']:>13.0f}"
                f"{r['rerun_docs_ms']:>6.0f}{r['rerun_out_ms']:>5.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
