"""Patent lists on real pages of the complete prospectuses that the first rules missed (issue 20).

Every expected value was read off the page (and is in ../shared/corpus/keys/prospectus_full_round*.json).
Each test is named after the trap it pins, not after the document: the same shape recurs elsewhere.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from core.records import DocumentExtraction, PatentStatus, PatentType
from extractors.document import extract_document
from extractors.locate import patent_evidence
from extractors.patents import numbers_in_text, patents_in_prose, stated_counts, status_above, type_from_number
from extractors.pdftext import PdfText, read_text
from tests.conftest import PDF

FULL = {
    "002117": "002117_donggang_security_printing_prospectus_2010_full.pdf",
    "002353": "002353_yantai_jereh_prospectus_2010_full.pdf",
    "002516": "002516_kuangda_auto_fabric_prospectus_2010_full.pdf",
    "300084": "300084_lanzhou_haimo_prospectus_2010_full.pdf",
    "300221": "300221_yinxi_technology_prospectus_2011_full.pdf",
}


@cache
def extraction(code: str) -> DocumentExtraction:
    return extract_document(PDF / "prospectus_full" / FULL[code], code)


@cache
def text(code: str) -> PdfText:
    return read_text(PDF / "prospectus_full" / FULL[code])


def by_number(code: str) -> dict[str, tuple[str, PatentType, PatentStatus, int]]:
    return {p.number: (p.name, p.patent_type, p.status, p.page) for p in extraction(code).patents}


# --- missing tables -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_table_found_by_its_caption_with_a_bare_名称_header_and_spaced_numbers() -> None:
    # 002117 pp.72-73: '表4-26：公司专利情况', header 序号/名称/专利号/…, numbers printed 'ZL2008 2 0022396.X';
    # p.73 continues without a header, right above a licence table whose cells say 'DL、ZL' (envelope sizes)
    rows = by_number("002117")
    assert len(rows) == 14
    assert rows["ZL200820022396.X"] == ("票据印刷机票据翻转装置", PatentType.UTILITY, PatentStatus.GRANTED, 72)
    assert rows["ZL023414456"][1:] == (PatentType.DESIGN, PatentStatus.GRANTED, 73)  # printed 'ZL 02 3 414456'
    assert rows["ZL200810017141.9"][0] == "三联票据打码机"
    assert extraction("002117").patent_pages == (72, 73)


def test_headerless_continuation_page_counts_its_spaced_numbers() -> None:
    # 002117 p.73: nine rows, no header, every number printed in parts
    count, header = patent_evidence(text("002117").page(73))
    assert (count, header) == (9, False)


def test_numbers_wrapped_over_two_lines_with_the_check_digit_set_apart() -> None:
    # 002516 p.134: 'ZL 2008 3' / '0020331.7' in one cell, and row 9 '0036982. X'
    found = numbers_in_text(text("002516").page(134))
    assert "ZL200830020331.7" in found and "ZL200820036982.X" in found


# --- wrong status: from the caption or heading nearest above each table --------------------------------


@pytest.mark.slow
def test_applications_table_marked_only_by_its_lead_sentence() -> None:
    # 300221 p.139: '目前公司共有 13 项发明专利正在申请过程中，具体情况如下：' (the heading is on p.138)
    statuses = Counter((p.page, p.status) for p in extraction("300221").patents)
    assert statuses == {(137, PatentStatus.GRANTED): 9, (139, PatentStatus.PENDING): 13}


@pytest.mark.slow
def test_applications_under_a_heading_at_the_foot_of_the_page_before() -> None:
    # 002353: '(2)本公司已被受理的专利权情况' is the last line of p.143, its table is on p.144
    statuses = Counter((p.page, p.status) for p in extraction("002353").patents)
    assert statuses == {(143, PatentStatus.GRANTED): 20, (144, PatentStatus.PENDING): 5}


@pytest.mark.slow
def test_applications_table_ruled_in_the_same_grid_below_the_granted_one() -> None:
    # 002516 p.135: the granted table ends and a second header (申请人/申请号/申请日期) starts 3 applications
    rows = by_number("002516")
    assert [rows[n][2] for n in ("200810122429.2", "200810196414.0", "200910033719.4")] == [PatentStatus.PENDING] * 3
    assert Counter(s for _, _, s, _ in rows.values()) == {PatentStatus.GRANTED: 23, PatentStatus.PENDING: 3}


@pytest.mark.slow
def test_a_notice_of_grant_to_come_is_still_an_application() -> None:
    # 300084 p.130: '（2）发行人有 3 项国内专利已取得…《授予实用新型专利权及办理登记手续通知书》' and
    # '（3）…提交了 2 项发明专利申请…尚在审查过程中' (EP numbers, the type printed under the number)
    rows = by_number("300084")
    assert rows["ZL96121029.X"][2] is PatentStatus.GRANTED
    assert [rows[n][2] for n in ("200920143882.1", "200920143913.3", "200920143914.3")] == [PatentStatus.PENDING] * 3
    assert rows["03732174.2"][1:3] == (PatentType.INVENTION, PatentStatus.PENDING)


def test_a_lead_sentence_that_names_both_lists_leaves_the_status_to_the_table() -> None:
    # 002516 p.134: '本公司已获外观设计专利 17 项、实用新型专利 6 项，已获受理发明专利申请 3 项：'
    lines = text("002516").page(134).splitlines()
    lead = next(i for i, line in enumerate(lines) if "已获受理发明专利申请" in line)
    assert status_above(lines[: lead + 1]) == (None, True)


# --- wrong type, extra rows -----------------------------------------------------------------------------


@pytest.mark.slow
def test_type_from_the_number_with_an_X_check_digit_and_a_misprinted_length() -> None:
    assert type_from_number("ZL200820232799.X") is PatentType.UTILITY  # 002117 row 10
    assert type_from_number("ZL023414456") is PatentType.DESIGN  # 002117 row 12, old 8-digit number
    # 300221 row 4 prints 13 digits before the dot; the digit after the filing year is still the type
    assert by_number("300221")["ZL2003101081084.4"][1] is PatentType.INVENTION


@pytest.mark.slow
def test_numbers_cited_in_the_company_history_are_not_a_patent_list() -> None:
    # 300084 p.40: '专利号 ZL97229522.4 专利于 2001 年 3 月 5 日完成专利变更手续…' (donated patents)
    assert 40 not in extraction("300084").patent_pages
    assert not {"ZL97229522.4", "ZL98208481.1"} & set(by_number("300084"))


# --- stated counts --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_stated_counts_are_read_where_they_are_printed() -> None:
    # 300221 p.137 '公司目前共拥有发明专利 9 项（其中…共同拥有发明专利 3 项…）' and p.139 '共有 13 项发明专利正在申请'
    stated = extraction("300221").patent_statement
    assert stated is not None and (stated.total, stated.by_type) == (22, {"发明": 22})
    # 002353 p.143 '已取得 17 项实用新型专利、3 项外观设计专利' and p.144 '有 5 项专利申请被…受理'
    stated = extraction("002353").patent_statement
    assert stated is not None and stated.total == 25
    page = [(137, text("300221").page(137))]
    assert [(s.total, s.by_type, s.scope) for s in stated_counts(page) if s.by_type] == [(9, {"发明": 9}, None)]


@pytest.mark.slow
def test_list_pages_are_the_pages_rows_are_printed_on() -> None:
    # 300221: the heading '3．专利情况' ends p.136; p.138 is prose that cites three granted numbers
    # ('（专利号为 ZL200410081329.1）') above the heading of the applications list on p.139
    assert extraction("300221").patent_pages == (137, 139)


def test_patents_given_in_sentences_are_read_with_their_names() -> None:
    # 300221 p.138: '…共同拥有“用改性煤矸石粉填充的聚烯烃复合材料及其制备方法”（专利号为 ZL200410081329.1）'
    # and '可形成原位导电微纤网络的复合材料的制备方法（ZL200310110701.2）'; 002516 p.135 cites a licensed-in
    # patent ('许可使用…（专利号：ZL 02 1 31741.0）'): someone else's, not read
    rows = {p.number: p for p in patents_in_prose("300221", 138, text("300221").page(138))}
    assert rows["ZL200410081329.1"].name == "用改性煤矸石粉填充的聚烯烃复合材料及其制备方法"
    assert rows["ZL200310110701.2"].name == "可形成原位导电微纤网络的复合材料的制备方法"
    assert rows["ZL200310110701.2"].patent_type is PatentType.INVENTION
    assert patents_in_prose("002516", 135, text("002516").page(135)) == []


def test_one_row_tail_of_a_table_on_the_next_page_is_kept() -> None:
    # 002516: the land table's row 10 ends at the top of p.134 in a one-row ruled block
    # ('第13号 … 仓储 … 发区3MA地块') right above the patent heading; it joins its row on p.133
    from extractors import tables
    from extractors.merge import merge_fragments

    path = PDF / "prospectus_full" / FULL["002516"]
    land = next(t for t in merge_fragments(tables.extract_fragments(path, [133, 134])) if "证书编号" in t.header)
    assert land.rows[-1][1][:2] == ("10", "武开国用（2004）字第 13 号")
    assert land.rows[-1][1][-1] == "武汉经济技术开发区 3MA 地块"
