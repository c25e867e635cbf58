"""The built-in recipes that read more than one table: the patent list and the competitors.

Both implement :class:`extractors.recipes.base.Recipe`. They differ from a TOML table recipe in what
they collect: the patent list reads its ruled tables and falls back to the page text where the
tables gave fewer rows than the page prints; the competitors come from tables, sub-headings, lists
and prose of the competition chapter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.records import CompetitorMention, Engine, PatentRecord, PatentStatus, SectionKind, TableKind
from extractors.competitors import competitors_in_section, dedupe_mentions, mentions_in_table
from extractors.locate import HEADING, Located, is_patent_heading, prose_patent_page
from extractors.merge import MergedTable
from extractors.patents import (
    _GROUP,
    REFERENCE_CAPTION,
    infer_columns,
    is_number,
    is_reference_header,
    numbers_in_text,
    patents_from_lines,
    patents_in_prose,
    rows_to_patents,
    status_above,
)
from extractors.pdftext import PdfText
from extractors.recipes.base import DocContext, Found, Recipe
from extractors.recipes.registry import extra_kinds, register_kind, unregister_kind
from extractors.text import squash


def pages_of(located: Sequence[Located], kind: SectionKind) -> tuple[int, ...]:
    return tuple(sorted({p for s in located if s.kind is kind for p in s.pages}))


def section_title(located: Sequence[Located], page: int, kind: SectionKind) -> str | None:
    return next((s.title for s in located if s.kind is kind and page in s.pages), None)


def _caption_context(caption: str) -> tuple[str | None, str | None]:
    """(patent heading, holder group) from the lines above a table: '（2）已受理的专利', '①三联锻造'."""
    title = owner = None
    for line in caption.splitlines():
        flat = line.strip()
        m = HEADING.match(flat)
        if m and is_patent_heading(m.group("title")):
            title, owner = m.group("title").strip(), None
        elif m and (g := _GROUP.match(flat)) and len(flat) <= 24 and not re.search(r"[，。；：:]", flat):
            owner = g.group("name")
    return title, owner


def _lines_above(page_text: str, caption: Sequence[str]) -> list[str]:
    """The page's lines down to the caption's last line (the caption keeps only the last few lines
    above a table; the page text has them all). The caption itself when it cannot be placed."""
    lines = page_text.splitlines()

    def same(cap: str, line: str) -> bool:
        c, ln = squash(cap), squash(line)
        return bool(c) and (c in ln or (6 <= len(ln) <= len(c) and ln in c))

    at = [i for i, ln in enumerate(lines) if same(caption[-1], ln)]
    # a short last line ('体情况如下：') is printed under other tables too: the place where the caption's
    # lines before it are printed just before it as well
    whole = [
        i for i in at
        if all(i - j >= 0 and same(caption[-1 - j], lines[i - j]) for j in range(1, min(len(caption), 2)))
    ]  # fmt: skip
    if whole:
        return lines[: whole[0] + 1]
    return lines[: at[-1] + 1] if at else list(caption)


def table_status(text: PdfText, table: MergedTable) -> PatentStatus | None:
    """The status that the nearest lead sentence or heading above a table states (None: none).

    Read upwards from the table on its first page, and for the first table of a page on to the
    end of the page before; another table's rows end the search (two tables with nothing between)."""
    page = table.first_page or (table.pages[0] if table.pages else 0)
    if not 1 <= page <= text.page_count:
        return None
    caption = [ln for ln in table.caption.splitlines() if ln.strip()]
    lines = _lines_above(text.page(page), caption) if caption else []
    if table.started_on_page == 1 and page > 1:
        lines = text.page(page - 1).splitlines() + lines
    return status_above(lines)[0]


def _text_fallback(
    doc_key: str,
    text: PdfText,
    located: Sequence[Located],
    found: Sequence[PatentRecord],
    referenced: dict[int, int],
) -> list[PatentRecord]:
    """Rows read from the page text where the tables gave fewer rows than the page has numbers.
    ``referenced`` counts, per page, the numbers that a reference table (核心技术, 研发成果) cites."""
    out: list[PatentRecord] = []
    seen = {(p.number, p.seq) for p in found}
    from_tables = {p.number for p in found}
    for page in pages_of(located, SectionKind.PATENT):
        if not 1 <= page <= text.page_count:
            continue
        body = text.page(page)
        numbers = numbers_in_text(body)
        rows = sum(1 for p in found if p.page == page) + referenced.get(page, 0)
        if len(numbers) <= rows:
            continue
        title = section_title(located, page, SectionKind.PATENT)
        before = [p for p in (*found, *out) if p.page < page and p.seq and p.seq.isdigit()]
        last_seq = int(before[-1].seq) if before and before[-1].seq else None
        parsed = patents_from_lines(doc_key, page, body.splitlines(), title=title, last_seq=last_seq)
        # a number a table already gave is that row read again from the flattened text
        extra = [p for p in parsed if (p.number, p.seq) not in seen and p.number not in from_tables]
        seen.update((p.number, p.seq) for p in extra)
        out += extra
    return out + _prose_only(doc_key, text, located, [*found, *out])


