"""What a run's start costs with and without a Prefect server already up (``flows serve``'s).

A cached rerun of the replay (``python -m flows run --replay``: nothing to download, extract or ask)
is almost all fixed cost: imports and the run's Prefect API. Measured here as the CPU seconds of the
run's whole process tree (the flow and the temporary server it starts, when it starts one) and its
wall time, alternating: no server up (the run starts its own), then ``flows serve`` up on this
PREFECT_HOME (the run uses it). Rounds alternate so the machine's drift falls on both.

    .venv/bin/python benchmarks/startup_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("startup-bench")


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def rerun(env: dict[str, str]) -> tuple[float, float, str]:
    cpu0, t0 = _children_cpu(), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "flows", "run", "--replay", "--no-llm"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if out.returncode not in (0, 1):
        raise SystemExit(f"run failed ({out.returncode}):\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    used = "served" if "using the Prefect server that flows serve started" in out.stdout + out.stderr else "own"
    return wall, cpu, used


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PP_", "PREFECT_API_URL"))},
            "PREFECT_HOME": str(Path(tmp) / "prefect"),
            "PP_DATA_DIR": str(Path(tmp) / "data"),
            "PP_OUTPUTS_DIR": str(Path(tmp) / "out"),
        }
        rerun(env)  # fill the data folder: every later run is a cached rerun
        figures: dict[str, list[tuple[float, float]]] = {"own": [], "served": []}
        for n in range(args.rounds):
            wall, cpu, used = rerun(env)
            figures[used].append((wall, cpu))
            env["PREFECT_SERVER_API_PORT"] = str(4251 + n)  # a fresh port: the last round's may be closing
            serve = subprocess.Popen(
                [sys.executable, "-m", "flows", "serve"], cwd=ROOT, env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
            served = Path(env["PREFECT_HOME"]) / "prospectus-serve.json"
            end = time.monotonic() + 300
            while not served.exists() and time.monotonic() < end:
                time.sleep(0.5)
            try:
                wall2, cpu2, used2 = rerun(env)
                figures[used2].append((wall2, cpu2))
            finally:
                os.killpg(serve.pid, signal.SIGTERM)
                serve.wait(timeout=60)
            log.info("round %d: own server %.1f s wall, %.1f s CPU; %s server %.1f s wall, %.1f s CPU",
                     n + 1, wall, cpu, used2, wall2, cpu2)  # fmt: skip
        for used, rows in figures.items():
            if rows:
                walls, cpus = [w for w, _ in rows], [c for _, c in rows]
                log.info("%s: median wall %.1f s, median CPU %.1f s (%d runs)", used, statistics.median(walls),
                         statistics.median(cpus), len(rows))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
