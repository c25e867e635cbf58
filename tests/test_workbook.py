"""The review workbook's presentation: frozen headers, filters, widths, links, Chinese text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.records import Announcement, Document, DocumentExtraction, Failure, PatentRecord, PatentType
from report import SHEETS, RunReport, write_workbook
from report.excel import display_width


def report(tmp_path: Path) -> RunReport:
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF")
    ann = Announcement(
        source="cninfo",
        announcement_id="1216830304",
        sec_code="001282",
        sec_name="三联锻造",
        title="首次公开发行股票并在主板上市招股说明书\x07",
        published=dt.date(2023, 5, 17),
        pdf_url="http://static.cninfo.com.cn/finalpage/2023-05-17/1216830304.PDF",
    )
    doc = Document(
        key=ann.key,
        sec_code="001282",
        sec_name="三联锻造",
        title=ann.title,
        published=ann.published,
        url=ann.pdf_url or "",
        path=str(pdf),
        sha256="ab" * 32,
        size=14,
    )
    patent = PatentRecord(
        doc_key=ann.key,
        page=185,
        name="中高碳微合金非调质钢及其控锻控冷的工艺方法",
        number="ZL200910116288.8",
        patent_type=PatentType.INVENTION,
        application_date=dt.date(2009, 3, 5),
    )
    ex = DocumentExtraction(
        doc_key=ann.key,
        pages=476,
        patent_pages=(185,),
        competitor_pages=(),
        sections=(),
        tables=(),
        patents=(patent,),
        competitors=(),
        lead_text="长" * 40_000,
    )
    return RunReport(
        flow="adhoc",
        parameters={"codes": ["001282"]},
        started=dt.datetime(2026, 11, 23, 8),
        finished=dt.datetime(2026, 11, 23, 8, 5),
        announcements=[ann],
        documents=[doc],
        extractions={ann.key: ex},
        failures=[Failure(key="cninfo:9", stage="download", error_type="InvalidPDFError", message="HTML page")],
    )


@pytest.mark.slow
def test_sheets_headers_filters_and_links(tmp_path: Path) -> None:
    path = write_workbook(report(tmp_path), tmp_path / "out")
    # the file name in Beijing time: the run finished at 08:05 UTC
    assert path.name == "prospectus_adhoc_20261123_160500.xlsx" and not list(path.parent.glob("*.part"))
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws["A1"].font.bold
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    pat = wb["Patents"]
    header = [c.value for c in pat[1]]
    row = dict(zip(header, pat[2], strict=True))
    assert row["专利号"].value == "ZL200910116288.8" and row["页码"].value == 185
    assert row["PDF"].hyperlink.target == "http://static.cninfo.com.cn/finalpage/2023-05-17/1216830304.PDF#page=185"
    # the local file relative to the workbook: moving outputs/ and data/ together keeps it working
    assert row["本地文件"].hyperlink.target == "../a.pdf"
    # A4 landscape holds the main columns; links, paths, keys and hashes follow, out of the print area
    printed = pat.print_area
    assert printed is not None and printed.startswith("'Patents'!$A$1:$")
    assert header.index("专利号") < header.index("页码") < header.index("本地文件")
    docs = [c.value for c in wb["Documents"][1]]
    assert docs[0] == "代码" and docs[-4:] == ["提取秒数", "PDF", "本地文件", "key"] and "sha256" in docs[-7:]
    assert row["申请日"].number_format == "yyyy-mm-dd"
    assert pat.column_dimensions["D"].width >= display_width("中高碳微合金非调质钢及其控锻控冷的工艺方法") / 2
    ann = wb["Announcements"]
    assert ann["E2"].value == "首次公开发行股票并在主板上市招股说明书"  # control character removed
    assert ann.row_dimensions[2].height is None  # a short title needs no taller row
    info = {r[2].value: r[1].value for r in wb["Run info"].iter_rows(min_row=2)}
    assert info["failure: download"] == "cninfo:9: InvalidPDFError: HTML page"


def test_cjk_is_twice_as_wide() -> None:
    assert display_width("专利ab") == 6


def test_text_from_outside_never_becomes_a_formula(tmp_path: Path) -> None:
    # titles from the exchange, PDF cells and model answers are strings, whatever they start with
    rep = report(tmp_path)
    evil = rep.announcements[0].model_copy(update={"title": "=cmd|' /C calc'!A0", "sec_name": '=HYPERLINK("http://x")'})
    rep.announcements = [evil]
    wb = load_workbook(write_workbook(rep, tmp_path / "out"))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    title = wb["Announcements"]["E2"]
    assert title.value == "=cmd|' /C calc'!A0" and title.data_type == "s" and title.quotePrefix


@pytest.mark.slow
def test_two_workbooks_in_the_same_second_do_not_overwrite_each_other(tmp_path: Path) -> None:
    first = write_workbook(report(tmp_path), tmp_path / "out")
    second = write_workbook(report(tmp_path), tmp_path / "out")
    assert first != second and first.exists() and second.exists()


def test_parquet_keeps_types_the_csv_cannot(tmp_path: Path) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    from report.tabular import arrow_table

    path = write_workbook(report(tmp_path), tmp_path / "out")
    folder = path.with_name(path.stem + "_parquet")
    assert sorted(p.stem for p in folder.glob("*.parquet")) == sorted(SHEETS)
    assert not list(folder.glob(".*"))  # no temporary file left behind
    patents = pd.read_parquet(folder / "Patents.parquet")
    row = patents.iloc[0]
    assert row["专利号"] == "ZL200910116288.8"  # the number as printed, never a float
    assert patents["页码"].dtype.kind == "i" and row["页码"] == 185
    assert str(row["申请日"])[:10] == "2009-03-05"
    assert row["PDF"] == "http://static.cninfo.com.cn/finalpage/2023-05-17/1216830304.PDF#page=185"
    info = pd.read_parquet(folder / "Run info.parquet")  # values of every type: one text column
    assert info["值"].map(type).eq(str).all()

    table = arrow_table(["n", "page", "amount", "note"], [[1, 4, 1, "x"], [2, None, 2.5, 3], [3, 7, "", None]])
    pq.write_table(table, tmp_path / "mixed.parquet")
    mixed = pd.read_parquet(tmp_path / "mixed.parquet")  # as a pandas user reads it
    assert mixed["n"].dtype.kind == "i"
    assert str(mixed["page"].dtype) == "Int64" and pd.isna(mixed["page"][1]) and mixed["page"][2] == 7
    assert mixed["amount"].dtype.kind == "f" and pd.isna(mixed["amount"][2])
    assert list(mixed["note"][:2]) == ["x", "3"] and pd.isna(mixed["note"][2])


def test_a_new_llm_task_gets_its_own_sheet_without_touching_the_report(tmp_path: Path) -> None:
    # a task registered in llm.tasks whose records no record sheet shows: one column per field
    from core.records import Record

    class RiskFlag(Record):
        doc_key: str
        risk: str
        evidence: tuple[str, ...] = ()

    rep = report(tmp_path)
    key = rep.documents[0].key
    rep.llm = {"risk": [RiskFlag(doc_key=key, risk="客户集中", evidence=("前五名客户占比 62%", "第一大客户 31%"))]}
    wb = load_workbook(write_workbook(rep, tmp_path / "out"))
    assert wb.sheetnames == [*SHEETS[:5], "LLM risk", *SHEETS[5:]]
    ws = wb["LLM risk"]
    assert [c.value for c in ws[1]] == ["代码", "简称", "doc_key", "risk", "evidence"]
    assert [c.value for c in ws[2]] == ["001282", "三联锻造", key, "客户集中", "前五名客户占比 62%\n第一大客户 31%"]
    info = {r[2].value: r[1].value for r in wb["Run info"].iter_rows(min_row=2)}
    assert info["LLM risk: records"] == 1


def test_a_replay_runs_page_links_point_at_the_downloaded_file_not_the_gone_server(tmp_path: Path) -> None:
    rep = report(tmp_path)
    rep.documents = [rep.documents[0].model_copy(update={"url": "http://127.0.0.1:40123/finalpage/x.PDF"})]
    wb = load_workbook(write_workbook(rep, tmp_path / "out"))
    pat = wb["Patents"]
    header = [c.value for c in pat[1]]
    link = pat.cell(row=2, column=header.index("PDF") + 1)
    # the page is in the local link too: a browser's PDF viewer opens file links at #page=N
    assert link.value == "p.185" and link.hyperlink.target == "../a.pdf#page=185"
    # a replay's workbook says so, on top of Run info and on every sheet's printed header
    info = wb["Run info"]
    assert info["A2"].value == "数据来源" and "回放数据" in info["B2"].value and "占位" in info["B2"].value
    assert all("回放数据" in (ws.oddHeader.center.text or "") for ws in wb)


def test_a_live_runs_workbook_carries_no_replay_banner(tmp_path: Path) -> None:
    wb = load_workbook(write_workbook(report(tmp_path), tmp_path / "out"))
    assert wb["Run info"]["A2"].value != "数据来源"
    assert not any(ws.oddHeader.center.text for ws in wb)


def test_in_a_row_taller_than_a_line_every_cell_is_top_aligned(tmp_path: Path) -> None:
    """A bottom-aligned name beside a tall wrapped cell reads as belonging to the next row."""
    rep = report(tmp_path)
    long_title = "关于" + "首次公开发行股票并在主板上市招股说明书及其附录的补充说明" * 4
    rep.announcements = [rep.announcements[0].model_copy(update={"title": long_title})]
    ws = load_workbook(write_workbook(rep, tmp_path / "out"))["Announcements"]
    assert ws.row_dimensions[2].height and ws.row_dimensions[2].height > 15
    assert all(c.alignment.vertical == "top" for c in ws[2])


class _KillsItsReader:
    """A value whose unpickling ends the process that reads it (as the OOM killer would)."""

    def __reduce__(self) -> tuple[object, tuple[int]]:
        import os

        return os._exit, (3,)


def test_a_parquet_writer_that_dies_is_reported_as_a_crash_after_the_workbook_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.errors import WorkerCrashedError
    from report import excel

    real = excel.start_parquet
    monkeypatch.setattr(
        excel, "start_parquet", lambda folder, tables: real(folder, [("x", ["a"], [[_KillsItsReader()]])])
    )
    with pytest.raises(WorkerCrashedError, match="writing the parquet files died"):
        excel.write_workbook(report(tmp_path), tmp_path / "out")
    assert len(list((tmp_path / "out").glob("*.xlsx"))) == 1


def test_a_sheet_past_excels_row_limit_is_split_into_numbered_sheets_and_run_info_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill's Tables sheet can pass Excel's 1,048,576 rows; the workbook must still open, and
    the CSV and parquet keep every row in one file."""
    from report import excel

    rep = report(tmp_path)
    ex = rep.extractions[rep.documents[0].key]
    patents = tuple(ex.patents[0].model_copy(update={"number": f"ZL2009101162{n:02d}.8"}) for n in range(7))
    rep.extractions[rep.documents[0].key] = ex.model_copy(update={"patents": patents})
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    path = write_workbook(rep, tmp_path / "out")
    wb = load_workbook(path)
    assert [n for n in wb.sheetnames if n.startswith("Patents")] == ["Patents", "Patents_2", "Patents_3"]
    assert "Run info_2" not in wb.sheetnames
    header = [c.value for c in wb["Patents"][1]]
    numbers = [
        r[header.index("专利号")].value for name in ("Patents", "Patents_2", "Patents_3")
        for r in wb[name].iter_rows(min_row=2)
    ]  # fmt: skip
    assert numbers == [p.number for p in patents]
    warnings = [r[1].value for r in wb["Run info"].iter_rows(min_row=2) if r[2].value == "warning"]
    assert any("Patents 共 7 行" in w and "Patents_2" in w for w in warnings)
    csv_rows = (path.with_name(path.stem + "_csv") / "Patents.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(csv_rows) == 1 + 7