def _prose_only(
    doc_key: str, text: PdfText, located: Sequence[Located], found: Sequence[PatentRecord]
) -> list[PatentRecord]:
    """A patent section that has no table at all: its patents are given in sentences."""
    out: list[PatentRecord] = []
    for section in (s for s in located if s.kind is SectionKind.PATENT):
        if any(p.page in section.pages for p in found):
            continue
        for page in section.pages:
            if 1 <= page <= text.page_count and prose_patent_page(text.page(page)):
                out += patents_in_prose(doc_key, page, text.page(page), title=section.title)
    return out


@dataclass(frozen=True)
class PatentsRecipe:
    """The patent list: ruled tables whose columns read as a patent list, then the page text where the
    tables gave fewer rows than the page prints. Tables citing patents (核心技术, 研发成果) are
    recognised as references and kept out."""

    name: str = "patents"
    sheet: str = "Patents"

    def candidate_pages(self, doc: DocContext) -> set[int]:
        return set(pages_of(doc.located, SectionKind.PATENT))

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        if infer_columns(table.header, [r for _, r in table.rows]) is None:
            return None
        caption = table.caption.splitlines()[-1] if table.caption else ""
        reference = is_reference_header(table.header) or bool(REFERENCE_CAPTION.search(squash(caption)))
        return "patent_reference" if reference else "patent"

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        patents: list[PatentRecord] = []
        referenced: dict[int, int] = {}
        plumber_pages: set[int] = set()
        for engine, merged in tables.items():
            for t in merged:
                kind = self.kind_of(t, doc)
                if kind == "patent_reference":
                    for page, cells in t.rows:
                        if any(is_number(c) for c in cells):
                            referenced[page] = referenced.get(page, 0) + 1
                if kind != "patent":
                    continue
                if engine != "pdfplumber" and set(t.pages) & plumber_pages:
                    continue  # the second engine only fills pages the first one missed
                title, owner = _caption_context(t.caption)
                title = title or section_title(doc.located, t.pages[0], SectionKind.PATENT)
                patents += rows_to_patents(
                    doc.doc_key, t.header, t.rows, default_owner=owner, title=title, status=table_status(doc.text, t)
                )
                if engine == "pdfplumber":
                    plumber_pages.update(t.pages)
        patents += _text_fallback(doc.doc_key, doc.text, doc.located, patents, referenced)
        # the same printed row read twice (overlapping sections, two engines) counts once; the same
        # number printed in two rows of the list (a patent listed under two products) is kept twice
        seen: set[tuple[str, int, str | None]] = set()
        unique: list[PatentRecord] = []
        for p in patents:
            if (p.number, p.page, p.seq) not in seen:
                seen.add((p.number, p.page, p.seq))
                unique.append(p)
        return Found(records=tuple(unique))


@dataclass(frozen=True)
class CompetitorsRecipe:
    """The competitors of the competition chapter: the name column of its tables, then sub-headings,
    numbered items, description subjects and cued enumerations of its text."""

    name: str = "competitors"
    sheet: str = "Competitors"

    def candidate_pages(self, doc: DocContext) -> set[int]:
        return set(pages_of(doc.located, SectionKind.COMPETITOR))

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        on_pages = set(table.pages) & self.candidate_pages(doc)
        return "competitor" if on_pages and mentions_in_table("", table.header, table.rows[:1]) else None

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        mentions: list[CompetitorMention] = []
        for merged in tables.values():
            for t in merged:
                if self.kind_of(t, doc) == "competitor" and PATENTS.kind_of(t, doc) is None:
                    mentions += mentions_in_table(
                        doc.doc_key,
                        t.header,
                        t.rows,
                        issuer=doc.issuer,
                        section_title=section_title(doc.located, t.pages[0], SectionKind.COMPETITOR),
                    )
        for s in doc.located:
            if s.kind is SectionKind.COMPETITOR:
                mentions += competitors_in_section(
                    doc.doc_key,
                    [(p, doc.text.page(p)) for p in s.pages if 1 <= p <= doc.text.page_count],
                    section_title=s.title,
                    issuer=doc.issuer,
                )
        return Found(records=tuple(dedupe_mentions(mentions)))


__all__ = ["BUILTIN_KINDS", "COMPETITORS", "PATENTS", "register_kind", "registered_kinds", "unregister_kind"]

PATENTS = PatentsRecipe()
COMPETITORS = CompetitorsRecipe()

#: The recipes every document runs, in the order a table is offered to them for its kind (a table
#: that reads as a patent list is never a competitor table).
BUILTIN_KINDS: tuple[Recipe, ...] = (PATENTS, COMPETITORS)


def registered_kinds(*, builtin: bool = True) -> tuple[Recipe, ...]:
    """Every kind a document runs: the built-in ones (unless ``builtin=False``), then the registered
    ones (:func:`extractors.recipes.registry.register_kind`)."""
    return (*(BUILTIN_KINDS if builtin else ()), *extra_kinds())
