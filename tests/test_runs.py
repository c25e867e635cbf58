"""Runs an operator can trust: parameters refused before Prefect starts, states and exit codes that
tell the truth, and a daily window that only advances after a run that did not fail."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path

import pytest

from core.categories import resolve_category
from core.errors import ConfigError
from core.params import RunParams
from core.records import Announcement, DocumentExtraction, Failure
from replay import ReplayServer
from report import RunReport


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "--code", "12345"], "six digits"),
        (["run", "--start", "2025-13-01"], "YYYY-MM-DD"),
        (["run", "--start", "2025/01/01"], "YYYY-MM-DD"),
        (["run", "--start", "2025-02-01", "--end", "2025-01-01"], "after end"),
        (["run", "--max-documents", "-1"], "at least 1"),
        (["run", "--max-documents", "0"], "at least 1"),
        (["run", "--category", "不存在的类别"], "unknown category"),
    ],
)
def test_bad_parameters_are_refused_at_once_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from flows.cli import main

    t0 = time.perf_counter()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert time.perf_counter() - t0 < 5  # before any Prefect start-up


def test_every_flag_has_help_text() -> None:
    import argparse

    from flows.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help text"


def test_category_names_users_write_are_accepted() -> None:
    assert resolve_category("年报") == "category_ndbg_szsh"
    assert resolve_category("招股说明书") == "category_sf_szsh"
    assert resolve_category("category_ndbg_szsh") == "category_ndbg_szsh"
    with pytest.raises(ConfigError, match="unknown category"):
        RunParams.checked(categories=["category_nonexistent"])


def _report(announcements: int, extracted: int, failures: int) -> RunReport:
    ann = Announcement(
        source="cninfo",
        announcement_id="1",
        sec_code="001282",
        sec_name="x",
        title="t",
        published=dt.date(2025, 1, 1),
        pdf_url="http://x/1.pdf",
    )
    ex = DocumentExtraction(
        doc_key="k", pages=1, patent_pages=(), competitor_pages=(), sections=(), tables=(), patents=(), competitors=()
    )
    return RunReport(
        flow="adhoc",
        parameters={},
        started=dt.datetime(2025, 1, 1),
        announcements=[ann] * announcements,
        extractions={f"k{i}": ex for i in range(extracted)},
        failures=[
            Failure(key=f"f{i}", stage="download", error_type="InvalidPDFError", message="bad") for i in range(failures)
        ],
        warnings=["nothing matched: check codes 999999"] if not announcements else [],
    )


@pytest.mark.parametrize(
    "flow, announcements, attempted, extracted, failures, status",
    [
        ("adhoc", 3, 3, 3, 0, "completed"),
        ("adhoc", 3, 3, 2, 1, "partial"),
        ("adhoc", 3, 3, 0, 3, "failed"),  # every document failed
        ("adhoc", 0, 0, 0, 0, "failed"),  # nothing matched
        ("daily", 0, 0, 0, 0, "completed"),  # a quiet day is not a failure
    ],
)
def test_run_state_tells_the_truth(
    flow: str, announcements: int, attempted: int, extracted: int, failures: int, status: str
) -> None:
    from flows.pipeline import judge

    got, message = judge(_report(announcements, extracted, failures), flow, attempted)
    assert got == status and message
    if status == "failed" and not announcements:
        assert "999999" in message


def test_exit_codes_follow_the_state() -> None:
    from prefect.states import Completed, Failed

    from flows.cli import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, exit_code

    assert exit_code(Completed(message="3 of 3", data="a.xlsx")) == EXIT_OK
    assert exit_code(Completed(message="2 of 3", name="Partial", data="a.xlsx")) == EXIT_PARTIAL
    assert exit_code(Failed(message="all 3 documents failed", data="a.xlsx")) == EXIT_FAILED


@pytest.mark.prefect
def test_daily_window_advances_only_after_a_run_that_did_not_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    from core.manifest import Manifest
    from flows.pipeline import daily_flow
    from replay import Scripted

    srv = replay_env
    monkeypatch.setenv("PP_MAX_RETRIES", "0")
    manifest = Manifest(tmp_path / "data" / "manifest.sqlite")

    assert daily_flow(today=dt.date(2025, 9, 20), lookback_days=5, return_state=True).is_completed()
    assert manifest.last_successful_window_end("daily") == dt.date(2025, 9, 20)

    # the exchange blocks the query: the run fails, and the window must not move
    srv.script("/new/hisAnnouncement/query", Scripted(403, b"<html>Access Denied</html>"))
    failed = daily_flow(today=dt.date(2025, 9, 25), return_state=True)
    assert failed.is_failed()
    assert manifest.last_successful_window_end("daily") == dt.date(2025, 9, 20)

    # the next run starts where the last good one ended, so nothing in between is lost
    assert not daily_flow(today=dt.date(2025, 9, 30), return_state=True).is_failed()
    windows = [h[2]["seDate"][0] for h in srv.hits if h[1] == "/new/hisAnnouncement/query"]
    assert windows[0] == "2025-09-15~2025-09-20" and windows[-1] == "2025-09-20~2025-09-30"
    assert manifest.last_successful_window_end("daily") == dt.date(2025, 9, 30)


def test_run_left_running_by_a_killed_process_is_marked_crashed(tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    from core.manifest import Manifest

    manifest = Manifest(tmp_path / "manifest.sqlite")
    # a process that started a run and was killed -9 before it could finish it
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = manifest.start_run("daily", dt.date(2025, 9, 1), dt.date(2025, 9, 2))
    with sqlite3.connect(tmp_path / "manifest.sqlite") as c:
        c.execute("UPDATE runs SET pid = ? WHERE id = ?", (int(dead.stdout), killed))
    alive = manifest.start_run("adhoc", None, None)  # this process: still running
    later = manifest.start_run("daily", dt.date(2025, 9, 2), dt.date(2025, 9, 3))
    statuses = {i: s for i, _, s in manifest.runs()}
    assert statuses[killed] == "crashed"
    assert statuses[alive] == "running" and statuses[later] == "running"
    assert manifest.last_successful_window_end("daily") is None


def test_manifest_from_before_runs_had_a_pid_still_opens(tmp_path: Path) -> None:
    import sqlite3

    from core.manifest import Manifest

    path = tmp_path / "manifest.sqlite"
    with sqlite3.connect(path) as c:
        c.execute(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, flow TEXT NOT NULL, window_start TEXT, "
            "window_end TEXT, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, workbook TEXT)"
        )
        c.execute("INSERT INTO runs (flow, started_at, status) VALUES ('daily', '2025-01-01', 'running')")
    manifest = Manifest(path)
    manifest.start_run("daily", None, None)
    assert [s for _, _, s in manifest.runs()] == ["crashed", "running"]


def test_console_drops_per_task_noise_but_keeps_real_warnings() -> None:
    import logging

    from flows.cli import _QuietTaskStates

    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, None, None)

    quiet = _QuietTaskStates()
    assert not quiet.filter(record("prefect.task_runs", "Finished in state Completed()"))
    assert not quiet.filter(record("prefect.task_runs", "Timeout of 60 seconds ... running in a worker thread."))
    assert quiet.filter(record("prefect.task_runs", "Task run failed with exception: DownloadError"))
    assert quiet.filter(record("pipeline", "Finished in state Completed()"))


def test_the_prefect_server_of_a_killed_run_is_stopped_by_the_next_run(tmp_path: Path) -> None:
    # kill -9 on a run leaves its embedded Prefect server (a uvicorn child) running for good
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from core.manifest import PREFECT_SERVER_MARK, Manifest, server_children

    flow = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time;"
            f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', {PREFECT_SERVER_MARK!r}]);"
            "print(p.pid, flush=True); time.sleep(120)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert flow.stdout is not None
    server = int(flow.stdout.readline())
    try:
        assert server_children(flow.pid) == [server]
        manifest = Manifest(tmp_path / "manifest.sqlite")
        killed = manifest.start_run("adhoc", None, None)
        manifest.record_helpers(killed, [server])
        with sqlite3.connect(tmp_path / "manifest.sqlite") as c:
            c.execute("UPDATE runs SET pid = ? WHERE id = ?", (flow.pid, killed))
        os.kill(flow.pid, signal.SIGKILL)
        flow.wait()
        time.sleep(0.2)
        assert os.path.exists(f"/proc/{server}")  # orphaned, still serving
        manifest.start_run("adhoc", None, None)
        for _ in range(50):
            if not os.path.exists(f"/proc/{server}") or "Z" in Path(f"/proc/{server}/stat").read_text().split()[2]:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the orphaned server is still running")
        assert {i: s for i, _, s in manifest.runs()}[killed] == "crashed"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(server, signal.SIGKILL)
        flow.kill()
