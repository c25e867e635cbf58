"""One temporary Prefect API for a CLI run, started without loading Prefect's server into the flow.

Left to itself, Prefect starts its temporary server from inside the flow process
(``SubprocessASGIServer``), which first imports the whole server application (FastAPI, SQLAlchemy,
the API routes: ~80 MB and ~1 s) only to launch it in a child process. This starts the same child
(``uvicorn --factory prefect.server.api.server:create_app``, the UI off, the same settings) from a
plain command line, so the flow process holds Prefect's client alone: one API for the run (in the
Dask mode only the extraction goes to the cluster; no worker talks to Prefect). A ``PREFECT_API_URL``
already set, in the environment or the Prefect profile (a ``prefect server start``, Prefect Cloud), is
used as it is and nothing is started.

The server runs in a session of its own: a SIGTERM sent to the run's whole process group (``timeout``,
``systemctl stop``, Ctrl-C in a terminal) reaches the flow, which cancels, records and writes its
workbook through the server, which is stopped last.

:func:`local_server` starts the full server for ``python -m flows serve``: the UI and the background
services (the scheduler that turns a cron into runs) on, on the SQLite database under ``PREFECT_HOME``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import prefect
from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, get_current_settings, temporary_settings

from core.errors import ConfigError

log = logging.getLogger(__name__)


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(port: int) -> list[str]:
    """The command line Prefect's own temporary server runs (``SubprocessASGIServer``)."""
    return [
        sys.executable, "-m", "uvicorn",
        "--app-dir", str(Path(prefect.__file__).parent.parent),
        "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error", "--lifespan", "on",
    ]  # fmt: skip


