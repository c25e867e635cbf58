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
from collections.abc import ItemsView, Iterable, Iterator, Mapping, MutableMapping, Sequence, ValuesView
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from core.errors import StoreError
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
-- which rows each run stored (a row stored before keeps its first run; this says a later run had it too)
CREATE TABLE IF NOT EXISTS run_items (
    run TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (run, kind, key, version)
);
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


_SHARED: dict[str, Store] = {}
_SHARED_LOCK = threading.Lock()


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        open_store(self.path, _SCHEMA, wal=True, version=SCHEMA_VERSION)
        self._migrate_type_names()

    @classmethod
    def shared(cls, path: Path) -> Store:
        """This process's one Store of ``path`` (opened, and its rows' types checked, once): a run
        writes each of its documents through it."""
        key = str(Path(path).resolve())
        with _SHARED_LOCK:
            if key not in _SHARED or not Path(key).exists():
                _SHARED[key] = cls(path)
            return _SHARED[key]

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
        sha_of = sha_of or {d.key: d.sha256 for d in documents}
        rows: list[tuple[str, str, str, BaseModel]] = []
        rows += [("announcement", a.key, "", a) for a in announcements]
        rows += [("document", d.key, d.sha256, d) for d in documents]
        rows += [("extraction", e.doc_key, sha_of.get(e.doc_key, ""), e) for e in extractions]
        for task, records in (llm or {}).items():
            rows += [(f"llm:{task}", llm_identity(r), "", r) for r in records]
        return self._put(run, rows)

    def _put(self, run: str, rows: Sequence[tuple[str, str, str, BaseModel]]) -> int:
        now = _now()
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
                c.execute("INSERT OR IGNORE INTO run_items (run, kind, key, version) VALUES (?, ?, ?, ?)",
                          (run, kind, key, version))  # fmt: skip
        return new

    def put_document(
        self, run: str, document: Document | None = None, extraction: DocumentExtraction | None = None,
        llm: Mapping[str, Sequence[BaseModel]] | None = None,
    ) -> int:  # fmt: skip
        """One document's records of a run, as soon as they are known (the flow streams each document's
        rows here and keeps none of them): its file, its extraction (stored under the document's
        version), and its model records. Returns how many were new."""
        sha = document.sha256 if document is not None else ""
        if document is None and extraction is not None:  # a later version of a document the run stored
            sha = self._version_of(run, extraction.doc_key)
        rows: list[tuple[str, str, str, BaseModel]] = []
        if document is not None:
            rows.append(("document", document.key, document.sha256, document))
        if extraction is not None:
            rows.append(("extraction", extraction.doc_key, sha, extraction))
        for task, records in (llm or {}).items():
            rows += [(f"llm:{task}", llm_identity(r), "", r) for r in records]
        return self._put(run, rows)

    def _version_of(self, run: str, doc_key: str) -> str:
        """The version of a document that ``run`` stored ('' when it stored none)."""
        with self._conn() as c:
            row = c.execute(
                "SELECT version FROM run_items WHERE run = ? AND kind = 'document' AND key = ?", (run, doc_key)
            ).fetchone()
        return str(row[0]) if row else ""

    def run_keys(self, run: str, kind: str) -> list[str]:
        """The keys of ``kind`` that ``run`` stored, in the order it stored them."""
        with self._conn() as c:
            rows = c.execute("SELECT key FROM run_items WHERE run = ? AND kind = ? ORDER BY rowid", (run, kind))
            return [k for (k,) in rows]

    def first_stored_by(self, run: str, kind: str) -> set[tuple[str, str]]:
        """The (key, version) pairs of ``kind`` that ``run`` stored first (no run before it had them)."""
        with self._conn() as c:
            rows = c.execute(
                "SELECT r.key, r.version FROM run_items r JOIN items i USING (kind, key, version) "
                "WHERE r.run = ? AND r.kind = ? AND i.first_run = ?",
                (run, kind, run),
            ).fetchall()
        return {(k, v) for k, v in rows}

    def run_records(
        self, run: str, kind: str, keys: Sequence[str] | None = None, chunk: int = 64
    ) -> Iterator[tuple[str, Any]]:
        """(key, record) of what ``run`` stored of ``kind`` (those of ``keys`` only, in their order),
        read ``chunk`` rows at a time: a run's rows are never all in memory at once."""
        order = list(keys) if keys is not None else self.run_keys(run, kind)
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            marks = ",".join("?" * len(part))
            with self._conn() as c:
                rows = c.execute(
                    "SELECT i.key, i.type, i.body FROM run_items r JOIN items i USING (kind, key, version) "
                    f"WHERE r.run = ? AND r.kind = ? AND r.key IN ({marks})",
                    (run, kind, *part),
                ).fetchall()
            found = {k: (t, b) for k, t, b in rows}
            for key in part:
                if key in found:
                    type_name, body = found[key]
                    yield key, _load_type(type_name).model_validate_json(body)

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


