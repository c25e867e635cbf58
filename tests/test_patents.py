"""Patent normalisation on the real 001282 patent tables (MinerU HTML conversion of the prospectus)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache

import pytest

from core.records import PatentRecord, PatentType
from extractors.html_tables import parse_tables
from extractors.patents import (
    is_number,
    is_patent_header,
    map_header,
    parse_date,
    printed_number,
    rows_to_patents,
    type_from_number,
)
from tests.conftest import TEXT


@cache
def mineru_patents() -> tuple[list[PatentRecord], list[PatentRecord]]:
    html = (TEXT / "001282_sanlian_forging_prospectus_mineru.md").read_text("utf-8")
    tables = [t for t in parse_tables(html) if is_patent_header(t[0])]
    domestic = [p for t in tables if "有效期" in t[0] for p in rows_to_patents("d", t[0], [(0, r) for r in t[1:]])]
    foreign = [p for t in tables if "国家/地区" in t[0] for p in rows_to_patents("d", t[0], [(0, r) for r in t[1:]])]
    return domestic, foreign


@pytest.mark.slow
def test_001282_domestic_patents_match_the_prospectus_count() -> None:
    # p185 of the prospectus: "共有境内专利 114 项，其中发明专利 12 项，实用新型 102 项"
    domestic, _ = mineru_patents()
    assert len(domestic) == 114 and len({p.number for p in domestic}) == 114
    assert Counter(p.patent_type for p in domestic) == {PatentType.INVENTION: 12, PatentType.UTILITY: 102}


def test_001282_first_patent_row() -> None:
    first = mineru_patents()[0][0]
    assert first.number == "ZL200910116288.8"
    assert first.name == "中高碳微合金非调质钢及其控锻控冷的工艺方法"
    assert first.patent_type is PatentType.INVENTION
    assert first.application_date == dt.date(2009, 3, 5)  # the term runs from the filing date
    assert first.validity == "2009.3.5-2029.3.4"
    assert (first.acquisition, first.legal_status) == ("原始取得", "专利权维持")
    assert first.status.value == "已授权"


def test_001282_japanese_patent_with_grant_date() -> None:
    _, foreign = mineru_patents()
    jp = next(p for p in foreign if p.number == "特许第7111903号")
    assert jp.owner == "三联锻造"
    assert jp.application_date == dt.date(2019, 12, 23) and jp.grant_date == dt.date(2022, 7, 25)


def test_repeated_header_rows_inside_a_table_are_not_patents() -> None:
    header = ("序号", "专利类型", "申请号/专利号", "专利名称", "有效期")
    rows = [(1, header), (1, ("1", "发明专利", "ZL201610769100.X", "一种汽车下摆臂生产工艺", "2016.8.30-2036.8.29"))]
    (p,) = rows_to_patents("d", header, rows)
    assert p.number == "ZL201610769100.X" and p.page == 1


@pytest.mark.parametrize(
    "header, fields",
    [
        (
            ("序号", "专利类型", "申请号/专利号", "专利名称", "有效期", "状态", "取得方式", "他项权利"),
            {
                "seq": 0,
                "patent_type": 1,
                "number": 2,
                "name": 3,
                "validity": 4,
                "status": 5,
                "acquisition": 6,
                "encumbrance": 7,
            },
        ),
        (
            ("序号", "权利人", "专利申请号", "专利名", "申请日", "取得方式"),  # 688775 appendix
            {"seq": 0, "owner": 1, "number": 2, "name": 3, "application_date": 4, "acquisition": 5},
        ),
        (
            ("编号", "申请日", "专利类别", "专利号", "专利名称", "专利权人", "取得方式"),  # 603418 appendix
            {"seq": 0, "application_date": 1, "patent_type": 2, "number": 3, "name": 4, "owner": 5, "acquisition": 6},
        ),
        (
            ("序号", "专利权人", "专利名称", "专利号", "申请日", "专利类型", "取得方式"),  # 920100
            {"seq": 0, "owner": 1, "name": 2, "number": 3, "application_date": 4, "patent_type": 5, "acquisition": 6},
        ),
        (
            # header words of unseen prospectuses (issue 20): no 序号, the type column headed 性质
            ("实用新型专利权名称", "证书号", "性质", "专利权人"),
            {"name": 0, "number": 1, "patent_type": 2, "owner": 3},
        ),
    ],
)
def test_header_mapping_on_real_headers(header: tuple[str, ...], fields: dict[str, int]) -> None:
    assert map_header(header) == fields


def test_type_from_the_application_number() -> None:
    assert type_from_number("ZL201510023497.3") is PatentType.INVENTION
    assert type_from_number("ZL201520032185.4") is PatentType.UTILITY
    assert type_from_number("2020304476719") is PatentType.DESIGN
    assert type_from_number("29/562581") is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ZL202311045\n168.X", "ZL202311045168.X"),  # wrapped inside its cell
        ("ZL 00308118.4", "ZL00308118.4"),  # 002335: old numbers print a space after ZL
        ("2020304476719", "2020304476719"),  # no dot before the check digit: kept as printed
        ("29/562581", "29/562581"),
    ],
)
def test_number_kept_as_printed_with_whitespace_removed(raw: str, expected: str) -> None:
    assert printed_number(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2009.3.5", dt.date(2009, 3, 5)),
        ("2020/08/07", dt.date(2020, 8, 7)),
        ("2023年1月2日", dt.date(2023, 1, 2)),
        ("2023.0\n8.18", dt.date(2023, 8, 18)),
        ("", None),
        ("长期", None),
        ("2023.13.45", None),
    ],
)
def test_dates(raw: str, expected: dt.date | None) -> None:
    assert parse_date(raw) == expected


# --- traps seen in real prospectuses, pinned on the pure functions ------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ("序号", "核心技术名称", "技术描述", "应用产品", "技术来源", "对应专利"),  # 603418 pp.158-161
        ("无形资产项目名称", "项目研发投入", "专利类型", "专利名称", "专利号"),  # 002638 pp.195-197
    ],
)
def test_tables_citing_patents_are_not_patent_lists(header: tuple[str, ...]) -> None:
    rows = [
        (1, ("1", "某技术", "说明", "发明", "ZL201610769100.X")),
        (1, ("2", "某技术", "说明", "发明", "ZL201610769566.X")),
    ]
    assert rows_to_patents("d", header, rows) == []


def test_header_that_disagrees_with_the_cells_loses_to_the_cells() -> None:
    # the labels are shifted one column against the data: the numbers decide where the number is
    header = ("序号", "专利名称", "专利号", "专利类型", "申请日")
    rows = [
        (5, ("1", "ZL201610769100.X", "一种汽车下摆臂生产工艺", "发明", "2016.8.30")),
        (5, ("2", "ZL201520032185.4", "一种锻造模具", "实用新型", "2015.1.16")),
    ]
    got = rows_to_patents("d", header, rows)
    assert [(p.number, p.name, p.patent_type) for p in got] == [
        ("ZL201610769100.X", "一种汽车下摆臂生产工艺", PatentType.INVENTION),
        ("ZL201520032185.4", "一种锻造模具", PatentType.UTILITY),
    ]


def test_headerless_continuation_is_read_from_its_cells() -> None:
    header = ("col1", "col2", "col3", "col4", "col5")
    rows = [
        (7, ("12", "发明", "LED路灯", "200710075217.9", "2009.07.01")),
        (7, ("13", "外观设计", "射灯", "201030602713.8", "2011-06-22")),
    ]
    got = rows_to_patents("d", header, rows)
    assert [(p.seq, p.number, p.name, p.patent_type, p.application_date) for p in got] == [
        ("12", "200710075217.9", "LED路灯", PatentType.INVENTION, dt.date(2009, 7, 1)),
        ("13", "201030602713.8", "射灯", PatentType.DESIGN, dt.date(2011, 6, 22)),
    ]


@pytest.mark.parametrize(
    "number",
    [
        "US7,832,898B2",
        "EP3012345B1",
        "GB2512345",
        "29/562581",
        "35/515,384",
        "US29/769644",
        "特许第7111903号",
        "JP6012345B2",
    ],
)
def test_foreign_numbers_are_patent_numbers_kept_as_printed(number: str) -> None:
    header = ("序号", "专利号", "专利名称", "国家/地区")
    (p,) = rows_to_patents("d", header, [(3, ("1", number, "Camera", "美国"))])
    assert p.number == number and p.region == "美国" and p.patent_type is PatentType.OTHER


def test_footnote_marker_is_split_off_the_seq() -> None:
    header = ("序号", "专利类型", "申请号/专利号", "专利名称", "他项权利")
    (p,) = rows_to_patents("d", header, [(1, ("1注1", "发明专利", "ZL200910116288.8", "工艺方法", "质押"))])
    assert (p.seq, p.note, p.encumbrance) == ("1", "注1", "质押")


def test_holder_group_rows_give_the_holder_of_the_rows_below() -> None:
    header = ("序号", "专利类型", "申请号/专利号", "专利名称")
    rows = [
        (1, ("①三联锻造", "①三联锻造", "①三联锻造", "①三联锻造")),
        (1, ("1", "发明专利", "ZL200910116288.8", "工艺方法")),
        (2, ("②三连零部件", "", "", "")),
        (2, ("1", "实用新型", "ZL201520032185.4", "锻造模具")),
    ]
    assert [p.owner for p in rows_to_patents("d", header, rows)] == ["三联锻造", "三连零部件"]


@pytest.mark.parametrize(
    "title, status",
    [
        ("已受理的专利", "申请中"),
        ("正在申请的专利", "申请中"),
        ("专利申请", "申请中"),
        ("已取得的专利", "已授权"),
        ("专利", "已授权"),
        ("公司境外专利", "已授权"),
        ("公司已提交申请的专利", "申请中"),
    ],
)
def test_status_comes_from_the_list_heading(title: str, status: str) -> None:
    header = ("序号", "申请号", "专利名称")
    (p,) = rows_to_patents("d", header, [(1, ("1", "200820137253.3", "控制器"))], title=title)
    assert p.status.value == status


def test_stated_counts_in_the_forms_prospectuses_use() -> None:
    from extractors.patents import stated_counts

    pages = [
        (1, "截至2011年6月30日，公司拥有专利166项，其中发明专利24项，实用新型专利84项，外观设计专利58项。"),
        (2, "发行人及其子公司总计拥有已授权专利176项，其中发明专利29项，实用新型专利147项"),
        (3, "截至本招股说明书签署日，发行人及子公司拥有 56 项专利，具体如下："),
        (4, "公司拥有境内外授权专利900项，其中发明专利189项，实用新型348项，外观设计363项"),
    ]
    got = [(s.page, s.total, s.by_type, s.scope) for s in stated_counts(pages)]
    assert got == [
        (1, 166, {"发明": 24, "实用新型": 84, "外观设计": 58}, None),
        (2, 176, {"发明": 29, "实用新型": 147}, None),
        (3, 56, {}, None),
        (4, 900, {"发明": 189, "实用新型": 348, "外观设计": 363}, "境内外"),
    ]


def test_merged_holder_cells_fill_down_to_the_rows_they_span() -> None:
    # a 专利权人 cell merged over several rows prints its text in the first row only
    header = ("序号", "专利权人", "专利号", "专利名称")
    rows = [
        (1, ("1", "发行人", "ZL201610769100.X", "工艺一")),
        (1, ("2", "", "ZL201520032185.4", "模具二")),
        (1, ("3", "子公司", "ZL201510023497.3", "方法三")),
        (1, ("4", "", "ZL201721875808.X", "装置四")),
    ]
    assert [p.owner for p in rows_to_patents("d", header, rows)] == ["发行人", "发行人", "子公司", "子公司"]


@pytest.mark.parametrize(
    "standard", ["GB-1040-92", "GB1408", "GB2951-1997", "GB8815-2002", "GB/4075-83", "GB15849-1995"]
)
def test_a_national_standards_number_is_not_a_foreign_patent_number(standard: str) -> None:
    # 300221 p.334 and 300084 print product-quality tables whose 检验标准 column holds GB standards:
    # 'GB' is also the UK's patent prefix, but a standard's number is short or carries its year
    assert not is_number(standard)


@pytest.mark.parametrize(
    "number", ["GB2345678", "GB2345678A", "US7,123,456", "EP1234567B1", "JP2015-123456", "KR10-1234567"]
)
def test_foreign_patent_numbers_are_still_numbers(number: str) -> None:
    assert is_number(number)
