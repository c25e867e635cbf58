"""The cumulative store: every run adds what it found, and an export reads it all back.

The data, not a cache (``llm_cache.sqlite`` and the manifest are caches): announcements, documents
(every version, by sha256), extractions (per document version), LLM outputs (per task), each with the
run and the time it was first seen. ``python -m flows export`` merges them into one workbook; a
daily run's workbook marks what is new compared with everything stored before it.

Records go in as their pydantic JSON and come back as the same typed records. Plain sqlite3 here; the
flows build the report from what :meth:`Store.load` returns.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from core.records import Announcement, Document, DocumentExtraction, Record
from core.sqlite import connect, open_store

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    kind TEXT NOT NULL,          -- announcement, document, extraction, llm:<task>
    key TEXT NOT NULL,           -- the record's key (a document's key, an LLM record's identity)
    version TEXT NOT NULL,       -- sha256 for documents and extractions (every version kept), else ''
    type TEXT NOT NULL,          -- the record class's type_name (rows from before: module:Class)
    body TEXT NOT NULL,          -- the record as JSON
    first_run TEXT NOT NULL,
    first_at TEXT NOT NULL,      -- when it was first stored (UTC, ISO)
    last_at TEXT NOT NULL,
    PRIMARY KEY (kind, key, version)
);
CREATE INDEX IF NOT EXISTS items_first_at ON items(first_at);
CREATE TABLE IF NOT EXISTS exports (at TEXT NOT NULL, path TEXT NOT NULL);
"""


#: The store's schema version (``PRAGMA user_version``): a file with a higher one is refused.
SCHEMA_VERSION = 1


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _type_of(record: BaseModel) -> str:
    """The stable name the record's class declares (``Record.type_name``), never its module path."""
    name = getattr(type(record), "type_name", "")
    if not name:
        raise ValueError(f"{type(record).__qualname__} declares no type_name: the store cannot keep it")
    return str(name)


def _subclasses(cls: type[Record]) -> Iterator[type[Record]]:
    sub: type[Record]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def record_types() -> dict[str, type[BaseModel]]:
    """Every record class that declares a ``type_name``, by that name (a later class of the same name,
    a renamed one, wins)."""
    return {c.type_name: c for c in _subclasses(Record) if c.type_name}


#: The packages a stored record's type may come from: a row naming any other module is not imported.
_RECORD_PACKAGES = ("core.", "llm.", "extractors.", "report.", "scrapers.")


def _load_type(name: str) -> type[BaseModel]:
    """The class of a stored row: by its stable name, or (a row from before type names) by its
    ``module:Class``, imported only from this project's packages."""
    found = record_types().get(name)
    if found is not None:
        return found
    module, colon, qualname = name.partition(":")
    if not colon:
        raise LookupError(f"no record class declares the type name {name!r}")
    if not module.startswith(_RECORD_PACKAGES):
        raise ImportError(f"record type {name[:80]!r} is outside this project's packages")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
        raise TypeError(f"{name[:80]!r} is not a record type")
    return obj


def llm_identity(record: BaseModel) -> str:
    """What an LLM output is about: its document and subject (the fields that name it), so a later run's
    answer replaces the earlier one rather than piling up."""
    data = record.model_dump(mode="json")
    parts = [str(data[k]) for k in ("key", "doc_key", "kind", "name", "pages") if k in data]
    return "|".join(parts) or json.dumps(data, sort_keys=True, ensure_ascii=False)


