"""The cumulative store: runs add, versions are kept, exports read back typed records and mark what is new."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.records import Announcement, Document, DocumentExtraction, Summary
from core.store import Store


def ann(n: int) -> Announcement:
    return Announcement(
        source="cninfo",
        announcement_id=str(n),
        sec_code="001282",
        sec_name="三联锻造",
        title=f"公告{n}",
        published=dt.date(2023, 5, n),
        pdf_url=f"http://static.cninfo.com.cn/finalpage/2023-05-{n:02d}/{n}.PDF",
    )


def doc(a: Announcement, sha: str) -> Document:
    return Document(
        key=a.key,
        sec_code=a.sec_code,
        sec_name=a.sec_name,
        title=a.title,
        published=a.published,
        url=a.pdf_url or "",
        path="/x.pdf",
        sha256=sha * 64,
        size=10,
    )


def extraction(key: str, pages: int) -> DocumentExtraction:
    return DocumentExtraction(
        doc_key=key,
        pages=pages,
        patent_pages=(),
        competitor_pages=(),
        sections=(),
        tables=(),
        patents=(),
        competitors=(),
    )


def summary(key: str, text: str) -> Summary:
    return Summary(doc_key=key, kind="document", pages=(1,), summary=text, key_points=(), backend="offline", model="m")


def test_runs_accumulate_versions_stay_and_llm_answers_are_replaced(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    a1, a2 = ann(1), ann(2)
    assert (
        store.add(
            "run 1",
            announcements=[a1],
            documents=[doc(a1, "a")],
            extractions=[extraction(a1.key, 10)],
            llm={"summary": [summary(a1.key, "旧")]},
        )
        == 4
    )
    time.sleep(0.01)
    cut = dt.datetime.now(dt.UTC)
    # run 2: the same announcement again, a new version of its PDF, a new announcement, a new answer
    assert (
        store.add(
            "run 2",
            announcements=[a1, a2],
            documents=[doc(a1, "b"), doc(a2, "c")],
            extractions=[extraction(a1.key, 12), extraction(a2.key, 5)],
            llm={"summary": [summary(a1.key, "新")]},
        )
        == 5
    )
    everything = store.load()
    assert [a.key for a in everything.announcements] == [a2.key, a1.key]  # newest first
    assert {d.key: d.sha256[0] for d in everything.documents} == {a1.key: "b", a2.key: "c"}  # latest version
    assert everything.extractions[a1.key].pages == 12  # the latest version's extraction
    assert [s.summary for s in everything.llm["summary"]] == ["新"]  # one answer per subject, the latest
    assert [v[0][0] for v in store.versions(a1.key)] == ["a", "b"]  # both versions kept
    since = store.load(cut)
    assert [a.key for a in since.announcements] == [a2.key] and {d.key for d in since.documents} == {a1.key, a2.key}
    assert store.known("document", [(a1.key, "a" * 64), (a1.key, "z" * 64)]) == {(a1.key, "a" * 64)}


@pytest.mark.slow
def test_export_cli_marks_what_is_new_since_the_previous_export(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flows.cli import main

    monkeypatch.setenv("PP_DATA_DIR", str(tmp_path / "data"))
    store = Store(tmp_path / "data" / "store.sqlite")
    store.add("run 1", announcements=[ann(1)], documents=[doc(ann(1), "a")])
    assert main(["export", "--out", str(tmp_path / "x"), "--format", "xlsx,csv"]) == 0
    (first,) = (tmp_path / "x").glob("*.xlsx")
    assert (tmp_path / "x" / (first.stem + "_csv")).is_dir() and not (
        tmp_path / "x" / (first.stem + "_parquet")
    ).exists()
    store.add("run 2", announcements=[ann(2)])
    assert main(["export", "--out", str(tmp_path / "y")]) == 0
    (second,) = (tmp_path / "y").glob("*.xlsx")
    values = list(load_workbook(second)["Announcements"].iter_rows(values_only=True))
    new = {r[values[0].index("key")]: r[values[0].index("新增")] for r in values[1:]}
    assert new == {"cninfo:1": None, "cninfo:2": "新"}
    assert main(["export", "--out", str(tmp_path / "z"), "--since-last-export"]) == 0
    (third,) = (tmp_path / "z").glob("*.xlsx")
    assert len(list(load_workbook(third)["Announcements"].iter_rows())) == 1  # the header only


def _count_quick_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Statements that read a whole file to check it, as SQLite receives them."""
    import contextlib

    from core import sqlite as core_sqlite

    seen: list[str] = []
    real = core_sqlite.connect

    @contextlib.contextmanager
    def traced(path: Path) -> Iterator[sqlite3.Connection]:
        with real(path) as conn:
            conn.set_trace_callback(lambda sql: seen.append(sql) if "quick_check" in sql else None)
            yield conn

    monkeypatch.setattr(core_sqlite, "connect", traced)
    return seen


def test_a_manifest_opened_for_every_document_is_read_through_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.manifest import Manifest

    checks = _count_quick_checks(monkeypatch)
    for _ in range(5):  # a run opens its manifest once per document task
        Manifest(tmp_path / "manifest.sqlite").documents()
    assert len(checks) == 1