class RunExtractions(MutableMapping[str, DocumentExtraction]):
    """A run's extractions as the run stored them, read back from the store when asked: the flow and
    the workbook writer hold one document's extraction at a time (the last one read is kept, since a
    sheet asks for the same document several times per row), never the run's. Iterated in the run's
    document order (``order``: the documents' keys); iterating the values or items reads them a chunk
    of rows at a time. Setting one stores it under the run (the batch path's refined extractions)."""

    def __init__(self, path: Path, run: str, order: Sequence[str] = ()) -> None:
        self.path, self.run, self.order = Path(path), run, list(order)
        self._store: Store | None = None
        self._keys: list[str] | None = None
        self._key_set: set[str] = set()
        self._last: tuple[str, DocumentExtraction] | None = None

    def __reduce__(self) -> tuple[Any, ...]:  # to the parquet writer's process: the path, not the rows
        return (type(self), (self.path, self.run, self.order))

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.shared(self.path)
        return self._store

    def keys_in_order(self) -> list[str]:
        """The documents the run stored an extraction of; a store that cannot be read has none (each
        document whose rows could not be written there failed with its own ``store`` failure)."""
        if self._keys is None:
            try:
                stored = self.store.run_keys(self.run, "extraction")
            except StoreError as exc:
                log.error("store %s cannot be read: %s; the run's rows are not in its outputs", self.path, exc)
                stored = []
            rank, pos = {k: n for n, k in enumerate(self.order)}, {k: n for n, k in enumerate(stored)}
            self._keys = sorted(pos, key=lambda k: (rank.get(k, len(rank)), pos[k]))
            self._key_set = set(self._keys)
        return self._keys

    def __getitem__(self, key: str) -> DocumentExtraction:
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        if key not in self:
            raise KeyError(key)
        for _, rec in self.store.run_records(self.run, "extraction", [key]):
            self._last = (key, rec)
            return rec
        raise KeyError(key)

    def __setitem__(self, key: str, extraction: DocumentExtraction) -> None:
        self.store.put_document(self.run, extraction=extraction.model_copy(update={"doc_key": key}))
        self._keys, self._last = None, None

    def __delitem__(self, key: str) -> None:
        raise TypeError("a run's stored extraction is not removed")

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys_in_order())

    def __len__(self) -> int:
        return len(self.keys_in_order())

    def __contains__(self, key: object) -> bool:
        self.keys_in_order()
        return key in self._key_set

    def stream(self) -> Iterator[tuple[str, DocumentExtraction]]:
        yield from self.store.run_records(self.run, "extraction", self.keys_in_order())

    def items(self) -> ItemsView[str, DocumentExtraction]:
        return _StreamedItems(self)

    def values(self) -> ValuesView[DocumentExtraction]:
        return _StreamedValues(self)


class _StreamedItems(ItemsView[str, DocumentExtraction]):
    _mapping: RunExtractions

    def __iter__(self) -> Iterator[tuple[str, DocumentExtraction]]:
        return self._mapping.stream()


class _StreamedValues(ValuesView[DocumentExtraction]):
    _mapping: RunExtractions

    def __iter__(self) -> Iterator[DocumentExtraction]:
        return (ex for _, ex in self._mapping.stream())


class RunLLM(Mapping[str, list[Any]]):
    """A run's model records by task, read back from the store one task at a time (the last task read
    is kept): in the order of the run's documents (``order``), then as stored."""

    def __init__(self, path: Path, run: str, tasks: Sequence[str], order: Sequence[str] = ()) -> None:
        self.path, self.run, self.tasks, self.order = Path(path), run, list(tasks), list(order)
        self._last: tuple[str, list[Any]] | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.run, self.tasks, self.order))

    def __getitem__(self, task: str) -> list[Any]:
        if task not in self.tasks:
            raise KeyError(task)
        if self._last is None or self._last[0] != task:
            rank = {k: n for n, k in enumerate(self.order)}
            try:
                records = [r for _, r in Store.shared(self.path).run_records(self.run, f"llm:{task}")]
            except StoreError as exc:  # said once per task; the workbook is still written
                log.error("store %s: the run's %s records cannot be read: %s", self.path, task, exc)
                records = []
            records.sort(key=lambda r: rank.get(str(getattr(r, "doc_key", None) or getattr(r, "key", "")), len(rank)))
            self._last = (task, records)
        return self._last[1]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)
