"""Find the patent and competitor pages from page texts (pure; no PDF access).

Order of evidence:
1. the PDF outline (bookmarks), when it names a target section;
2. headings in the page text (``（二）公司主要竞争对手``, ``3、行业内的主要企业``, ``（3）专利``);
3. patent-table evidence on a page: patent numbers (``ZL201610769100.X``, ``2020304476719``) and
   patent table headers (专利名称 + 专利号/申请号), so continuation pages and appendices are found
   even where no heading is repeated.

Works on pypdfium2 page texts and on the page-by-page full texts alike (tables flattened to lines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from core.records import SectionKind
from extractors.pdftext import OutlineEntry
from extractors.text import squash

#: Chinese patent / application numbers, on whitespace-free text (numbers wrap inside table cells).
PATENT_NUMBER = re.compile(
    r"ZL\d{8,12}\.?[\dXx]"  # granted: ZL + application number
    r"|(?<![\d./])(?:19|20)\d{10}\.?[\dXx](?![\d])"  # application number, 12 digits + check digit
)
_PATENT_HEADER_NAME = re.compile(r"专利名称|专利名(?!下)|发明名称")
_PATENT_HEADER_NUMBER = re.compile(r"专利号|申请号|专利申请号")

_NUMERAL = "一二三四五六七八九十"
HEADING = re.compile(
    rf"^\s*(?P<mark>第[{_NUMERAL}]+节|[{_NUMERAL}]+、|[（(][{_NUMERAL}]+[）)]|\d{{1,2}}[、．]|\d{{1,2}}\.(?=\s*\D)|[（(]\d{{1,2}}[）)]|[①-⑳])"
    r"\s*(?P<title>\S.{0,40})$"
)
_TOC_LINE = re.compile(r"\.{4,}|…{2,}|·{4,}|-{6,}")

COMPETITOR_TITLE = re.compile(
    r"主要竞争对手|竞争对手的?基本情况|行业内的?主要企业|主要竞争企业|同行业可比公司|可比(?:上市)?公司(?:的)?(?:选取|情况|基本情况)"
)
#: Financial-ratio comparisons mention 可比公司 but are not the competitor chapter.
COMPETITOR_EXCLUDE = re.compile(
    r"费用|毛利|周转|折旧|偿债|研发投入|风险|成本|收入|应收|存货|资产|利润|薪酬|单价|价格|估值|市盈率|税|现金流"
)
PATENT_TITLE = re.compile(r"^(?:[^，。]{0,12})?(?:发明)?专利(?:权)?(?:情况|及.*)?$|^(?:境内|境外|国内|国外).{0,4}专利")

MAX_COMPETITOR_PAGES = 15


@dataclass(frozen=True)
class Heading:
    page: int
    level: int
    title: str


@dataclass(frozen=True)
class Located:
    kind: SectionKind
    title: str
    pages: tuple[int, ...]
    located_by: Literal["outline", "heading", "keyword"]


def heading_level(mark: str) -> int:
    if mark.startswith("第"):
        return 0
    if mark[0] in _NUMERAL:
        return 1
    if mark[0] in "（(" and mark[1] in _NUMERAL:
        return 2
    if mark[0].isdigit():
        return 3
    if mark[0] in "（(":
        return 4
    return 5  # circled numbers ①②


def headings(pages: Sequence[str]) -> list[Heading]:
    out: list[Heading] = []
    for number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            if _TOC_LINE.search(line):
                continue
            m = HEADING.match(line.strip())
            if not m:
                continue
            title = m.group("title").strip()
            if re.match(r"^[\d.,%\s]+$", title) or len(title) < 2:
                continue
            out.append(Heading(number, heading_level(m.group("mark")), title))
    return out


def is_competitor_heading(title: str) -> bool:
    return bool(COMPETITOR_TITLE.search(title)) and not COMPETITOR_EXCLUDE.search(title)


def patent_evidence(text: str) -> tuple[int, bool]:
    """(number of patent numbers, has a patent table header) for one page."""
    flat = squash(text)
    numbers = len(PATENT_NUMBER.findall(flat))
    header = bool(_PATENT_HEADER_NAME.search(flat) and _PATENT_HEADER_NUMBER.search(flat))
    return numbers, header


def patent_pages(pages: Sequence[str]) -> list[int]:
    """Pages holding patent-table rows: two or more patent numbers, or a patent table header; a page
    with a single number next to such a page is the table's first or last row, and is kept too."""
    evidence = [patent_evidence(text) for text in pages]
    strong = {n for n, (count, header) in enumerate(evidence, start=1) if count >= 2 or header}
    weak = {n for n, (count, _) in enumerate(evidence, start=1) if count == 1 and (n - 1 in strong or n + 1 in strong)}
    return sorted(strong | weak)


