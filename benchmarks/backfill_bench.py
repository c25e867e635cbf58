"""A backfill as a user runs it: N byte-distinct prospectuses through ``python -m flows run`` against a
local model with a real model's latency and an endpoint's rate limit.

Prints, per run: wall time; the extraction's CPU (the worker processes) and the capacity they left
unused while documents were being extracted (cores × span − worker CPU); model calls and tokens per
document (prompt characters stand in for tokens: about one a character for Chinese text; the local
model reports fixed token counts); the flow process's peak RSS; and the ratio of the wall time after
start-up to its bound, max(extraction CPU / cores, calls × latency / in-flight calls). A ratio near 1
means the run moves at the pace of its real work (the cores, or the model); above it, something waits
on something else. On a small machine the workers share the cores with the flow process, the replay
server and the model (``oth cpu``: their CPU, the last two in this process's threads; ``flow cpu`` and
``srv cpu``: the flow process's and its Prefect server's parts of it), so it also
prints ``busy``, every process's CPU over cores × wall, and ``machine``, the wall time over the bound
that counts every process's CPU: ``busy`` near 1 and ``machine`` near 1 say that nothing waited, the
cores were full. With ``--checkout`` the two runs share this process and the cores: read those two
columns for a run alone.

    .venv/bin/python benchmarks/backfill_bench.py --docs 100 [--latency 1.0] [--rpm 0] [--in-flight 4]
    .venv/bin/python benchmarks/backfill_bench.py --docs 100 --checkout ../other-checkout   # side by side

``--checkout`` runs the same measurement with another checkout's code (its ``.venv`` or this
interpreter) at the same time as this one, on the same documents, so a before/after ratio is measured
side by side rather than minutes apart on a machine that drifts.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from flow_bench import TreeSampler, _times, bench_env, distinct_copies, run_logged  # noqa: E402

from replay import DEFAULT_CORPUS, ReplayServer  # noqa: E402
from tests.fake_openai import FakeOpenAI, by_schema  # noqa: E402

log = logging.getLogger("backfill-bench")


def run(checkout: Path, n: int, latency: float, rpm: int, in_flight: int, folder: Path) -> dict[str, float]:
    with (
        FakeOpenAI(respond=by_schema) as model,
        ReplayServer(DEFAULT_CORPUS, catalogue=distinct_copies(n, folder)) as srv,
    ):
        model.latency = latency
        env = bench_env(
            srv, model, folder, PP_LLM_CONCURRENCY=str(in_flight), PP_LLM_RPM=str(rpm), PYTHONPATH=str(checkout)
        )
        python = checkout / ".venv" / "bin" / "python"
        cmd = [str(python if python.exists() else sys.executable), "-m", "flows", "run", "--start", "2024-01-01",
               "--end", "2024-12-31", "--all-versions"]  # fmt: skip
        t0, bench0 = time.time(), _own_cpu()
        returncode, wall, lines, sampler = run_logged(cmd, checkout, env, folder, TreeSampler)
        if returncode not in (0, 1):
            log.error("flow exited %s:\n%s", returncode, "\n".join(lines[-30:]))
            raise SystemExit(1)
        begin = min(_times(lines, r"Beginning flow run"), default=t0)
        extracted = _times(lines, r"extract(ed)? \d+/\d+|extracted ")
        span = (max(extracted) - begin) if extracted else float("nan")
        workers = sum(s for g, s in sampler.cpu.values() if g == "workers")
        others = sum(s for g, s in sampler.cpu.values() if g != "workers")  # the flow, a Prefect server
        flow_cpu = sum(s for g, s in sampler.cpu.values() if g == "flow")  # the flow process alone
        bench = _own_cpu() - bench0  # this process: the replay server and the model's threads
        calls = len(model.requests)
        cores = os.cpu_count() or 1
        after_start = wall - (begin - t0)
        bound = max(workers / cores, calls * latency / in_flight)
        # the bound of the machine: every process's CPU over the cores (the flow's own work, the replay
        # server and the model share the cores with the workers on a small machine)
        machine = max((workers + others + bench) / cores, calls * latency / in_flight)
        return {
            "wall": wall,
            "after_start": after_start,
            "span": span,
            "workers_cpu": workers,
            "idle": max(0.0, cores * span - workers) if extracted else float("nan"),
            "calls_per_doc": calls / n,
            "prompt_chars_per_doc": sum(len(str(r.get("messages", ""))) for r in model.requests) / n,
            "flow_mb": sampler.peak_flow,
            "ratio": after_start / bound if bound else float("nan"),
            "other_cpu": others + bench,
            "flow_cpu": flow_cpu,
            "server_cpu": others - flow_cpu,
            "busy": (workers + others + bench) / (cores * wall),
            "machine_ratio": wall / machine if machine else float("nan"),
        }


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[100])
    parser.add_argument("--latency", type=float, default=1.0, help="seconds each model call takes")
    parser.add_argument("--rpm", type=int, default=0, help="PP_LLM_RPM for the run (0 = none)")
    parser.add_argument("--in-flight", type=int, default=4, help="PP_LLM_CONCURRENCY for the run")
    parser.add_argument("--checkout", type=Path, default=None, help="another checkout, run side by side")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    checkouts = [ROOT] + ([args.checkout.resolve()] if args.checkout else [])
    log.info("cpus=%d latency=%.1fs rpm=%d in-flight=%d", os.cpu_count(), args.latency, args.rpm, args.in_flight)
    log.info(f"{'docs':>5} {'checkout':<28}{'wall s':>8}{'span s':>8}{'wkr cpu':>8}{'idle s':>8}"
             f"{'calls/doc':>10}{'chars/doc':>10}{'flow MB':>8}{'ratio':>7}{'oth cpu':>9}{'busy':>6}"
             f"{'machine':>9}{'flow cpu':>9}{'srv cpu':>8}")  # fmt: skip
    for n in args.docs:
        with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(len(checkouts)) as pool:
            futures = {}
            for i, c in enumerate(checkouts):
                folder = Path(tmp) / str(i)
                folder.mkdir()
                futures[c] = pool.submit(run, c, n, args.latency, args.rpm, args.in_flight, folder)
            for c, fut in futures.items():
                r = fut.result()
                log.info(f"{n:>5} {str(c)[-28:]:<28}{r['wall']:>8.1f}{r['span']:>8.1f}{r['workers_cpu']:>8.1f}"
                         f"{r['idle']:>8.1f}{r['calls_per_doc']:>10.2f}{r['prompt_chars_per_doc']:>10.0f}"
                         f"{r['flow_mb']:>8.0f}{r['ratio']:>7.2f}{r['other_cpu']:>9.1f}{r['busy']:>6.2f}"
                         f"{r['machine_ratio']:>9.2f}{r['flow_cpu']:>9.1f}{r['server_cpu']:>8.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
