"""SIGTERM to the run's whole process group, as ``timeout`` and ``systemctl stop`` send it.

Before: the run's Prefect server was in the group, died at once, and the flow, with no API to record
its end, took 218 s to exit with code 1 and state failed. Now the server runs in a session of its own
and is stopped last: the flow finishes cancelling, exit 4, the manifest says cancelled.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import procs
from core.manifest import PREFECT_SERVER_MARK
from tests.conftest import CORPUS, wait_for

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[1]


def test_sigterm_to_the_process_group_cancels_the_run_through_its_own_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PP_DATA_DIR=str(tmp_path / "data"),
        PP_OUTPUTS_DIR=str(tmp_path / "outputs"),
        PYTHONPATH=str(ROOT),
    )
    out = tmp_path / "run.log"
    servers: list[procs.Proc] = []
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows", "run", "--replay", "--corpus", str(CORPUS)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            # signalled mid-run: documents are downloading or extracting
            assert wait_for(lambda: "core.progress: download 1/" in out.read_text() or proc.poll() is not None, 300)
            assert proc.poll() is None, out.read_text()[-3000:]
            servers += [p for p in procs.tree(proc.pid).values() if PREFECT_SERVER_MARK in p.cmd]
            assert servers, "the run started no Prefect server of its own"
            sent = time.monotonic()
            os.killpg(proc.pid, signal.SIGTERM)  # the whole group, as `timeout` does
            code = proc.wait(timeout=60)
            took = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for server in servers:  # a server in a session of its own is not in the group: never left behind
                if procs.read(server.pid) is not None:
                    os.kill(server.pid, signal.SIGKILL)
    text = out.read_text()
    assert code == 4, text[-3000:]
    assert took < 10, f"{took:.1f} s to exit"  # a bound on a hang, not a speed test (218 s before)
    assert "Cancelled" in text
    with sqlite3.connect(tmp_path / "data" / "manifest.sqlite") as db:
        assert db.execute("SELECT status FROM runs").fetchall() == [("cancelled",)]
    assert all(procs.read(p.pid) is None for p in servers)  # and the server was stopped, last