def test_a_manifest_opened_again_by_the_same_process_costs_no_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each document's task opens the run's manifest: after the first open (checked, schema created,
    migrated) an open is one ``stat``, and the file's own queries are its only connections."""
    from core import manifest as core_manifest
    from core import sqlite as core_sqlite
    from core.manifest import Manifest

    path = tmp_path / "manifest.sqlite"
    Manifest(path)
    opened: list[Path] = []
    real = core_sqlite.connect
    for module in (core_sqlite, core_manifest):
        monkeypatch.setattr(module, "connect", lambda p: opened.append(p) or real(p))
    for _ in range(5):
        Manifest(path)
    assert opened == []
    Manifest(path).documents()
    assert opened == [path]


def test_a_store_deleted_and_made_again_under_a_run_gets_its_schema_again(tmp_path: Path) -> None:
    """The trap: a deleted file's inode is often given straight to the next file made, so the same
    (device, inode) can name a file without the schema; an empty file there is made ready again, and a
    file moved in from elsewhere has another inode."""
    from core.manifest import Manifest

    path = tmp_path / "manifest.sqlite"
    Manifest(path).documents()
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.touch()  # what a plain sqlite3.connect leaves until its first write
    assert Manifest(path).documents() == []
    path.unlink()
    assert Manifest(path).documents() == []  # no file: made again


def test_a_file_replaced_by_one_damaged_past_its_header_after_a_check_is_still_moved_aside(tmp_path: Path) -> None:
    """The trap: the file's first page (the schema) reads fine, so only the integrity check finds the
    damage, and the check must not be skipped because another file at this path passed it."""
    from core.manifest import Manifest

    path = tmp_path / "manifest.sqlite"
    Manifest(path).documents()  # checked, and remembered as checked
    damaged = tmp_path / "other.sqlite"
    with sqlite3.connect(damaged) as conn:
        conn.execute("CREATE TABLE pad (x BLOB)")
        conn.executemany("INSERT INTO pad VALUES (?)", [(bytes(500),)] * 200)
    conn.close()
    with damaged.open("r+b") as f:
        f.seek(3 * 4096)
        f.write(b"\xff" * 8192)  # pages of the table, not the schema's first page
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    damaged.replace(path)  # another file (inode) at the same path
    assert Manifest(path).documents() == []
    assert len(list(tmp_path.glob("manifest.sqlite.corrupt-*"))) == 1


def test_the_manifest_tells_which_of_more_keys_than_sqlite_binds_at_once_are_not_downloaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's question before it starts its workers. SQLite builds bind at most 999 values per
    statement (before 3.32; 32,766 after; this one allows more), so the keys are asked in parts."""
    from core import sqlite as store_sqlite
    from core.manifest import Manifest

    connect = sqlite3.connect

    def strict(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
        return conn

    monkeypatch.setattr(store_sqlite.sqlite3, "connect", strict)
    manifest = Manifest(tmp_path / "manifest.sqlite")
    manifest.put_document(doc(ann(3), "a"))
    manifest.put_document(doc(ann(7), "b"))
    keys = [ann(n).key for n in range(1, 10)] + [f"cninfo:x{i}" for i in range(3000)]
    assert manifest.unknown(keys) == [k for k in keys if k not in {ann(3).key, ann(7).key}]
    assert manifest.unknown([ann(3).key]) == [] and manifest.unknown([]) == []


def test_a_record_class_renamed_is_read_back_by_its_stable_type_name(tmp_path: Path) -> None:
    """The trap: rows named by ``module:Class`` were skipped once the class moved or was renamed."""
    import gc
    from typing import ClassVar

    from core.records import Record

    class Note(Record):
        type_name: ClassVar[str] = "test-note"
        doc_key: str
        text: str

    store = Store(tmp_path / "store.sqlite")
    store.add("run 1", llm={"note": [Note(doc_key="k", text="旧类")]})
    del Note
    gc.collect()

    class RenamedNote(Record):  # the same record, under another name
        type_name: ClassVar[str] = "test-note"
        doc_key: str
        text: str

    (got,) = Store(tmp_path / "store.sqlite").load().llm["note"]
    assert isinstance(got, RenamedNote) and got.text == "旧类"


def test_rows_stored_by_module_path_are_migrated_to_type_names_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    Store(path).add("run 1", announcements=[ann(1)], llm={"summary": [summary(ann(1).key, "旧行")]})
    with sqlite3.connect(path) as c:  # as a store written before type names holds them
        c.execute("UPDATE items SET type = 'core.records:Announcement' WHERE kind = 'announcement'")
        c.execute("UPDATE items SET type = 'core.records:Summary' WHERE kind = 'llm:summary'")
    stored = Store(path).load()
    assert [a.key for a in stored.announcements] == [ann(1).key] and stored.llm["summary"][0].summary == "旧行"
    with sqlite3.connect(path) as c:
        assert sorted(t for (t,) in c.execute("SELECT type FROM items")) == ["announcement", "summary"]
