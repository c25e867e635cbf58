"""SQLite manifest: what was downloaded (with sha256), what was processed, and each run's window.

Reruns consult it so a document is downloaded once and each processing stage runs once per content
hash. Safe to share between threads (one connection per call, WAL mode).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core import procs
from core.records import Document, Failure
from core.sqlite import connect, open_store

log = logging.getLogger(__name__)
_BEIJING = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY, url TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
    size INTEGER NOT NULL, pages INTEGER, record TEXT NOT NULL, downloaded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE TABLE IF NOT EXISTS stages (
    sha256 TEXT NOT NULL, stage TEXT NOT NULL, result TEXT NOT NULL, done_at TEXT NOT NULL,
    PRIMARY KEY (sha256, stage)
);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT NOT NULL, stage TEXT NOT NULL, error TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow TEXT NOT NULL, window_start TEXT, window_end TEXT,
    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, workbook TEXT
);
"""


#: The manifest's schema version (``PRAGMA user_version``): a file with a higher one is refused.
SCHEMA_VERSION = 1


def _add_run_columns(c: sqlite3.Connection) -> None:
    """Manifests written before runs had a pid and helpers."""
    columns = {row[1] for row in c.execute("PRAGMA table_info(runs)")}
    if "pid" not in columns:
        c.execute("ALTER TABLE runs ADD COLUMN pid INTEGER")
    if "helpers" not in columns:
        c.execute("ALTER TABLE runs ADD COLUMN helpers TEXT")


#: What the embedded Prefect server runs as (a uvicorn child of the flow process).
PREFECT_SERVER_MARK = "prefect.server.api.server:create_app"


def server_children(pid: int | None = None) -> list[int]:
    """The embedded Prefect servers this process started (Linux /proc; empty elsewhere)."""
    return [p.pid for p in procs.children(pid or os.getpid()) if PREFECT_SERVER_MARK in p.cmd]


