"""The run's rules without Prefect (``run/``): the plan, one document isolated, how the run ends, and
the outputs that survive what fails after the workbook."""

from __future__ import annotations

import datetime as dt
import inspect
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core.errors import ExchangeResponseError, RunCancelledError
from core.params import RunParams
from core.records import Announcement, Document, DocumentExtraction, Failure
from extractors.document import extract_text_pages
from report import RunReport
from run.outcome import judge, publish, write_outputs
from run.plan import plan
from run.stages import Stage
from scrapers.base import ScrapeResult
from tests.conftest import PDF, make_settings, replay_settings


def ann(n: int, size_kb: int = 100, pdf: bool = True, title: str = "年度报告") -> Announcement:
    return Announcement(
        source="cninfo",
        announcement_id=str(n),
        sec_code=f"{n:06d}",
        sec_name=f"公司{n}",
        title=title,
        published=dt.date(2025, 1, n),
        pdf_url=f"http://x/{n}.pdf" if pdf else None,
        size_kb=size_kb,
    )


def rows(ws: Any) -> list[dict[str, object]]:
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


# --- plan: pure decisions -----------------------------------------------------------------------------


def test_plan_reads_the_largest_first_under_the_cap_and_records_what_it_cannot_read() -> None:
    scraped = ScrapeResult(
        source="cninfo",
        announcements=[ann(1, 50), ann(2, 900), ann(3, 10), ann(4, pdf=False)],
        fetched_rows=4,
        reported_total=5,
        rejected=[("no code", "{}")],
    )
    p = plan(RunParams(max_documents=2), scraped, max_documents=10)
    assert [a.sec_code for a in p.wanted] == ["000001", "000002"]  # the parameters' cap wins
    assert [p.wanted[i].sec_code for i in p.order] == ["000002", "000001"]
    assert [(f.stage, f.key) for f in p.failures] == [(Stage.SCRAPE, "cninfo:row"), (Stage.DOWNLOAD, "cninfo:4")]
    assert p.warnings == ("3 documents found; only the newest 2 processed",)
    assert p.parameters == {"rows fetched / reported": "4 / 5"}


def test_a_failed_query_is_a_query_stage_failure_and_a_cancelled_run_reads_nothing() -> None:
    failed = plan(RunParams(codes=["001282"]), ExchangeResponseError("not JSON"))
    assert [(f.stage, f.key, f.error_type) for f in failed.failures] == [
        (Stage.QUERY, "cninfo:query", "ExchangeResponseError")
    ]
    assert not failed.wanted and not failed.warnings  # no "nothing matched" hint over a failed query
    stopped = plan(RunParams(), ScrapeResult(source="cninfo", announcements=[ann(1)]), cancelled="SIGTERM")
    assert not stopped.wanted and stopped.failures[0].error_type == RunCancelledError.__name__


def test_the_run_state_spots_a_failed_query_by_its_stage_not_by_its_key() -> None:
    """The trap: a key that merely ends in ':query' is not the query, and the query's failure is known
    by its stage whatever its key."""
    report = RunReport(flow="adhoc", parameters={}, started=dt.datetime(2025, 1, 1), announcements=[ann(1)])
    report.failures = [Failure(key="sse:query", stage=Stage.QUERY, error_type="BlockedError", message="403")]
    assert judge(report, "adhoc", 0)[0] == "failed"
    report.failures = [Failure(key="file:query", stage=Stage.DOWNLOAD, error_type="X", message="bad")]
    report.extractions = {"k": extract_text_pages("k", ["正文"])}
    assert judge(report, "adhoc", 2)[0] == "partial"


def test_the_flow_form_and_the_cli_take_exactly_the_run_parameters() -> None:
    from flows.cli import build_parser
    from flows.pipeline import adhoc_flow

    assert list(inspect.signature(adhoc_flow.fn).parameters) == list(RunParams.model_fields)
    args = build_parser().parse_args(["run", "--code", "001282", "--category", "首发", "--table", "x", "--no-llm"])
    given = {k: v for k, v in vars(args).items() if k in RunParams.model_fields}
    assert set(given) == set(RunParams.model_fields)
    assert RunParams.checked(**given).model_dump(include={"codes", "categories", "tables", "llm"}) == {
        "codes": ["001282"], "categories": ["category_sf_szsh"], "tables": ["x"], "llm": False,
    }  # fmt: skip


