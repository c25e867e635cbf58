"""What one Prefect task run costs, with nothing to do: the thread runner against Dask.

Runs N trivial tasks (submit, then wait for all) three rounds in one flow, against one temporary
Prefect server started the way ``python -m flows run`` starts it (``flows/server.py``), and prints the
wall time per task of each round, and the CPU the server spent per task (recording the task runs:
``PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE=1`` in the environment shows Prefect's
default). This is the floor under the flow's per-document overhead (one ``document`` task per
document) and the reason Dask is slower than the process pool on one machine.

Usage: python benchmarks/task_overhead.py [--tasks 60] [--runner threads dask] [--workers 2]
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

log = logging.getLogger("task-overhead")


@task(cache_policy=NO_CACHE)
def nothing(x: int, payload: object = None) -> int:
    return x


def rounds(n: int, with_settings: bool) -> list[float]:
    """Milliseconds per task, for three rounds of ``n`` tasks (the first pays the workers' warm-up);
    ``with_settings``: each task also gets the run's ``Settings``, as the flow's tasks do."""
    from core.settings import current_settings

    payload = current_settings() if with_settings else None
    out = []
    for _ in range(3):
        t0 = time.perf_counter()
        futures = [nothing.submit(i, payload) for i in range(n)]
        for f in futures:
            f.result()
        out.append(1000 * (time.perf_counter() - t0) / n)
    return out


def server_cpu(proc: Any) -> float:
    """CPU seconds of the run's temporary server (0 when the run uses a server it did not start)."""
    from core import procs

    found = procs.read(proc.pid) if proc is not None else None
    return found.cpu_s if found else 0.0


def runner(kind: str, workers: int) -> Any:
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 2, "processes": True})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=2 * workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--runner", nargs="+", choices=["threads", "dask"], default=["threads", "dask"])
    parser.add_argument("--workers", type=int, default=2, help="Dask workers (threads: twice as many threads)")
    args = parser.parse_args()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)  # Prefect has configured the root logger already
    log.setLevel(logging.INFO)
    log.propagate = False
    from flows.server import temporary_api

    with temporary_api() as api:
        api.ready()
        for kind in args.runner:
            for with_settings in (False, True):
                run = flow(name=f"task-overhead-{kind}", task_runner=runner(kind, args.workers), log_prints=False)
                before = server_cpu(api.proc)
                ms = run(rounds)(args.tasks, with_settings)
                time.sleep(2)  # the recorder writes what it holds (at least once a second)
                what = "with the Settings" if with_settings else "no arguments"
                log.info(
                    "%-7s %d tasks, %-17s: %s ms per task; the server's CPU %.1f ms per task", kind, args.tasks,
                    what, " / ".join(f"{m:.1f}" for m in ms), 1000 * (server_cpu(api.proc) - before) / (3 * args.tasks),
                )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