def stop_orphaned_server(pid: int) -> bool:
    """Stop a Prefect server left behind by a killed run: only if it is still a Prefect server and no
    Python process is its parent any more (it was re-parented to init or a subreaper)."""
    server = procs.read(pid)
    if server is None or PREFECT_SERVER_MARK not in server.cmd:
        return False
    parent = procs.read(server.ppid) if server.ppid != 1 else None
    if parent is not None and "python" in parent.cmd:
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        #: rows read in this process that no longer validate (skipped, each logged once here)
        self.invalid_rows: list[str] = []
        open_store(self.path, _SCHEMA, wal=True, migrate=_add_run_columns, version=SCHEMA_VERSION)

    def _conn(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    # --- documents --------------------------------------------------------------------------------

    def _document(self, record: object, key: str) -> Document | None:
        """A stored Document, or None (logged, and kept in :attr:`invalid_rows`) when the row no longer
        validates: a manifest row written by another version or edited by hand is a miss, never fatal."""
        try:
            return Document.model_validate_json(record)  # type: ignore[arg-type]
        except (ValueError, TypeError, RecursionError) as exc:
            why = f"manifest: document {key!r} does not validate ({str(exc)[:200]}); skipped"
            log.warning(why)
            self.invalid_rows.append(why)
            return None

    def get_document(self, key: str) -> Document | None:
        with self._conn() as c:
            row = c.execute("SELECT record FROM documents WHERE key = ?", (key,)).fetchone()
        return self._document(row[0], key) if row else None

    def unknown(self, keys: Sequence[str]) -> list[str]:
        """The ``keys`` with no downloaded document recorded, in their order (one query per 500)."""
        known: set[str] = set()
        with self._conn() as c:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                sql = f"SELECT key FROM documents WHERE key IN ({','.join('?' * len(part))})"
                known.update(r[0] for r in c.execute(sql, part))
        return [k for k in keys if k not in known]

    def find_by_sha(self, sha256: str) -> Document | None:
        with self._conn() as c:
            row = c.execute("SELECT record FROM documents WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone()
        return self._document(row[0], sha256) if row else None

    def put_document(self, doc: Document) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (doc.key, doc.url, doc.path, doc.sha256, doc.size, doc.pages, doc.model_dump_json(), _now()),
            )

    def documents(self) -> list[Document]:
        with self._conn() as c:
            rows = c.execute("SELECT key, record FROM documents ORDER BY key").fetchall()
        return [d for key, record in rows if (d := self._document(record, key)) is not None]

    # --- processing stages, keyed by content hash -----------------------------------------------

    def stage_result(self, sha256: str, stage: str) -> Any | None:
        with self._conn() as c:
            row = c.execute("SELECT result FROM stages WHERE sha256 = ? AND stage = ?", (sha256, stage)).fetchone()
        if not row:
            return None
        try:
            return json.loads(row[0])
        except (ValueError, TypeError, RecursionError) as exc:
            why = f"manifest: stage {stage} of {sha256[:12]} is not JSON ({exc}); done again"
            log.warning(why)
            self.invalid_rows.append(why)
            return None

    def put_stage(self, sha256: str, stage: str, result: Any) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT OR REPLACE INTO stages VALUES (?, ?, ?, ?)",
                (sha256, stage, json.dumps(result, ensure_ascii=False, default=str), _now()),
            )

    # --- failures -------------------------------------------------------------------------------------

    def record_failure(self, failure: Failure) -> None:
        """Keep the typed record (as JSON in ``error``; older rows hold plain text)."""
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO failures VALUES (?, ?, ?, ?)",
                (failure.key, failure.stage, failure.model_dump_json(), _now()),
            )

    def failures(self) -> list[Failure]:
        with self._conn() as c:
            rows = list(c.execute("SELECT key, stage, error FROM failures ORDER BY rowid"))
        out = []
        for key, stage, error in rows:
            try:
                out.append(Failure.model_validate_json(error))
            except (ValueError, TypeError):
                out.append(Failure(key=key, stage=stage, error_type="", message=error))
        return out

    # --- runs (incremental windows) -------------------------------------------------------------

    def start_run(self, flow: str, start: dt.date | None, end: dt.date | None) -> int:
        """Record a run as running (with this process's pid); runs left 'running' by a process that no
        longer exists (kill -9, a power cut) are marked 'crashed' first."""
        with self._lock, self._conn() as c:
            left = c.execute("SELECT id, pid, helpers FROM runs WHERE status = 'running'").fetchall()
            for run_id, pid, helpers in left:
                if pid is None or not _alive(int(pid)):
                    c.execute("UPDATE runs SET status = 'crashed', finished_at = ? WHERE id = ?", (_now(), run_id))
                    log.warning(
                        "run %s (pid %s) was left running by a process that is gone; marked crashed", run_id, pid
                    )
                    for helper in (int(h) for h in (helpers or "").split(",") if h.strip().isdigit()):
                        if stop_orphaned_server(helper):
                            log.warning("stopped the Prefect server (pid %s) that run %s left behind", helper, run_id)
            cur = c.execute(
                "INSERT INTO runs (flow, window_start, window_end, started_at, status, pid) "
                "VALUES (?, ?, ?, ?, 'running', ?)",
                (flow, start.isoformat() if start else None, end.isoformat() if end else None, _now(), os.getpid()),
            )
            return int(cur.lastrowid or 0)

    def record_helpers(self, run_id: int, pids: list[int]) -> None:
        """The helper processes a run started (its embedded Prefect server), for the cleanup of a
        run that is killed outright."""
        with self._lock, self._conn() as c:
            c.execute("UPDATE runs SET helpers = ? WHERE id = ?", (",".join(map(str, pids)), run_id))

    def runs(self) -> list[tuple[int, str, str]]:
        """(id, flow, status) of every run, oldest first."""
        with self._conn() as c:
            return [
                (int(r[0]), str(r[1]), str(r[2])) for r in c.execute("SELECT id, flow, status FROM runs ORDER BY id")
            ]

    def finish_run(self, run_id: int, status: str, workbook: str | None = None) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "UPDATE runs SET finished_at = ?, status = ?, workbook = ? WHERE id = ?",
                (_now(), status, workbook, run_id),
            )

    def last_successful_window_end(self, flow: str, today: dt.date | None = None) -> dt.date | None:
        """The end of the last completed (or partial) window of ``flow``, never after ``today``
        (default: today in Beijing): a run under a clock set to the future recorded a window that
        ends later, and every later daily run would start after its own end; it is clamped, with a
        warning. A value that is not a date is skipped (logged)."""
        today = today or dt.datetime.now(_BEIJING).date()
        with self._conn() as c:
            rows = c.execute(
                "SELECT window_end FROM runs WHERE flow = ? AND status IN ('completed', 'partial') "
                "AND window_end IS NOT NULL",
                (flow,),
            ).fetchall()
        ends: list[dt.date] = []
        for (value,) in rows:
            try:
                ends.append(dt.date.fromisoformat(str(value)))
            except ValueError:
                why = f"manifest: run window end {str(value)[:40]!r} is not a date; skipped"
                log.warning(why)
                self.invalid_rows.append(why)
        if not ends:
            return None
        last = max(ends)
        if last > today:
            log.warning(
                "manifest: the last %s window ends %s, after today (%s): recorded under a clock set to the "
                "future; the window is clamped to today",
                flow,
                last,
                today,
            )
            return today
        return last
