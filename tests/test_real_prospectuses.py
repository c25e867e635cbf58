"""Patent lists and competitor chapters of three complete real prospectuses (pdf/prospectus_full).

Every expected value was read off the page (pdftotext -layout and the rendered page), and is in
benchmarks/keys/<code>.json. Each test is named after the trap it pins.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from core.records import DocumentExtraction, PatentRecord, PatentStatus, PatentType
from extractors.document import extract_document, extract_text_pages
from extractors.locate import split_fulltext_pages
from tests.conftest import CORPUS, PDF

KEYS = Path(__file__).resolve().parents[1] / "benchmarks" / "keys"
FULL = {
    "002638": ("002638_kingsun_optoelectronic_prospectus_2011_full.pdf", "东莞勤上光电股份有限公司"),
    "300626": ("300626_huarui_electrical_prospectus_2017_full.pdf", "华瑞电器股份有限公司"),
    "002335": ("002335_kehua_hengsheng_prospectus_2010_full.pdf", "厦门科华恒盛股份有限公司"),
}


@cache
def extraction(code: str) -> DocumentExtraction:
    name, issuer = FULL[code]
    return extract_document(PDF / "prospectus_full" / name, code, issuer=issuer)


@cache
def key(code: str) -> dict[str, object]:
    return json.loads((KEYS / f"{code}.json").read_text("utf-8"))  # type: ignore[no-any-return]


def row(code: str, seq: str, page: int | None = None) -> PatentRecord:
    return next(p for p in extraction(code).patents if p.seq == seq and (page is None or p.page == page))


# --- 002638 勤上光电: open-sided ruled table, header on the first page only ---------------------------


@pytest.mark.slow
def test_open_sided_table_keeps_its_first_and_last_columns() -> None:
    # no outer border: 序号 and 授权日 sit outside the inner column rules (p181)
    first = row("002638", "1")
    assert (first.number, first.name, first.patent_type, first.grant_date, first.page) == (
        "200610157350.4",
        "变色LED灯控制系统及控制方法",
        PatentType.INVENTION,
        dt.date(2009, 8, 12),
        181,
    )


@pytest.mark.slow
def test_continuation_pages_without_a_header_are_read_to_the_last_row() -> None:
    ex = extraction("002638")
    assert len(ex.patents) == 166
    assert Counter(p.page for p in ex.patents) == {181: 9, 182: 46, 183: 32, 184: 41, 185: 38}
    last = row("002638", "166")
    assert (last.number, last.name, last.patent_type, last.page) == ("201030602713.8", "射灯", PatentType.DESIGN, 185)
    # the rows either side of each page break
    assert (row("002638", "9").page, row("002638", "10").page) == (181, 182)
    assert row("002638", "10").number == "200710123944.8"


@pytest.mark.slow
def test_stated_count_matches_the_rows_by_type() -> None:
    ex = extraction("002638")
    stated = ex.patent_statement
    assert stated is not None and (stated.total, stated.page) == (166, 181)
    assert stated.by_type == {"发明": 24, "实用新型": 84, "外观设计": 58}
    assert Counter(p.patent_type.value for p in ex.patents) == stated.by_type


@pytest.mark.slow
def test_rd_results_table_citing_patents_is_not_the_patent_list() -> None:
    # pp.195-197: '研发投入情况及形成的已授权专利成果明细' cites patent numbers per R&D project
    ex = extraction("002638")
    assert ex.patent_pages == (181, 182, 183, 184, 185)
    assert not [p for p in ex.patents if p.page >= 195]
    assert not [t for t in ex.tables if 195 in t.pages]  # not even read: the pages are not a list


@pytest.mark.slow
def test_subsidiaries_named_in_a_competitors_description_are_not_competitors() -> None:
    # '1、欧司朗' … '5、真明丽'; 真明丽 '下辖鹤山真明丽灯饰有限公司、鹤山银雨灯饰有限公司和…'
    # (the 募集资金运用 chapter's naming sentence, pp361 and 367, adds GE: 'issue 20' in docs/extraction-competitors.md)
    by_short = {c.short_name: c for c in extraction("002638").competitors if c.page < 300}
    assert set(by_short) == {"欧司朗", "飞利浦", "联创光电", "国星光电", "真明丽"}
    assert by_short["联创光电"].name == "江西联创光电科技股份有限公司"
    assert {c.source for c in by_short.values()} == {"heading"}
    assert extraction("002638").competitor_pages == (147, 148, 149, 361, 367)


# --- 300626 华瑞电器: header says 专利登记号, a row split by the page break ---------------------------


@pytest.mark.slow
def test_header_label_专利登记号_is_the_number_column() -> None:
    ex = extraction("300626")
    assert len(ex.patents) == 58
    assert Counter(p.patent_type for p in ex.patents) == {PatentType.INVENTION: 13, PatentType.UTILITY: 45}
    first, last = row("300626", "1"), row("300626", "58")
    assert (first.number, first.name, first.owner, first.application_date) == (
        "ZL200810120701.3",
        "一种钩式换向器的制造方法",
        "发行人",
        dt.date(2008, 8, 29),
    )
    assert (last.number, last.name, last.owner, last.page) == (
        "ZL201620380264.9",
        "一种换向器拉排机的铜排在线检测装置",
        "宁波胜克",
        127,
    )


@pytest.mark.slow
def test_row_split_by_the_page_break_is_joined_on_its_first_page() -> None:
    # row 53: '一种将换向器钩脚压制' at the foot of p126, '呈圆角的压合模具' above row 54 on p127
    split = row("300626", "53")
    assert (split.name, split.page, split.number) == ("一种将换向器钩脚压制呈圆角的压合模具", 126, "ZL201520945115.8")
    assert row("300626", "54").name == "一种装有加热管的换向器压制模"


@pytest.mark.slow
def test_region_column_is_not_glued_onto_competitor_names() -> None:
    names = {c.name for c in extraction("300626").competitors}
    assert {"深圳市凯中精密技术股份有限公司", "安固集团有限公司", "苏州科固电器有限公司"} <= names
    assert not [n for n in names if n.startswith("中国")]
    # customers named in 发行人的市场地位 (德昌电机, 博世集团 …) are outside the chapter
    assert not [n for n in names if "博世" in n or "德昌" in n]
    assert len(names) == 8 and {c.source for c in extraction("300626").competitors} == {"table"}


# --- 002335 科华恒盛: cell-by-cell rectangles, old numbers with a space, granted + pending ------------


@pytest.mark.slow
def test_numbers_are_kept_as_printed_with_the_space_after_ZL_removed() -> None:
    numbers = [p.number for p in extraction("002335").patents]
    assert "ZL00308118.4" in numbers and "ZL01209813.2" in numbers and "ZL200620122313.5" in numbers
    assert not [n for n in numbers if " " in n]


@pytest.mark.slow
def test_pending_applications_under_已受理_heading_are_not_granted() -> None:
    ex = extraction("002335")
    pending = [p for p in ex.patents if p.status is PatentStatus.PENDING]
    assert [p.number for p in pending] == [
        "200820137253.3",
        "200820139005.2",
        "200810071758.9",
        "200830213253.2",
        "200830213255.1",
    ]
    assert all(p.page == 159 and p.section_title == "已受理的专利" for p in pending)
    assert sum(p.status is PatentStatus.GRANTED for p in ex.patents) == 41


@pytest.mark.slow
def test_a_number_printed_in_two_rows_is_two_rows() -> None:
    # rows 17-19 (p158) and 31-33 (p159) carry the same three numbers with different names
    ex = extraction("002335")
    twice = [n for n, c in Counter(p.number for p in ex.patents).items() if c == 2]
    assert sorted(twice) == ["ZL200430081425.7", "ZL200430081426.1", "ZL200430081427.6"]
    assert (row("002335", "19", 158).name, row("002335", "33", 159).name) == (
        "三相不间断电源外壳（1）",
        "三相不间断电源外壳(1)",
    )


@pytest.mark.slow
def test_foreign_competitors_without_a_legal_suffix_and_the_other_vendors_list() -> None:
    names = {c.name: c for c in extraction("002335").competitors}
    assert names["美国电力转换集团"].short_name == "APC 公司" and names["美国电力转换集团"].source == "heading"
    assert names["伊顿爱克赛电源（上海）有限公司"].short_name == "ETN—Powerware"  # a place in brackets
    # '（6）其它厂商' lists more vendors in one sentence: '如法国索克曼-先控（SOCOMEC-SICON）、…等'
    assert {"法国索克曼-先控", "意大利雷诺士", "荷兰海泰克", "SILCON", "施恩禧电气", "ActivePower 电源公司"} <= set(
        names
    )
    assert "其它厂商" not in names and "施奈德" not in names  # APC's acquirer, inside its description


# --- the harness itself: the targets hold on every keyed document ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("code", sorted(FULL))
def test_every_keyed_patent_row_is_found_with_its_fields(code: str) -> None:
    rows = key(code)["patent_rows"]
    assert isinstance(rows, list)
    got = Counter(
        (p.number, p.page, p.patent_type.value, p.status is PatentStatus.PENDING) for p in extraction(code).patents
    )
    want = Counter((r["number"], r["page"], r["type"], r["status"] == "pending") for r in rows)
    assert got == want


FULLTEXT = {
    "001282": "001282_sanlian_forging_prospectus_fulltext_pages.md",
    "301563": "301563_ickey_prospectus_fulltext_pages.md",
    "603418": "603418_yousheng_prospectus_fulltext_pages.md",
    "688775": "688775_insta360_prospectus_fulltext_pages.md",
    "920100": "920100_sanxie_motor_prospectus_fulltext_pages.md",
}


@cache
def text_extraction(code: str) -> DocumentExtraction:
    pages = split_fulltext_pages((CORPUS / "text" / "prospectus_fulltext" / FULLTEXT[code]).read_text("utf-8"))
    return extract_text_pages(code, pages, issuer=str(key(code)["issuer"]))


def test_shareholders_customers_and_suppliers_in_a_competitor_table_are_not_competitors() -> None:
    # 001282 p121-123: 宁波蜗牛 '由斯洛文尼亚蜗牛股份有限公司和宁波金牛实业有限公司共同出资建立';
    # the 主要客户 column lists 上汽集团, 广汽集团 …; 福达股份 buys blanks '向东风锻造有限公司等采购'
    ex = text_extraction("001282")
    names = {c.name for c in ex.competitors}
    assert names == {
        "江苏太平洋精锻科技股份有限公司",
        "天润工业技术股份有限公司",
        "云南西仪工业股份有限公司",
        "桂林福达股份有限公司",
        "德西福格汽车零部件集团",
        "宁波蜗牛锻造有限公司",
    }


def test_text_fallback_reads_every_row_of_a_flattened_patent_list() -> None:
    # 920100 pp.127-130: numbers wrap inside cells ('ZL202311045\n168.X'); stated 56
    ex = text_extraction("920100")
    assert len(ex.patents) == 56 and len({p.number for p in ex.patents}) == 56
    assert ex.patent_statement is not None and ex.patent_statement.total == 56
    assert {p.source for p in ex.patents} == {"text"}
    assert "ZL202311045168.X" in {p.number for p in ex.patents}


def test_explicit_competitor_section_beats_the_industry_ranking() -> None:
    # 603418: '3、发行人主要竞争对手的基本情况' (p136) — not the global top-100 ranking on pp.132-133
    ex = text_extraction("603418")
    assert {c.short_name for c in ex.competitors} == {"和胜股份", "旭升集团", "文灿股份", "新铝时代"}
    # (changed: the comparables section pp141-144 is now read too, role 可比公司; the ranking still is not)
    assert {136, 137} <= set(ex.competitor_pages) and not {132, 133} & set(ex.competitor_pages)