class TemporaryAPI:
    """The run's API URL; :meth:`ready` returns it once the server answers (at once for a configured one)."""

    def __init__(self, url: str, proc: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
        self.url, self.proc, self.timeout_s = url, proc, timeout_s
        self.answered = proc is None  # the server has answered (a configured API is taken as answering)

    def ready(self) -> str:
        if not self.answered and self.proc is not None:
            _wait_healthy(self.proc, self.url, self.timeout_s)
            self.answered = True
        return self.url


#: where ``flows serve`` says which local server it started (in PREFECT_HOME: the same database)
SERVED = "prospectus-serve.json"


def _served_file() -> Path:
    return Path(get_current_settings().home) / SERVED


def served_api() -> str | None:
    """The API of the local server that ``flows serve`` started on this machine and PREFECT_HOME, when
    it is still up and answers at once; None otherwise (a stale file is left for serve to rewrite)."""
    try:
        info = json.loads(_served_file().read_text(encoding="utf-8"))
        url, pid = str(info["url"]), int(info["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        with httpx.Client(timeout=1) as client:
            return url if client.get(f"{url}/health").status_code == 200 else None
    except httpx.HTTPError:
        return None


@contextlib.contextmanager
def temporary_api(timeout_s: float | None = None) -> Iterator[TemporaryAPI]:
    """The API the run uses: the configured ``PREFECT_API_URL``; else the local server that ``flows
    serve`` started (no start-up, no server of the run's own); else a temporary server's, started at
    once (call :meth:`TemporaryAPI.ready` before the first Prefect call: the caller's imports overlap
    the server's start-up) and stopped on exit after Prefect's queued logs and events are flushed."""
    configured = os.environ.get("PREFECT_API_URL") or get_current_settings().api.url  # env or Prefect profile
    if configured:
        yield TemporaryAPI(str(configured), None, 0)
        return
    served = served_api()
    if served:
        log.info("using the Prefect server that flows serve started: %s", served)
        os.environ["PREFECT_API_URL"] = served
        try:
            with temporary_settings(updates={PREFECT_API_URL: served}):
                yield TemporaryAPI(served, None, 0)
        finally:
            os.environ.pop("PREFECT_API_URL", None)
        return
    port = _free_port()
    _TASKS_ENDED.clear()
    env = {
        **RECORDER,
        **os.environ,
        **get_current_settings().to_environment_variables(exclude_unset=True),
        "PREFECT_UI_ENABLED": "0",
        # a server for one run, offline by default: no telemetry unless the user asked for it
        "PREFECT_SERVER_ANALYTICS_ENABLED": os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    proc = _start(command(port), env)
    url = f"http://127.0.0.1:{port}/api"
    api = TemporaryAPI(url, proc, timeout_s or get_current_settings().server.ephemeral.startup_timeout_seconds)
    try:
        os.environ["PREFECT_API_URL"] = url
        log.debug("Prefect API for this run: %s (pid %d)", url, proc.pid)
        # the server runs without its UI, so Prefect's "View at http://127.0.0.1:…/runs/…" would be a
        # link to nothing (and to a port gone after the run): no UI URL, no link
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_UI_URL: ""}):
            try:
                yield api
            finally:
                if api.answered:
                    # Prefect flushes its logs and events at exit; with the server gone they would
                    # retry for a minute ('Error logging to API'): flush them while it still answers
                    from prefect.events.worker import EventsWorker
                    from prefect.logging.handlers import APILogWorker

                    APILogWorker.drain_all(timeout=10)
                    EventsWorker.drain_all(timeout=10)
                    _let_the_recorder_write(env)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        stop(proc)


#: How the run's temporary server writes the task runs to its database. Prefect's task-run recorder
#: writes each task-run event (three a document: pending, running, finished) in a transaction of its
#: own by default, ~15 ms of the server's CPU a document on the cores the extraction uses; in batches
#: of up to 100 events, at least once a second, ~8 ms (``benchmarks/backfill_bench.py``, issue 26).
#: A batch still held when the server stops would be lost (Prefect 3.8 cancels the recorder's last
#: flush), so the server is stopped one flush interval after the run's tasks ended at the earliest
#: (:func:`_let_the_recorder_write`); the user's own settings win.
RECORDER = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "100",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
}


#: when the run's task runs had all ended (``time.monotonic()``), once the flow says so
_TASKS_ENDED: list[float] = []


def tasks_ended() -> None:
    """The run's task runs have all ended, so their last events have been sent: the flow says so
    before its outputs, and the server it started is then stopped without waiting on its recorder."""
    _TASKS_ENDED[:] = [time.monotonic()]


def _let_the_recorder_write(env: dict[str, str]) -> None:
    """Before the server stops: time for the task-run recorder to write the events it holds (it writes
    a batch at least every flush interval; a batch still held when the server stops is lost, Prefect
    3.8's last flush being cancelled with the service). Nothing to wait for when the run's tasks ended
    longer ago than that (a run's outputs take longer), or when it writes every event at once."""
    try:
        batch = int(env.get("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "1"))
        interval = float(env.get("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL", "5"))
    except ValueError:  # the server refused the setting at start-up anyway
        return
    if batch <= 1:
        return
    since = time.monotonic() - _TASKS_ENDED[-1] if _TASKS_ENDED else 0.0
    time.sleep(max(0.0, min(interval, 30.0) + 0.25 - since))


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The server, in a session of its own: a signal sent to this process's group does not reach it
    (this process stops it, after the flow has finished with it)."""
    return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout_s``."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class LocalServer:
    """A full Prefect server for ``flows serve``: API, UI and scheduler at :attr:`url`."""

    def __init__(self, url: str, ui_url: str, proc: subprocess.Popen[bytes] | None) -> None:
        self.url, self.ui_url, self.proc = url, ui_url, proc


@contextlib.contextmanager
def local_server(port: int | None = None, timeout_s: float | None = None) -> Iterator[LocalServer]:
    """The configured ``PREFECT_API_URL`` as it is (nothing started), else a full Prefect server started
    now as a child process (``prefect server start``'s application: UI and services, the scheduler
    included, on SQLite under ``PREFECT_HOME``) on 127.0.0.1:``port`` (default
    ``PREFECT_SERVER_API_PORT``, 4200). It answers before this yields, and is stopped on exit."""
    settings = get_current_settings()
    configured = os.environ.get("PREFECT_API_URL") or settings.api.url
    if configured:
        ui = str(settings.ui_url or "")
        yield LocalServer(str(configured), ui, None)
        return
    port = port or settings.server.api.port
    if not _port_free(port):
        raise ConfigError(
            f"port {port} on 127.0.0.1 is taken (another Prefect server?): set PREFECT_API_URL to use that "
            f"server, or PREFECT_SERVER_API_PORT to start this one elsewhere"
        )
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/api"
    env = {
        **os.environ,
        **settings.to_environment_variables(exclude_unset=True),
        "PREFECT_SERVER_ANALYTICS_ENABLED": os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "true",
        "PREFECT_UI_ENABLED": os.environ.get("PREFECT_UI_ENABLED", "true"),
        "PREFECT_UI_API_URL": url,  # what the browser calls
        "PREFECT__SERVER_FINAL": "1",
    }
    for name in ("PREFECT__SERVER_EPHEMERAL", "PREFECT__SERVER_WEBSERVER_ONLY", "PREFECT_API_URL"):
        env.pop(name, None)  # the ephemeral flag would turn the services (the scheduler) off
    proc = _start(command(port), env)
    log.info("starting a local Prefect server (UI and scheduler) on %s, data in %s", base, settings.home)
    try:
        _wait_healthy(proc, url, timeout_s or settings.server.ephemeral.startup_timeout_seconds)
        os.environ["PREFECT_API_URL"] = url  # the runs that serve starts inherit it
        os.environ["PREFECT_UI_URL"] = base
        with contextlib.suppress(OSError):  # ad-hoc runs on this machine use it instead of their own
            _served_file().write_text(json.dumps({"url": url, "pid": proc.pid}), encoding="utf-8")
        with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_UI_URL: base}):
            yield LocalServer(url, base, proc)
    finally:
        with contextlib.suppress(OSError):
            _served_file().unlink(missing_ok=True)
        os.environ.pop("PREFECT_API_URL", None)
        os.environ.pop("PREFECT_UI_URL", None)
        stop(proc)


def _port_free(port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ConfigError(f"the temporary Prefect server exited with code {proc.returncode} at start-up")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{url}/health").status_code == 200:
                    return
            time.sleep(0.1)
    raise ConfigError(f"the temporary Prefect server did not answer within {timeout_s:.0f} s")
