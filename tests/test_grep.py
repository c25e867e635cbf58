"""Search inside the documents (``flows grep`` / ``api.search_text``), on real prospectuses: the pages
were read with pdftotext to pin where each phrase is printed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.settings import Settings
from extractors import textindex
from extractors.textindex import IndexedDocument, TextIndex, normalise
from flows import grep
from tests.conftest import PDF, make_settings

FULL = PDF / "prospectus_full"
KINGSUN = FULL / "002638_kingsun_optoelectronic_prospectus_2011_full.pdf"
HAIMO = FULL / "300084_lanzhou_haimo_prospectus_2010_full.pdf"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    tmp = tmp_path_factory.mktemp("grep")
    settings = make_settings(tmp)
    grep.search_text("招股意向书", settings, files=[KINGSUN, HAIMO])  # indexes both once
    return settings, tmp


def test_a_phrase_is_found_on_the_page_that_prints_it_with_the_hit_marked(indexed: tuple[Settings, Path]) -> None:
    settings, _ = indexed
    hits = grep.search_text("主要竞争对手概况", settings, files=[KINGSUN])
    # 002638 p.147 (PDF page) opens its competitor chapter "（二）主要竞争对手概况"; pp.361 and 367 refer
    # back to it ("…详见本招股意向书…（三）主要竞争对手概况”", read with pdftotext -layout)
    assert [h.page for h in hits] == [147, 361, 367]
    assert "【主要竞争对手概况】" in hits[0].snippet
    assert hits[0].sec_code == "002638"
    assert hits[0].link.endswith("#page=147")


def test_a_heading_spaced_out_for_layout_is_found_as_one_word(indexed: tuple[Settings, Path]) -> None:
    settings, _ = indexed
    # 300084 p.129 prints its patent table's header as "名 称" with a space between the characters
    assert "名 称" in textindex.read_text(HAIMO).page(129)
    hits = grep.search_text("名称", settings, files=[HAIMO], limit=500)
    assert 129 in [h.page for h in hits]
    assert all("【名称】" in h.snippet for h in hits)


def test_two_character_patterns_scan_and_longer_ones_use_the_trigram_index() -> None:
    assert normalise("主 要\n竞争  对手 Osram  Opto") == "主要竞争对手 Osram Opto"
    assert normalise("ＡＢＣ１２３") == "ABC123"


def test_the_pattern_is_a_string_never_query_syntax(indexed: tuple[Settings, Path]) -> None:
    settings, _ = indexed
    for pattern in ('"', "AND", "a OR b", "NEAR(x y)", "专利*", "100%", "_"):
        grep.search_text(pattern, settings, files=[HAIMO])  # no sqlite3 error escapes
    with pytest.raises(ValueError):
        grep.search_text("   ", settings, files=[HAIMO])


def test_a_document_is_read_once_whatever_runs_or_searches_come_after(
    indexed: tuple[Settings, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = indexed

    def never(*_: object, **__: object) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(textindex, "read_text", never)
    assert grep.search_text("主要竞争对手", settings, files=[KINGSUN, HAIMO])


def test_filters_by_company_and_date(tmp_path: Path) -> None:
    index = TextIndex(tmp_path / "i.sqlite")
    for code, name, day in (("000001", "平安银行", "2020-01-01"), ("600519", "贵州茅台", "2024-06-01")):
        index.add(
            IndexedDocument(
                sha256=code, key=f"cninfo:{code}", sec_code=code, sec_name=name, title="年报", path=f"/x/{code}.pdf",
                published=dt.date.fromisoformat(day), url=f"https://static.cninfo.com.cn/{code}.PDF",
            ),
            ["关联交易情况如下", "无"],
        )
    assert {h.sec_code for h in index.search("关联交易")} == {"000001", "600519"}
    assert [h.sec_code for h in index.search("关联交易", company="茅台")] == ["600519"]
    assert [h.sec_code for h in index.search("关联交易", since=dt.date(2023, 1, 1))] == ["600519"]
    # two characters (no trigram): scanned newest document first, and the page the pattern is on
    assert [(h.sec_code, h.page) for h in index.search("关联")] == [("600519", 1), ("000001", 1)]
    assert [h.sec_code for h in index.search("关联", limit=1)] == ["600519"]
    assert index.search("关联", company="平安")[0].snippet == "【关联】交易情况如下"
    hit = index.search("关联交易", company="000001")[0]
    assert hit.link == "https://static.cninfo.com.cn/000001.PDF#page=1"


def test_an_unreadable_pdf_is_reported_and_the_others_are_searched(tmp_path: Path) -> None:
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + b"\x00" * 200)
    good = tmp_path / HAIMO.name
    shutil.copy(HAIMO, good)
    settings = make_settings(tmp_path)
    hits = grep.search_text("斯伦贝谢", settings, files=[bad, good])
    assert hits and {Path(h.path).name for h in hits} == {HAIMO.name}


def test_the_cli_writes_a_sheet_with_a_link_to_each_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli import main

    monkeypatch.setenv("PP_DATA_DIR", str(tmp_path / "data"))
    assert main(["grep", "主要竞争对手概况", str(KINGSUN), "--out", str(tmp_path / "out")]) == 0
    [book] = (tmp_path / "out").glob("grep_*.xlsx")
    ws = load_workbook(book)["检索结果"]
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert row["页码"].value == 147
    assert row["页面链接"].hyperlink.target.endswith("#page=147")
    assert main(["grep", " ", str(KINGSUN), "--out", str(tmp_path / "out")]) == 2