def runs(numbers: Sequence[int], gap: int = 1) -> list[tuple[int, ...]]:
    """Group sorted page numbers into runs, tolerating ``gap - 1`` missing pages."""
    groups: list[list[int]] = []
    for n in sorted(set(numbers)):
        if groups and n - groups[-1][-1] <= gap:
            groups[-1].append(n)
        else:
            groups.append([n])
    return [tuple(g) for g in groups]


def _section_end(hs: list[Heading], i: int, last_page: int) -> int:
    start = hs[i]
    for h in hs[i + 1 :]:
        if h.level <= start.level and not is_competitor_heading(h.title):
            # the next section starts on this page: the competitor text ends here or just before
            return h.page
    return last_page


def competitor_sections(pages: Sequence[str]) -> list[Located]:
    hs = headings(pages)
    found: list[Located] = []
    covered: set[int] = set()
    for i, h in enumerate(hs):
        if h.page in covered or not is_competitor_heading(h.title):
            continue
        end = min(_section_end(hs, i, len(pages)), h.page + MAX_COMPETITOR_PAGES - 1)
        span = tuple(range(h.page, end + 1))
        covered.update(span)
        found.append(Located(SectionKind.COMPETITOR, h.title, span, "heading"))
    return found


def patent_sections(pages: Sequence[str]) -> list[Located]:
    hits = patent_pages(pages)
    if not hits:
        return []
    hs = headings(pages)
    out = []
    for run in runs(hits, gap=2):
        title = next((h.title for h in hs if h.page in (run[0] - 1, run[0]) and "专利" in h.title), "专利")
        out.append(Located(SectionKind.PATENT, title, tuple(range(run[0], run[-1] + 1)), "keyword"))
    return out


def from_outline(outline: Sequence[OutlineEntry], page_count: int) -> list[Located]:
    out: list[Located] = []
    for i, e in enumerate(outline):
        kind = None
        if is_competitor_heading(e.title):
            kind = SectionKind.COMPETITOR
        elif "专利" in e.title and not COMPETITOR_EXCLUDE.search(e.title):
            kind = SectionKind.PATENT
        if kind is None:
            continue
        end = page_count
        for nxt in outline[i + 1 :]:
            if nxt.level <= e.level:
                end = max(e.page, nxt.page)
                break
        out.append(Located(kind, e.title, tuple(range(e.page, end + 1)), "outline"))
    return out


def locate(pages: Sequence[str], outline: Sequence[OutlineEntry] = ()) -> list[Located]:
    """All target sections of a document, outline first, then headings and keyword evidence.

    Patent pages found by evidence are always added: bookmarks rarely cover appendix tables."""
    found = from_outline(outline, len(pages))
    if not any(s.kind is SectionKind.COMPETITOR for s in found):
        found += competitor_sections(pages)
    covered = {p for s in found if s.kind is SectionKind.PATENT for p in s.pages}
    found += [s for s in patent_sections(pages) if not set(s.pages) <= covered]
    return found


def split_fulltext_pages(text: str) -> list[str]:
    """Split a page-by-page full text (``## 第N页`` markers) into a list indexed by page - 1."""
    parts = re.split(r"^## 第(\d+)页\s*$", text, flags=re.M)
    pages: dict[int, str] = {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    if not pages:
        return []
    return [pages.get(n, "") for n in range(1, max(pages) + 1)]
