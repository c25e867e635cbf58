"""A run's memory does not grow with its documents: each document's rows go to the store as it is
extracted (then its model records), the run keeps counts, and the workbook is written from the store."""

from __future__ import annotations

import datetime as dt
import gc
import sqlite3
import weakref
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from core.errors import StoreError
from core.manifest import Manifest
from core.records import Document, DocumentExtraction, PatentRecord, PatentType, Summary
from core.store import RunExtractions, RunLLM, Store
from extractors.document import extract_text_pages
from report import RunReport
from run.outcome import fold, fold_llm, publish, stream_to_store
from run.stages import Stage
from tests.conftest import PDF, make_settings


def rows(ws: Any) -> list[dict[str, object]]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def doc(n: int) -> Document:
    return Document(key=f"cninfo:{n}", sec_code=f"{n:06d}", sec_name=f"公司{n}", title="招股说明书",
                    published=dt.date(2025, 1, n), url=f"http://x/{n}.pdf", path=f"/x/{n}.pdf",
                    sha256=f"{n:064d}", size=1)  # fmt: skip


def extraction(n: int, patents: int = 2) -> DocumentExtraction:
    ex = extract_text_pages(f"cninfo:{n}", ["第一页", "第二页"])
    made = tuple(
        PatentRecord(
            doc_key=ex.doc_key,
            page=1,
            name=f"专利{n}-{p}",
            number=f"ZL20{n:02d}1{p:07d}.8",
            patent_type=PatentType.INVENTION,
        )
        for p in range(patents)
    )
    return ex.model_copy(update={"patents": made})


def report_of(path: Path, run: str, docs: list[Document]) -> RunReport:
    rep = RunReport(flow="adhoc", parameters={}, started=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), documents=docs)
    rep.extractions = RunExtractions(path, run, [d.key for d in docs])
    return rep


def test_a_runs_workbook_rows_are_the_stores_rows_for_that_run_and_no_other(tmp_path: Path) -> None:
    """Two runs share the store (and one document); a run's workbook has its own documents' rows, read
    back from the store in the run's document order, and no row of the other run's documents."""
    s = make_settings(tmp_path)
    store = Store(s.store_path)
    store.put_document("run A", doc(1), extraction(1, 3))
    store.put_document("run A", doc(2), extraction(2, 1))
    store.put_document("run B", doc(3), extraction(3, 2))
    store.put_document("run B", doc(2), extraction(2, 1))  # a document both runs read
    rep = report_of(s.store_path, "run B", [doc(2), doc(3)])
    assert list(rep.extractions) == ["cninfo:2", "cninfo:3"] and len(rep.extractions) == 2
    out = publish(rep, s, "adhoc", 2, "run B")
    wb = load_workbook(out.path)
    stored = [p for _, ex in store.run_records("run B", "extraction", ["cninfo:2", "cninfo:3"]) for p in ex.patents]
    assert [r["专利号"] for r in rows(wb["Patents"])] == [p.number for p in stored]
    assert [r["key"] for r in rows(wb["Documents"])] == ["cninfo:2", "cninfo:3"]
    assert {r["专利数(提取)"] for r in rows(wb["Documents"])} == {1, 2}
    # what is new: the document run A had stored first is not
    assert {r["key"]: r["新增"] for r in rows(wb["Documents"])} == {"cninfo:2": None, "cninfo:3": "新"}


def _files(tmp_path: Path, names: list[str]) -> list[Path]:
    src = (PDF / "prospectus" / "301563_ickey_prospectus_keypages_annotated.pdf").read_bytes()
    (tmp_path / "in").mkdir(exist_ok=True)
    out = []
    for n, name in enumerate(names):
        f = tmp_path / "in" / f"{name}.pdf"
        f.write_bytes(src + f"\n% copy {n}\n".encode())
        out.append(f)
    return out


def _patents_of(path: Path, key: str, **kwargs: object) -> DocumentExtraction:
    return extraction(1, 2).model_copy(update={"doc_key": key})


