"""Section location on the page-by-page full texts of five real prospectuses (pages per MANIFEST.md)."""

from __future__ import annotations

from functools import cache

import pytest

from core.records import SectionKind
from extractors.locate import (
    FINANCIAL_COMPARABLES,
    Located,
    headings,
    locate,
    patent_evidence,
    split_fulltext_pages,
)
from extractors.pdftext import read_text
from tests.conftest import PDF, TEXT

FILES = {
    "001282": "001282_sanlian_forging_prospectus_fulltext_pages.md",
    "301563": "301563_ickey_prospectus_fulltext_pages.md",
    "603418": "603418_yousheng_prospectus_fulltext_pages.md",
    "688775": "688775_insta360_prospectus_fulltext_pages.md",
    "920100": "920100_sanxie_motor_prospectus_fulltext_pages.md",
}
PAGES = {"001282": 476, "301563": 443, "603418": 398, "688775": 555, "920100": 382}


@cache
def pages(code: str) -> list[str]:
    return split_fulltext_pages((TEXT / FILES[code]).read_text("utf-8"))


@cache
def located(code: str) -> tuple[Located, ...]:
    return tuple(locate(pages(code)))


def covered(code: str, kind: SectionKind) -> set[int]:
    return {p for s in located(code) if s.kind is kind for p in s.pages}


@pytest.mark.parametrize("code", sorted(FILES))
def test_full_text_has_every_page(code: str) -> None:
    assert len(pages(code)) == PAGES[code]


# The patent lists' pages, read in the full texts (benchmarks/keys): found exactly, nothing else.
@pytest.mark.parametrize(
    "code, listed",
    [
        ("001282", range(185, 193)),
        ("301563", range(201, 203)),
        ("603418", range(383, 391)),
        ("688775", range(464, 503)),
        ("920100", range(127, 131)),
    ],
)
def test_patent_list_pages_are_found_exactly(code: str, listed: range) -> None:
    assert covered(code, SectionKind.PATENT) == set(listed)


def test_core_technology_tables_citing_patents_are_not_the_patent_list() -> None:
    # 603418 pp.158-161, 001282 pp.196-198, 920100 pp.132-134: 核心技术 | … | 对应专利
    assert not covered("603418", SectionKind.PATENT) & set(range(158, 162))
    assert not covered("001282", SectionKind.PATENT) & set(range(196, 199))
    assert not covered("920100", SectionKind.PATENT) & set(range(131, 135))


def test_holder_group_headings_do_not_end_the_patent_list() -> None:
    # 001282: ①三联锻造 ②三连零部件 … are holder groups inside （1）公司境内专利, not new sections
    runs = [s.pages for s in located("001282") if s.kind is SectionKind.PATENT]
    assert runs == [tuple(range(185, 193))]


def test_688775_appendix_patent_table_is_found_from_its_first_page() -> None:
    # MANIFEST lists 493–502, but row 261 is on p493: the appendix table starts earlier (p464).
    section = next(s for s in located("688775") if s.kind is SectionKind.PATENT and 493 in s.pages)
    assert section.pages[0] == 464 and section.pages[-1] == 502
    assert "专利申请号" in pages("688775")[463] or "专利号" in pages("688775")[463]


# The competitor chapters (benchmarks/keys). An issuer that names its 主要竞争对手 (603418 p136) is read
# there, not in the industry ranking (pp132-133); without one, the whole competition part is read:
# 行业主要企业 (688775 p190, 920100 p110) together with 竞争格局 (688775 p189, 920100 pp108-109).
# Comparable-company sections of the business chapter are read beside them (role 可比公司).
# (Changed: this test pinned the single most specific heading, which lost the 竞争格局 and 可比公司 parts.)
@pytest.mark.parametrize(
    "code, pages",
    [
        ("001282", [(121, 122, 123)]),
        ("301563", [(174, 175, 176), (172, 173, 174, 175, 176)]),
        ("603418", [(136, 137), (141, 142, 143, 144)]),
        ("688775", [(190, 191), (189, 190, 191), (202, 203, 204, 205, 206)]),
        ("920100", [(110, 111), (108, 109), (114, 115, 116, 117, 118)]),
    ],
)
def test_competitor_chapter_is_the_whole_competition_part(code: str, pages: list[tuple[int, ...]]) -> None:
    sections = [s for s in located(code) if s.kind is SectionKind.COMPETITOR]
    assert [s.pages for s in sections if s.located_by == "heading"] == pages
    # the rest: financial-chapter pages that name the comparable companies (no heading names them)
    assert {s.title for s in sections if s.located_by != "heading"} <= {FINANCIAL_COMPARABLES}


def test_001282_competitor_section_spans_the_whole_chapter() -> None:
    section = next(s for s in located("001282") if s.kind is SectionKind.COMPETITOR)
    assert section.pages == (121, 122, 123) and section.title == "公司主要竞争对手"


def test_financial_ratio_comparisons_are_not_competitor_chapters() -> None:
    titles = [s.title for code in FILES for s in located(code) if s.kind is SectionKind.COMPETITOR]
    assert not [t for t in titles if "费用" in t or "毛利" in t or "周转" in t]


def test_table_of_contents_lines_are_not_headings() -> None:
    toc = "目 录\n（二）公司主要竞争对手 ..................................................... 120\n"
    assert headings([toc]) == []


def test_patent_numbers_wrapped_inside_cells_are_counted() -> None:
    # 920100 p127: "ZL202311045\n168.X" — the number wraps inside its cell; the trademark numbers
    # above it ('75401115 9 2024.08.21') must not read as patent numbers
    numbers, header = patent_evidence(pages("920100")[126])
    assert numbers == 5 and header


@pytest.mark.parametrize(
    "name",
    [
        "announcements/600519_kweichow_moutai_2024_annual_report.pdf",
        "announcements/000430_zhangjiajie_2016_annual_report.pdf",
        "prospectus/688775_insta360_prospectus_keypages_annotated.pdf",
    ],
)
def test_no_false_targets_in_real_pdfs_without_those_chapters(name: str) -> None:
    # The annual reports and key-page excerpts have no patent list and no competitor chapter
    # (MANIFEST.md); "核心竞争力分析" and a "发明专利" mention in 释义 must not trigger one.
    text = read_text(PDF / name)
    assert locate(text.pages, text.outline) == []
