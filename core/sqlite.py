"""One way to open the project's SQLite files: a short-lived connection per call, committed on exit.

Short-lived connections make the manifest and the LLM cache safe to share between threads. The files
are in WAL mode with ``synchronous=NORMAL``: a commit no longer waits for the disk (it was the flow's
largest own cost, ~0.1 s per document measured with py-spy); a power cut can lose the last commits,
never the file's consistency, and what a lost commit recorded is fetched or computed again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

# Files this process has already made ready (checked, schema created, migrated), by (device, inode,
# schema): ``quick_check`` reads the whole file, and a run opens its manifest once per document, so
# opening a ready file again is one ``stat``. A file replaced since (moved aside, deleted and made
# again) has another inode and is made ready again.
_READY: set[tuple[int, int, str]] = set()
_READY_LOCK = threading.Lock()


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA synchronous=NORMAL")
        with conn:
            yield conn
    finally:
        conn.close()


def open_store(
    path: Path, schema: str, *, wal: bool = False, migrate: Callable[[sqlite3.Connection], None] | None = None
) -> None:
    """Create ``path`` with ``schema`` (then ``migrate``: changes to files written by older versions);
    a corrupt file is moved aside (``.corrupt-<time>``) with a warning and a fresh one started, so a
    damaged cache or manifest never sinks a run. All of it runs the first time this process opens a
    file, not at every open."""
    with contextlib.suppress(OSError):
        st = path.stat()
        with _READY_LOCK:  # (an empty file at the path was made by someone else: it has no schema)
            if st.st_size and (st.st_dev, st.st_ino, schema) in _READY:
                return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        _init(path, schema, wal, migrate)
    except sqlite3.DatabaseError as exc:
        aside = path.with_name(f"{path.name}.corrupt-{dt.datetime.now():%Y%m%d%H%M%S}")
        for suffix in ("", "-wal", "-shm"):
            p = path.with_name(path.name + suffix)
            if p.exists():
                p.replace(aside.with_name(aside.name + suffix))
        log.warning("%s is unreadable (%s); moved aside to %s and started afresh", path, exc, aside.name)
        _init(path, schema, wal, migrate)


def _init(path: Path, schema: str, wal: bool, migrate: Callable[[sqlite3.Connection], None] | None) -> None:
    with connect(path) as c:
        (ok,) = c.execute("PRAGMA quick_check").fetchone()
        if ok != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {ok}")
        if wal:
            c.execute("PRAGMA journal_mode=WAL")
        c.executescript(schema)
        if migrate is not None:
            migrate(c)
        st = path.stat()
    with _READY_LOCK:
        _READY.add((st.st_dev, st.st_ino, schema))
