"""``python -m flows serve`` with no ``PREFECT_API_URL``: a local Prefect server with its scheduler is
started, the every-minute cron fires, and a daily run finishes, with nothing else started by hand.

Before: serve ran the deployments against Prefect's temporary API, whose scheduler services are off,
so a cron deployment never got a run (0 runs in 3 min 18 s).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from replay import ReplayServer

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _finished_daily_runs(api: str) -> list[dict[str, Any]]:
    with contextlib.suppress(httpx.HTTPError):
        finished = {"state": {"type": {"any_": ["COMPLETED", "FAILED", "CRASHED"]}}}  # not the 100 scheduled
        got = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": finished, "limit": 50}, timeout=10)
        if got.status_code == 200:
            return [
                r for r in got.json()
                if r["name"].startswith("daily ") and r["state_type"] in ("COMPLETED", "FAILED", "CRASHED")
            ]  # fmt: skip
    return []


def test_serve_without_api_url_starts_a_server_whose_scheduler_fires_the_daily_cron(
    tmp_path: Path, replay_env: ReplayServer
) -> None:
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PP_DAILY_CRON="* * * * *",
        PYTHONPATH=str(ROOT),
        PREFECT_LOGGING_LEVEL="INFO",
    )
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flows", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 240  # the first minute boundary, the run, Prefect's start-up on a busy machine
        runs: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not runs:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            runs = _finished_daily_runs(api)
            time.sleep(2)
        output = (tmp_path / "serve.log").read_text()
        assert runs, f"no daily run finished: {output[-3000:]}"
        assert runs[0]["state_type"] == "COMPLETED", runs[0]["state"]
        assert f"http://127.0.0.1:{port}" in output  # the UI address is printed
        assert "core.progress - scrape cninfo page 1" in output  # a served run's progress lines are shown
        with sqlite3.connect(tmp_path / "data" / "manifest.sqlite") as db:
            rows = db.execute("SELECT flow, status FROM runs").fetchall()
        assert ("daily", "completed") in rows
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    # serve stopped what it started: the server no longer answers
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=2)
