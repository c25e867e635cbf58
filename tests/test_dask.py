"""Dask mode as a distributed engine should work: the extraction runs on the Dask workers, the flow's
tasks report to one Prefect API, and no worker starts a Prefect server of its own (each used to, with
its own database and web server, when Prefect's tasks ran on the workers)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core import procs

pytestmark = pytest.mark.prefect


def _servers_under(root: int) -> int:
    """Prefect servers (uvicorn running prefect.server) among ``root``'s descendants."""
    return sum(1 for p in procs.tree(root).values() if "prefect.server" in p.cmd)


def test_dask_workers_share_the_flows_prefect_api(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PP_DATA_DIR": str(tmp_path / "data"),
        "PP_OUTPUTS_DIR": str(tmp_path / "out"),
        "PREFECT_LOGGING_LEVEL": "INFO",  # Prefect's own lines too, as a user sees them
    }
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "flows", "run", "--replay", "--task-runner", "dask", "--workers", "2",
           "--max-documents", "2", "--no-llm"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    most = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal most
        while not stop.is_set():
            most = max(most, _servers_under(proc.pid))
            time.sleep(0.3)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate(timeout=300)
    stop.set()
    watcher.join()
    assert proc.returncode == 0, out[-3000:]
    assert most == 1, f"{most} Prefect servers at once"
    assert "extraction on Dask: a local cluster of 2 worker processes" in out
    assert "one Prefect API for the run" in out and "Error logging to API" not in out
    assert "View at" not in out  # the run's temporary server has no UI: no link to one
    assert list((tmp_path / "out").glob("*.xlsx"))


def _worker_settings() -> dict[str, object]:
    import dask

    keys = ("distributed.worker.profile.enabled", "distributed.worker.memory.monitor-interval")
    return {k: dask.config.get(k) for k in keys} | {"pid": os.getpid()}


def test_the_local_cluster_runs_without_the_dashboards_profiler_and_hands_out_one_document_per_worker() -> None:
    """The trap: ``dask.config.set`` in the flow process does not reach worker processes by itself (the
    nannies must carry it), and the defaults cost the extraction ~7% (a 10 ms stack sampler),
    queue a second document behind each running one, and serve the cluster's state over HTTP even
    without a dashboard."""
    from flows.processes import LOCAL_CLUSTER_CONFIG, _DaskOnDemand

    pool = _DaskOnDemand(2, None)
    try:
        seen = [pool.submit(_worker_settings).result(timeout=120) for _ in range(4)]
        scheduler = pool._cluster.scheduler
        assert scheduler.WORKER_SATURATION == 1.0
        import httpx

        web = f"http://{scheduler.http_server.address}:{scheduler.http_server.port}"
        assert httpx.get(f"{web}/json/identity.json").status_code == 404  # the cluster's state not served
        assert httpx.get(f"{web}/health").status_code == 404
        assert all(s["pid"] != os.getpid() for s in seen)  # in worker processes, not here
        assert {s["distributed.worker.profile.enabled"] for s in seen} == {False}
        assert {s["distributed.worker.memory.monitor-interval"] for s in seen} == {
            LOCAL_CLUSTER_CONFIG["distributed.worker.memory.monitor-interval"]
        }
    finally:
        pool.shutdown()
    import dask

    assert dask.config.get("distributed.worker.profile.enabled") is True  # the flow's own config untouched


def test_a_run_that_ends_before_its_background_start_leaves_no_cluster_behind() -> None:
    """The trap: the background start waits for the pool's lock; a run ending first (every download
    failed) closed the pool, and the start then made a cluster that nothing would close."""
    from flows.processes import _DaskOnDemand

    pool = _DaskOnDemand(1, None)
    pool.shutdown()
    with pytest.raises(RuntimeError, match="closed"):
        pool._connect()
    assert pool._cluster is None and pool._client is None


def test_a_warm_dask_pool_starts_its_cluster_and_loads_pdfium_in_every_worker_before_the_first_document() -> None:
    """The trap: the local cluster starts at the first submit (a cached rerun starts none), so without a
    start ahead of it the first document waits ~2.5 s (cluster, workers, their imports) where a process
    pool waits ~1 s; started while the first documents download, neither waits."""
    from flows.processes import _DaskOnDemand
    from tests.conftest import spawned_since, wait_for

    before = {p.pid for p in procs.children(os.getpid())}
    pool = _DaskOnDemand(2, None)
    try:
        time.sleep(0.5)
        assert spawned_since(before) == {} and pool._client is None  # nothing starts by itself
        pool.start_in_background()
        loaded = lambda: [m for m in spawned_since(before).values() if "pdfium" in m]  # noqa: E731
        assert wait_for(lambda: len(loaded()) == 2, 120), f"{len(loaded())} of 2 workers loaded PDFium"
        assert pool.submit(os.getpid).result(timeout=60) != os.getpid()  # the same cluster takes the documents
        assert len(spawned_since(before)) == 2
    finally:
        pool.shutdown()


def _big() -> bytes:
    return b"x" * 2_000_000


def test_results_come_straight_from_the_local_workers_not_through_the_scheduler() -> None:
    """The trap: a client outside the cluster gets every result through the scheduler by default (the
    scheduler fetches it from the worker, then sends it on), a second hop of each extraction's result,
    made inside the flow process where the local scheduler lives."""
    from flows.processes import _DaskOnDemand

    pool = _DaskOnDemand(1, None)
    try:
        assert [len(pool.submit(_big).result(timeout=120)) for _ in range(3)] == [2_000_000] * 3
        scheduler = pool._cluster.scheduler
        relayed = [e for _, e in scheduler.get_events("all") if e.get("action") == "gather"]
        assert relayed == []
    finally:
        pool.shutdown()
