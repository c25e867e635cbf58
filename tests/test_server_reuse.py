"""A run reuses the local Prefect server that ``flows serve`` started (same machine, same
PREFECT_HOME) instead of starting its own: no server start-up in every ad-hoc run."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect")


class _Health(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        ok = self.path.endswith("/api/health")
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"true")


@pytest.fixture
def health() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def _no_start(*_: object, **__: object) -> Any:
    raise AssertionError("a server of the run's own was started")


def test_a_run_uses_the_server_that_serve_started_and_starts_none(
    health: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import server

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(server, "_start", _no_start)
    served = Path(server._served_file())
    served.parent.mkdir(parents=True, exist_ok=True)
    served.write_text(json.dumps({"url": health, "pid": os.getpid()}), encoding="utf-8")
    try:
        with server.temporary_api() as api:
            assert api.ready() == health and api.proc is None
            assert os.environ["PREFECT_API_URL"] == health
        assert "PREFECT_API_URL" not in os.environ
    finally:
        served.unlink()


def test_a_stale_note_of_a_stopped_serve_is_not_used(health: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows import server

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    served = Path(server._served_file())
    served.parent.mkdir(parents=True, exist_ok=True)
    gone = 2**22 + 12345  # no such process
    served.write_text(json.dumps({"url": health, "pid": gone}), encoding="utf-8")
    try:
        assert server.served_api() is None
        served.write_text(json.dumps({"url": "http://127.0.0.1:9/api", "pid": os.getpid()}), encoding="utf-8")
        assert server.served_api() is None  # alive but not answering
        served.write_text("{not json", encoding="utf-8")
        assert server.served_api() is None
    finally:
        served.unlink()


class _FakeServer:
    pid = 0

    def poll(self) -> int:
        return 0

    def wait(self, timeout: float | None = None) -> int:
        return 0


@pytest.mark.parametrize("user", [None, "7"])
def test_the_run_s_own_server_records_task_runs_in_batches_unless_the_user_says(
    user: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefect's task-run recorder writes each task-run event in its own transaction by default: the
    run's own server batches them (issue 26); a batch size the user set is kept."""
    from flows import server

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(server, "served_api", lambda: None)
    if user is None:
        monkeypatch.delenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", raising=False)
    else:
        monkeypatch.setenv("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", user)
    started: dict[str, str] = {}

    def start(cmd: list[str], env: dict[str, str]) -> Any:
        started.update(env)
        return _FakeServer()

    monkeypatch.setattr(server, "_start", start)
    with server.temporary_api():
        pass
    assert started["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"] == (user or "100")
    assert float(started["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"]) <= 1


def test_the_server_is_stopped_only_once_its_recorder_has_written_the_last_task_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A batch the recorder still holds when the server stops is lost (its last flush is cancelled with
    the service): the server gets a flush interval after the run's last task run, no more."""
    from flows import server

    waits: list[float] = []
    monkeypatch.setattr(server.time, "sleep", waits.append)
    env = dict(server.RECORDER)
    server._TASKS_ENDED.clear()
    server._let_the_recorder_write(env)  # the flow never said its tasks ended: the whole interval
    server.tasks_ended()
    server._let_the_recorder_write(env)  # they just ended
    monkeypatch.setattr(server, "_TASKS_ENDED", [server.time.monotonic() - 60])
    server._let_the_recorder_write(env)  # long ago: written already
    server._let_the_recorder_write({**env, "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "1"})
    interval = float(env["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"])
    assert waits[0] > interval and waits[1] > interval - 0.5 and waits[2] == 0.0 and len(waits) == 3
