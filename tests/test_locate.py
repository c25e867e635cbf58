"""Section location on the page-by-page full texts of five real prospectuses (pages per MANIFEST.md)."""

from __future__ import annotations

from functools import cache

import pytest

from core.records import SectionKind
from extractors.locate import Located, headings, locate, patent_evidence, split_fulltext_pages
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


# MANIFEST.md: the patent tables' pages. Every listed page must be found.
@pytest.mark.parametrize(
    "code, listed",
    [
        ("001282", range(185, 193)),
        ("301563", range(201, 203)),
        ("603418", [*range(158, 162), *range(383, 391)]),
        ("688775", range(493, 503)),
        ("920100", [127]),
    ],
)
def test_patent_pages_listed_in_the_manifest_are_found(code: str, listed: range) -> None:
    assert set(listed) <= covered(code, SectionKind.PATENT)


def test_001282_patent_section_is_exactly_the_patent_list() -> None:
    runs = [s.pages for s in located("001282") if s.kind is SectionKind.PATENT]
    assert tuple(range(185, 193)) in runs


def test_688775_appendix_patent_table_is_found_from_its_first_page() -> None:
    # MANIFEST lists 493–502, but row 261 is on p493: the appendix table starts earlier (p464).
    section = next(s for s in located("688775") if s.kind is SectionKind.PATENT and 493 in s.pages)
    assert section.pages[0] == 464 and section.pages[-1] == 502
    assert "专利申请号" in pages("688775")[463] or "专利号" in pages("688775")[463]


# MANIFEST.md: the competitor chapters. The chapter heading page must start a located section,
# and that section must stay inside the chapter.
@pytest.mark.parametrize(
    "code, start, chapter",
    [
        ("001282", 121, range(121, 124)),
        ("301563", 174, range(174, 177)),
        ("603418", 132, range(132, 145)),
        ("603418", 136, range(132, 145)),
        ("603418", 141, range(132, 145)),
        ("688775", 202, range(202, 207)),
        ("920100", 110, range(110, 119)),
        ("920100", 114, range(110, 119)),
    ],
)
def test_competitor_chapters(code: str, start: int, chapter: range) -> None:
    section = next(s for s in located(code) if s.kind is SectionKind.COMPETITOR and s.pages[0] == start)
    assert set(section.pages) <= set(chapter) | {chapter[-1] + 1}
    assert section.located_by == "heading"


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
    # 920100 p127: "ZL202311045\n168.X" — the number wraps inside its cell
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