@dataclass
class Stored:
    """What the store holds (or holds since a date), as typed records."""

    announcements: list[Announcement] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    extractions: dict[str, DocumentExtraction] = field(default_factory=dict)
    llm: dict[str, list[Any]] = field(default_factory=dict)
    #: (kind, key) → when it was first stored
    first_seen: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)
    #: rows that no longer validate (a record type renamed, a body edited by hand): skipped, with why
    skipped: list[str] = field(default_factory=list)


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        open_store(self.path, _SCHEMA, wal=True, version=SCHEMA_VERSION)
        self._migrate_type_names()

    def _migrate_type_names(self) -> None:
        """Rows written before type names (``module:Class``) get their class's stable name, while the
        class is still where the row says; a row whose class is gone stays as it is (and is read
        back by its path as long as that resolves)."""
        with self._conn() as c:
            old = [t for (t,) in c.execute("SELECT DISTINCT type FROM items WHERE type LIKE '%:%'")]
        renames: dict[str, str] = {}
        for name in old:
            try:
                cls = _load_type(name)
            except (ImportError, AttributeError, LookupError) as exc:
                log.warning("store: rows of %s keep their old type (%s)", name, exc)
                continue
            if getattr(cls, "type_name", ""):
                renames[name] = cls.type_name  # type: ignore[attr-defined]
        if renames:
            with self._lock, self._conn() as c:
                c.executemany("UPDATE items SET type = ? WHERE type = ?", [(new, o) for o, new in renames.items()])
            log.info("store: %d row types renamed to stable type names (%s)", len(renames), ", ".join(renames.values()))

    def known(self, kind: str, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (key, version) pairs of ``kind`` are stored already."""
        wanted = list(keys)
        with self._conn() as c:
            rows = c.execute("SELECT key, version FROM items WHERE kind = ?", (kind,)).fetchall()
        have = {(k, v) for k, v in rows}
        return {kv for kv in wanted if kv in have}

    def add(
        self,
        run: str,
        *,
        announcements: Sequence[Announcement] = (),
        documents: Sequence[Document] = (),
        extractions: Sequence[DocumentExtraction] = (),
        sha_of: dict[str, str] | None = None,
        llm: Mapping[str, Sequence[BaseModel]] | None = None,
    ) -> int:
        """Store a run's records (a record already there keeps its first run and time; its body is
        refreshed). Returns how many were new."""
        now = _now()
        sha_of = sha_of or {d.key: d.sha256 for d in documents}
        rows: list[tuple[str, str, str, BaseModel]] = []
        rows += [("announcement", a.key, "", a) for a in announcements]
        rows += [("document", d.key, d.sha256, d) for d in documents]
        rows += [("extraction", e.doc_key, sha_of.get(e.doc_key, ""), e) for e in extractions]
        for task, records in (llm or {}).items():
            rows += [(f"llm:{task}", llm_identity(r), "", r) for r in records]
        new = 0
        with self._lock, self._conn() as c:
            for kind, key, version, rec in rows:
                body = rec.model_dump_json()
                cur = c.execute(
                    "UPDATE items SET body = ?, type = ?, last_at = ? WHERE kind = ? AND key = ? AND version = ?",
                    (body, _type_of(rec), now, kind, key, version),
                )
                if cur.rowcount == 0:
                    c.execute(
                        "INSERT INTO items (kind, key, version, type, body, first_run, first_at, last_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (kind, key, version, _type_of(rec), body, run, now, now),
                    )
                    new += 1
        return new

    def load(self, since: dt.datetime | None = None) -> Stored:
        """Everything stored, or only what was first stored at or after ``since``; a document's
        latest version (and that version's extraction) stands for it."""
        out = Stored()
        query = "SELECT kind, key, version, type, body, first_at FROM items"
        args: tuple[str, ...] = ()
        if since is not None:
            query += " WHERE first_at >= ?"
            args = (since.astimezone(dt.UTC).isoformat(timespec="microseconds"),)
        with self._conn() as c:
            rows = c.execute(query + " ORDER BY first_at, rowid", args).fetchall()
        latest_doc: dict[str, str] = {}
        for kind, key, version, _, _, _ in rows:
            if kind == "document":
                latest_doc[key] = version  # ordered by first_at: the last one is the newest version
        for kind, key, version, type_name, body, first_at in rows:
            try:
                rec = _load_type(type_name).model_validate_json(body)
                first = dt.datetime.fromisoformat(first_at)
            except (ImportError, AttributeError, LookupError, ValueError, TypeError, RecursionError) as exc:
                why = f"store: {kind} {key} cannot be read back ({type(exc).__name__}: {str(exc)[:200]}); skipped"
                log.warning(why)
                out.skipped.append(why)
                continue
            out.first_seen[(kind, key)] = first
            if kind == "announcement":
                out.announcements.append(rec)  # type: ignore[arg-type]
            elif kind == "document" and latest_doc.get(key) == version:
                out.documents.append(rec)  # type: ignore[arg-type]
            elif kind == "extraction" and latest_doc.get(key, version) == version:
                out.extractions[key] = rec  # type: ignore[assignment]
            elif kind.startswith("llm:"):
                out.llm.setdefault(kind[4:], []).append(rec)
        out.announcements.sort(key=lambda a: (a.published, a.key), reverse=True)
        return out

    def versions(self, key: str) -> list[tuple[str, str]]:
        """(sha256, first stored) of every stored version of a document, oldest first."""
        with self._conn() as c:
            rows = c.execute(
                "SELECT version, first_at FROM items WHERE kind = 'document' AND key = ? ORDER BY first_at", (key,)
            ).fetchall()
        return [(v, a) for v, a in rows]

    def last_export(self) -> dt.datetime | None:
        with self._conn() as c:
            row = c.execute("SELECT max(at) FROM exports").fetchone()
        return dt.datetime.fromisoformat(row[0]) if row and row[0] else None

    def record_export(self, path: Path, at: dt.datetime) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT INTO exports (at, path) VALUES (?, ?)", (at.isoformat(timespec="microseconds"), str(path))
            )

    def _conn(self) -> Any:
        return connect(self.path)
