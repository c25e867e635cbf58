"""Patent normalisation on the real 001282 patent tables (MinerU HTML conversion of the prospectus)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache

import pytest

from core.records import PatentRecord, PatentType
from extractors.html_tables import parse_tables
from extractors.patents import (
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