def test_a_document_whose_store_write_fails_is_recorded_and_the_others_reach_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from run.document import DocumentContext, process_local

    real = Store.put_document

    def flaky(self: Store, run: str, document: Document | None = None, *args: Any, **kwargs: Any) -> int:
        if document is not None and "bad" in document.key:
            raise StoreError(f"{self.path}: OperationalError: database or disk is full")
        return real(self, run, document, *args, **kwargs)

    monkeypatch.setattr(Store, "put_document", flaky)
    s = make_settings(tmp_path)
    ctx = DocumentContext(s, [], False, "run-s", _patents_of, defer_llm=True, store_run="run S")
    runs = [process_local(f, ctx) for f in _files(tmp_path, ["good", "bad", "fine"])]
    assert [r.failed for r in runs] == [False, True, False] and all(r.extraction is None for r in runs)
    assert [(f.key, f.stage, f.error_type) for f in runs[1].failures] == [("file:bad.pdf", Stage.STORE, "StoreError")]
    rep = RunReport(flow="extract", parameters={}, started=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    stream_to_store(rep, s, "run S", [r.key for r in runs])
    fold_llm(rep, fold(rep, [(None, r) for r in runs], Manifest(s.manifest_path)), s, False, "run-s")
    out = publish(rep, s, "extract", 3, "run S")
    wb = load_workbook(out.path)
    assert out.status == "partial" and "2 of 3 documents extracted" in out.message
    assert [r["key"] for r in rows(wb["Patents"])] == ["file:good.pdf"] * 2 + ["file:fine.pdf"] * 2
    info = {r["key"]: r["值"] for r in rows(wb["Run info"])}
    assert "database or disk is full" in str(info["failure: store"])


def test_a_documents_extraction_is_not_kept_once_its_rows_and_model_records_are_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trap: a run that keeps each document's result (the task's return value, the model queue's
    answers) holds every document's rows until the workbook, and grows with the run."""
    import run.document
    from run.document import DocumentContext, process_local
    from run.enrich import Enrichment, drain_queue

    made: list[weakref.ref[DocumentExtraction]] = []

    def extract(path: Path, key: str, **kwargs: object) -> DocumentExtraction:
        ex = _patents_of(path, key)
        made.append(weakref.ref(ex))
        return ex

    def model(doc_key: str, ex: DocumentExtraction, ctx: object) -> tuple[DocumentExtraction, Enrichment]:
        refined = ex.model_copy(update={"warnings": ("模型已读",)})
        made.append(weakref.ref(refined))
        summary = Summary(doc_key=doc_key, kind="document", pages=(1,), summary="摘要", backend="x", model="y")
        return refined, Enrichment(results={"summary": [summary]})

    monkeypatch.setattr(run.document, "ask_model", model)
    s = make_settings(tmp_path)
    ctx = DocumentContext(s, [], False, "run-w", extract, queue_llm=True, store_run="run W")
    out = process_local(_files(tmp_path, ["good"])[0], ctx)
    drained = drain_queue("run-w")
    gc.collect()
    assert len(made) == 2 and [r() for r in made] == [None, None]  # neither the raw nor the refined one
    assert out.stored and out.patents == 2 and out.extraction is None
    assert drained["file:good.pdf"][0] is None and drained["file:good.pdf"][1].results == {}
    stored = RunExtractions(s.store_path, "run W")
    assert stored["file:good.pdf"].warnings == ("模型已读",)  # the model's refined extraction replaced the first
    assert [r.summary for r in RunLLM(s.store_path, "run W", ["summary"])["summary"]] == ["摘要"]


