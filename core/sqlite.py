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

from core.errors import StoreError, StoreSchemaError

log = logging.getLogger(__name__)

# Files this process has already made ready (checked, schema created, migrated), by (device, inode,
# schema): ``quick_check`` reads the whole file, and a run opens its manifest once per document, so
# opening a ready file again is one ``stat``. A file replaced since (moved aside, deleted and made
# again) has another inode and is made ready again.
_READY: set[tuple[int, int, str]] = set()
_READY_LOCK = threading.Lock()


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA synchronous=NORMAL")
        with conn:
            yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A committed-on-exit connection; every ``sqlite3.Error`` (a locked, read-only or full disk, a
    file damaged since it was opened) leaves as a :class:`StoreError` naming the file and the cause."""
    try:
        with _connect(path) as conn:
            yield conn
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: {type(exc).__name__}: {exc}") from exc


def file_version(path: Path) -> int | None:
    """The schema version (``PRAGMA user_version``) of an existing SQLite file, read only; None when
    there is no file or it cannot be read as one (it is moved aside when opened)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(version)


def check_version(path: Path, version: int) -> None:
    """Refuse a file written by a newer version of this project (its ``user_version`` is higher):
    raises :class:`StoreSchemaError` with one line naming the file and both versions."""
    found = file_version(path)
    if found is not None and found > version:
        raise StoreSchemaError(
            f"{path} has schema version {found}, newer than this version's {version}: "
            "upgrade prospectus-pipeline or point PP_DATA_DIR at another folder"
        )


def open_store(
    path: Path,
    schema: str,
    *,
    wal: bool = False,
    migrate: Callable[[sqlite3.Connection], None] | None = None,
    version: int = 0,
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
    with _INIT_LOCK:  # two threads opening a new file at once would both migrate it ('duplicate column')
        _open_locked(path, schema, wal, migrate, version)


#: one file made ready at a time in this process (the check, the schema, the migration)
_INIT_LOCK = threading.Lock()


def _open_locked(
    path: Path, schema: str, wal: bool, migrate: Callable[[sqlite3.Connection], None] | None, version: int
) -> None:
    try:
        _init(path, schema, wal, migrate, version)
    except StoreError as error:
        exc = error.__cause__
        # locked, read-only, disk full (OperationalError), a newer schema: the file is not damaged
        if not isinstance(exc, sqlite3.DatabaseError) or isinstance(exc, sqlite3.OperationalError):
            raise
        aside = path.with_name(f"{path.name}.corrupt-{dt.datetime.now():%Y%m%d%H%M%S}")
        for suffix in ("", "-wal", "-shm"):
            p = path.with_name(path.name + suffix)
            if p.exists():
                p.replace(aside.with_name(aside.name + suffix))
        log.warning("%s is unreadable (%s); moved aside to %s and started afresh", path, exc, aside.name)
        _init(path, schema, wal, migrate, version)


def _init(
    path: Path, schema: str, wal: bool, migrate: Callable[[sqlite3.Connection], None] | None, version: int = 0
) -> None:
    with connect(path) as c:
        (ok,) = c.execute("PRAGMA quick_check").fetchone()
        if ok != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {ok}")
        (found,) = c.execute("PRAGMA user_version").fetchone()
        if found > version:  # a newer version's file: never written with an older schema, never moved aside
            raise StoreSchemaError(
                f"{path} has schema version {found}, newer than this version's {version}: "
                "upgrade prospectus-pipeline or point PP_DATA_DIR at another folder"
            )
        if wal:
            c.execute("PRAGMA journal_mode=WAL")
        c.executescript(schema)
        if migrate is not None:
            migrate(c)
        if version > found:
            c.execute(f"PRAGMA user_version = {int(version)}")
        st = path.stat()
    with _READY_LOCK:
        _READY.add((st.st_dev, st.st_ino, schema))