# --- one document isolated ------------------------------------------------------------------------------


def test_a_bug_in_one_documents_extraction_fails_that_document_alone(replay: Any, tmp_path: Path) -> None:
    """A plain KeyError from the extraction is that document's UnexpectedError, with the document kept."""
    from run.document import DocumentContext, process
    from scrapers.http import HttpClient
    from scrapers.registry import adapter_for

    s = replay_settings(replay, tmp_path)
    with HttpClient(s) as http:
        found = adapter_for("cninfo", http, s).search(plan_query("300626"))
    target = found.announcements[0]

    def broken(*args: object, **kwargs: object) -> DocumentExtraction:
        raise KeyError("a programming error, not a bad PDF")

    out = process(target, DocumentContext(s, (), False, "test", broken))
    assert out.failed and out.document is not None
    assert [(f.stage, f.error_type) for f in out.failures] == [(Stage.EXTRACT, "UnexpectedError")]
    assert "KeyError" in out.failures[0].message and "programming error" in out.failures[0].message


def plan_query(code: str) -> Any:
    from run.plan import query_of

    return query_of(RunParams(codes=[code], start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1)))


def _two_files(tmp_path: Path) -> list[Path]:
    src = (PDF / "prospectus" / "301563_ickey_prospectus_keypages_annotated.pdf").read_bytes()
    files = [tmp_path / "in" / "good.pdf", tmp_path / "in" / "bad.pdf"]
    for n, f in enumerate(files):  # byte-distinct: the same bytes are one document, extracted once
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(src + f"\n% copy {n}\n".encode())
    return files


def _text_only(path: Path, key: str, **kwargs: object) -> DocumentExtraction:
    if "bad" in str(path):
        raise RuntimeError("a bug, not a bad PDF")
    return extract_text_pages(key, ["第一页", "第二页"])


def test_extract_keeps_the_other_files_when_one_raises_a_plain_runtime_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.local

    monkeypatch.setattr(flows.local, "_extract_in_pool", _text_only)
    path = flows.local.extract_files(_two_files(tmp_path), tmp_path / "out", [], make_settings(tmp_path)).path
    assert path is not None
    wb = load_workbook(path)
    assert [d["key"] for d in rows(wb["Documents"])] == ["file:good.pdf", "file:bad.pdf"]
    info = {r["key"]: r["值"] for r in rows(wb["Run info"])}
    assert "UnexpectedError: RuntimeError: a bug, not a bad PDF" in str(info["failure: extract"])


def test_a_parquet_copy_that_cannot_be_written_keeps_the_workbook_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.local
    import report.excel

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(flows.local, "_extract_in_pool", _text_only)
    monkeypatch.setattr(report.excel, "start_parquet", full_disk)
    path = flows.local.extract_files(_two_files(tmp_path)[:1], tmp_path / "out", [], make_settings(tmp_path)).path
    assert path is not None and path.is_file() and len(rows(load_workbook(path)["Documents"])) == 1
    assert (tmp_path / "out" / f"{path.stem}_csv").is_dir()


def test_a_store_that_cannot_be_written_at_the_end_keeps_the_workbook_and_makes_the_run_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.store

    def locked(*args: object, **kwargs: object) -> int:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(core.store.Store, "add", locked)
    s = make_settings(tmp_path)
    a = ann(1)
    doc = Document(key=a.key, sec_code=a.sec_code, sec_name=a.sec_name, title=a.title, published=a.published,
                   url="http://x/1.pdf", path="/x.pdf", sha256="0" * 64, size=1)  # fmt: skip
    report = RunReport(flow="adhoc", parameters={}, started=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                       announcements=[a], documents=[doc],
                       extractions={a.key: extract_text_pages(a.key, ["正文"])})  # fmt: skip
    out = publish(report, s, "adhoc", 1, "test run")
    assert out.path.is_file() and len(rows(load_workbook(out.path)["Documents"])) == 1
    assert out.status == "partial" and "store not written" in out.message and "database is locked" in out.message


def test_outputs_refuse_an_unknown_format_before_writing(tmp_path: Path) -> None:
    from core.errors import ConfigError

    report = RunReport(flow="x", parameters={}, started=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ConfigError, match="formats are"):
        write_outputs(report, tmp_path, formats=("xls",))
    assert not list(tmp_path.iterdir())