def test_a_streamed_sheet_past_excels_row_limit_is_split_and_the_csv_and_parquet_stay_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split while the rows stream: exactly two sheets' worth of rows makes two sheets, not a third
    empty one, and every row is in the CSV and the parquet file once."""
    from report import excel

    s = make_settings(tmp_path)
    Store(s.store_path).put_document("run X", doc(1), extraction(1, 6))
    rep = report_of(s.store_path, "run X", [doc(1)])
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    path = excel.write_workbook(rep, tmp_path / "out")
    wb = load_workbook(path)
    assert [n for n in wb.sheetnames if n.startswith("Patents")] == ["Patents", "Patents_2"]
    numbers = [r["专利号"] for name in ("Patents", "Patents_2") for r in rows(wb[name])]
    assert numbers == [f"ZL20011{p:07d}.8" for p in range(6)]
    assert wb["Patents_2"].auto_filter.ref.endswith("4")  # the filter covers the rows it has
    warnings = [r["值"] for r in rows(wb["Run info"]) if r["key"] == "warning"]
    assert any("Patents 共 6 行" in str(w) for w in warnings)
    assert len(pd.read_csv(path.with_name(path.stem + "_csv") / "Patents.csv")) == 6
    assert len(pd.read_parquet(path.with_name(path.stem + "_parquet") / "Patents.parquet")) == 6


def test_a_store_from_before_runs_were_kept_gets_its_run_table_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as c:  # the schema of a store written before this change
        c.executescript(
            "CREATE TABLE items (kind TEXT NOT NULL, key TEXT NOT NULL, version TEXT NOT NULL, type TEXT NOT NULL,"
            " body TEXT NOT NULL, first_run TEXT NOT NULL, first_at TEXT NOT NULL, last_at TEXT NOT NULL,"
            " PRIMARY KEY (kind, key, version)); PRAGMA user_version = 1;"
        )
        at = "2025-01-01T00:00:00+00:00"
        c.execute("INSERT INTO items VALUES ('document', 'cninfo:1', ?, 'document', ?, 'run 0', ?, ?)",
                  (doc(1).sha256, doc(1).model_dump_json(), at, at))  # fmt: skip
    store = Store(path)
    assert store.run_keys("run 0", "document") == []  # (what a run stored before is not known by run)
    store.put_document("run 1", doc(1), extraction(1))
    assert store.run_keys("run 1", "extraction") == ["cninfo:1"]
    assert store.first_stored_by("run 1", "document") == set()  # run 0 had it first
    assert [d.key for d in store.load().documents] == ["cninfo:1"]


def test_the_model_queue_runs_each_job_in_the_context_of_the_document_that_queued_it() -> None:
    """The trap: Prefect keeps the run's API in context variables; a queue thread without them logged
    through a Prefect that had no API, which started temporary servers of its own that outlived the
    run (and held a benchmark's output pipe open after the flows had ended)."""
    import contextvars

    from run.enrich import Enrichment, ModelQueue

    api: contextvars.ContextVar[str] = contextvars.ContextVar("api", default="none")
    queue = ModelQueue(2)
    for n in range(3):
        api.set(f"http://127.0.0.1:{n}/api")  # each document's task: its own context
        queue.submit(f"doc {n}", lambda: (None, Enrichment(results={"api": [api.get()]})))
    got = {k: v[1].results["api"] for k, v in queue.drain().items() if not isinstance(v, BaseException)}
    assert got == {f"doc {n}": [f"http://127.0.0.1:{n}/api"] for n in range(3)}


def test_a_store_that_cannot_be_read_back_still_gives_the_run_its_workbook_with_the_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's rows are in the store; when it cannot be read at the end, the workbook is still
    written (documents, failures, Run info) and the run is not Completed."""
    s = make_settings(tmp_path)
    Store(s.store_path).put_document("run R", doc(1), extraction(1))

    def locked(*args: object, **kwargs: object) -> list[str]:
        raise StoreError(f"{s.store_path}: OperationalError: database is locked")

    monkeypatch.setattr(Store, "run_keys", locked)
    rep = report_of(s.store_path, "run R", [doc(1)])
    rep.llm = RunLLM(s.store_path, "run R", ["summary"], ["cninfo:1"])
    out = publish(rep, s, "adhoc", 1, "run R")
    assert out.path is not None and out.status == "failed"
    wb = load_workbook(out.path)
    assert [r["key"] for r in rows(wb["Documents"])] == ["cninfo:1"] and rows(wb["Patents"]) == []


def test_flows_extract_streams_each_files_rows_to_the_store_named_and_dated_from_its_cover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trap: ``flows extract`` on a folder kept every file's extraction in memory until the workbook,
    and the store got the file's modification date and no name."""
    import flows.local
    import run.document

    kept: list[object] = []
    real = run.document.process_local

    def watched(path: Path, ctx: Any) -> Any:
        out = real(path, ctx)
        kept.append(out)
        return out

    def covered(path: Path, key: str, **kwargs: object) -> DocumentExtraction:
        ex = _patents_of(path, key)
        return ex.model_copy(update={"issuer_name": "华瑞电器股份有限公司", "document_date": dt.date(2017, 3, 1)})

    monkeypatch.setattr(flows.local, "process_local", watched)
    monkeypatch.setattr(flows.local, "_extract_in_pool", covered)
    s = make_settings(tmp_path)
    outcome = flows.local.extract_files(_files(tmp_path, ["a", "b"]), tmp_path / "out", [], s)
    assert outcome.status == "completed" and outcome.path is not None
    assert [(o.stored, o.extraction) for o in kept] == [(True, None), (True, None)]  # type: ignore[attr-defined]
    docs = rows(load_workbook(outcome.path)["Documents"])
    assert {(d["代码"], d["简称"], str(d["日期"])[:10]) for d in docs} == {("300626", "华瑞股份", "2017-03-01")}
    assert len(rows(load_workbook(outcome.path)["Patents"])) == 4
    stored = sqlite3.connect(s.store_path).execute("select count(*) from run_items").fetchone()[0]
    assert stored >= 2