def test_a_misspelt_run_parameter_is_refused_not_ignored() -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="max_document"):
        RunParams.checked(max_document=3)


def test_the_temporary_file_of_a_run_killed_while_writing_its_workbook_is_removed_by_the_next(
    tmp_path: Path,
) -> None:
    import os

    from run.outcome import ensure_writable

    out = tmp_path / "out"
    out.mkdir()
    dead = out / ".prospectus_adhoc_20261203_150000.xlsx.4194305.part"  # above any pid Linux gives (2**22)
    live = out / f".prospectus_adhoc_20261203_150001.xlsx.{os.getpid()}.part"
    other = out / ".notes.part"
    for f in (dead, live, other):
        f.write_bytes(b"PK")
    ensure_writable(out)
    assert not dead.exists() and live.exists() and other.exists()


def test_local_pdfs_reach_the_store_so_export_includes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.local
    from flows.export import export

    monkeypatch.setattr(flows.local, "_extract_in_pool", _text_only)
    settings = make_settings(tmp_path)
    outcome = flows.local.extract_files(_two_files(tmp_path)[:1], tmp_path / "out", [], settings)
    assert outcome.status == "completed" and outcome.path is not None
    merged = export(settings, tmp_path / "export", formats=("xlsx",))
    docs = rows(load_workbook(merged)["Documents"])
    assert [d["key"] for d in docs] == ["file:good.pdf"]


def test_a_documents_task_ends_with_its_extraction_while_its_model_work_waits_in_the_runs_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow model holds no document's task: with the run's model queue, the document returns as
    soon as its extraction is stored, and the queue gives its model records when drained."""
    import threading

    import run.document
    from run.document import DocumentContext, process_local
    from run.enrich import Enrichment, drain_queue

    released = threading.Event()
    asked: list[str] = []

    def slow_model(doc_key: str, extraction: DocumentExtraction, ctx: object) -> tuple[DocumentExtraction, Enrichment]:
        asked.append(doc_key)
        assert released.wait(30)
        return extraction, Enrichment(results={"summary": ["answered"]})

    monkeypatch.setattr(run.document, "ask_model", slow_model)
    settings = make_settings(tmp_path)
    ctx = DocumentContext(settings, [], False, "run-q", _text_only, queue_llm=True)
    out = process_local(_two_files(tmp_path)[0], ctx)  # returns while the model has not answered
    assert out.extraction is not None and out.llm.results == {} and not released.is_set()
    released.set()
    drained = drain_queue("run-q")
    [(key, got)] = drained.items()
    assert key == "file:good.pdf" and not isinstance(got, BaseException) and got[1].results == {"summary": ["answered"]}
    assert asked == ["file:good.pdf"] and drain_queue("run-q") == {}


def test_a_local_pdf_is_named_by_its_file_code_or_else_by_the_company_its_cover_prints() -> None:
    from run.document import named_by_cover

    def doc(code: str) -> Document:
        return Document(key="file:x.pdf", sec_code=code, sec_name="", title="x", published=dt.date(2026, 1, 1),
                        url="file:///x.pdf", path="/x.pdf", sha256="0" * 64, size=1)  # fmt: skip

    # a file named 招股说明书.pdf: the cover's legal name is a listed company's, its code and short name
    assert (
        named_by_cover(doc(""), "华瑞电器股份有限公司").sec_code,
        named_by_cover(doc(""), "华瑞电器股份有限公司").sec_name,
    ) == ("300626", "华瑞股份")
    # 601088_….pdf: the short name of the code
    assert named_by_cover(doc("601088"), None).sec_name == "中国神华"
    # a company not in the dictionary keeps the cover's name; a file-name code is never overwritten
    assert named_by_cover(doc(""), "某某未上市科技股份有限公司").sec_name == "某某未上市科技股份有限公司"
    assert named_by_cover(doc("000001"), "华瑞电器股份有限公司").sec_code == "000001"
    assert named_by_cover(doc(""), None).sec_name == ""
    assert named_by_cover(doc("000001"), "华瑞电器股份有限公司").sec_name == "平安银行"  # the code's own name
    # a B share's code is found (its full name is its A share's); brackets printed half-width on the cover
    assert named_by_cover(doc("900924"), None).sec_name == "上工B股"
    assert named_by_cover(doc(""), "飞潮(上海)新材料股份有限公司").sec_name == "飞潮新材"
