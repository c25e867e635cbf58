"""One document end to end: text pass → locate → pdfplumber (and tabula) on target pages → records."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from pathlib import Path

from core.errors import EngineUnavailableError, PDFError
from core.records import (
    CompetitorMention,
    DocumentExtraction,
    Engine,
    ExtractedTable,
    PatentRecord,
    RecipeRow,
    Section,
    SectionKind,
    TableKind,
    TableRow,
)
from extractors import tables as plumber
from extractors import tabula_engine
from extractors.competitors import competitors_in_section, dedupe_mentions, mentions_in_table
from extractors.locate import HEADING, Located, is_patent_heading, locate
from extractors.merge import MergedTable, merge_fragments
from extractors.patents import (
    _GROUP,
    REFERENCE_CAPTION,
    infer_columns,
    is_number,
    is_reference_header,
    numbers_in_text,
    patents_from_lines,
    rows_to_patents,
    stated_counts,
    stated_total,
)
from extractors.pdftext import PdfText, read_text
from extractors.recipes import TableRecipe, candidate_pages, recipe_rows, resolve_page
from extractors.recipes import matches as recipe_matches
from extractors.text import squash

log = logging.getLogger(__name__)


def _pages_of(located: Sequence[Located], kind: SectionKind) -> tuple[int, ...]:
    return tuple(sorted({p for s in located if s.kind is kind for p in s.pages}))


def _table_kind(t: MergedTable, competitor_pages: set[int]) -> TableKind:
    if infer_columns(t.header, [r for _, r in t.rows]) is not None:
        caption = t.caption.splitlines()[-1] if t.caption else ""
        reference = is_reference_header(t.header) or bool(REFERENCE_CAPTION.search(squash(caption)))
        return "patent_reference" if reference else "patent"
    if set(t.pages) & competitor_pages and mentions_in_table("", t.header, t.rows[:1]):
        return "competitor"
    return "other"


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


def _section_title(located: Sequence[Located], page: int, kind: SectionKind) -> str | None:
    return next((s.title for s in located if s.kind is kind and page in s.pages), None)


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
    for page in _pages_of(located, SectionKind.PATENT):
        if not 1 <= page <= text.page_count:
            continue
        body = text.page(page)
        numbers = numbers_in_text(body)
        rows = sum(1 for p in found if p.page == page) + referenced.get(page, 0)
        if len(numbers) <= rows:
            continue
        title = _section_title(located, page, SectionKind.PATENT)
        before = [p for p in (*found, *out) if p.page < page and p.seq and p.seq.isdigit()]
        last_seq = int(before[-1].seq) if before and before[-1].seq else None
        parsed = patents_from_lines(doc_key, page, body.splitlines(), title=title, last_seq=last_seq)
        extra = [p for p in parsed if (p.number, p.seq) not in seen]
        seen.update((p.number, p.seq) for p in extra)
        out += extra
    return out


def _to_record(doc_key: str, t: MergedTable, engine: Engine, kind: TableKind) -> ExtractedTable:
    return ExtractedTable(
        doc_key=doc_key,
        engine=engine,
        kind=kind,
        header=t.header,
        rows=tuple(TableRow(page=p, cells=c) for p, c in t.rows),
    )


def lead(text: PdfText, max_chars: int = 6000) -> tuple[str, tuple[int, ...]]:
    """Opening text for a whole-document summary: cover, notices and the table of contents skipped."""
    out, pages = "", []
    for n, page in enumerate(text.pages, start=1):
        body = page.strip()
        if len(body) < 200 or "目录" in body[:60] or body.count("..") > 20 or body.count("…") > 10:
            continue
        out += body + "\n"
        pages.append(n)
        if len(out) >= max_chars:
            break
    return out[:max_chars], tuple(pages)


def table_context(t: MergedTable, text: PdfText, lines: int = 3) -> str:
    """The text just above a table: the last lines of its caption, and for a table that starts at the
    top of its page, the end of the previous page (where its title often stands)."""
    before = ""
    if t.first_top <= 0.25 and 2 <= t.first_page <= text.page_count + 1:
        tail = [ln.strip() for ln in text.page(t.first_page - 1).splitlines() if ln.strip()]
        before = "\n".join(tail[-4:])
    caption = [ln for ln in t.caption.splitlines() if ln.strip()][-lines:]
    return "\n".join([before, *caption]).strip()


def recipe_results(
    doc_key: str, text: PdfText, tables: Sequence[MergedTable], recipes: Sequence[TableRecipe]
) -> tuple[list[RecipeRow], list[str]]:
    """Rows of every table each recipe names, and a note per recipe that found nothing (pure)."""
    rows: list[RecipeRow] = []
    notes: list[str] = []
    for recipe in recipes:
        page = resolve_page(recipe, text.page_count)
        if recipe.page is not None and (page is None or page > text.page_count):
            notes.append(f"{recipe.name}: page {recipe.page} is beyond the document ({text.page_count} pages)")
            continue
        found = 0
        for t in tables:
            place = (t.first_page, t.index_on_page) if page is None or t.first_page == page else None
            if recipe.page is not None and place is None:
                continue
            context = table_context(t, text)
            if recipe_matches(recipe, t, context, place):
                found += 1
                rows += recipe_rows(recipe, doc_key, found, t, context)
        if not found:
            where = (
                f"page {page}" + (f", table {recipe.index}" if recipe.index else "") if page else "the candidate pages"
            )
            notes.append(f"{recipe.name}: no table matched on {where}")
    return rows, notes


def build_extraction(
    doc_key: str,
    text: PdfText,
    merged: dict[Engine, list[MergedTable]],
    *,
    located: Sequence[Located],
    issuer: str | None = None,
    warnings: Sequence[str] = (),
    seconds: float = 0.0,
    recipes: Sequence[TableRecipe] = (),
) -> DocumentExtraction:
    """Pure assembly of records from the text pass and merged tables (per engine)."""
    patent_pages = _pages_of(located, SectionKind.PATENT)
    competitor_pages = _pages_of(located, SectionKind.COMPETITOR)
    sections = tuple(
        Section(
            doc_key=doc_key,
            kind=s.kind,
            title=s.title,
            pages=s.pages,
            located_by=s.located_by,
            text="\n".join(text.page(p) for p in s.pages if 1 <= p <= text.page_count),
        )
        for s in located
    )
    records: list[ExtractedTable] = []
    patents: list[PatentRecord] = []
    mentions: list[CompetitorMention] = []
    plumber_patent_pages: set[int] = set()
    for engine, tables in merged.items():
        for t in tables:
            kind = _table_kind(t, set(competitor_pages))
            records.append(_to_record(doc_key, t, engine, kind))
            if kind == "patent":
                if engine != "pdfplumber" and set(t.pages) & plumber_patent_pages:
                    continue  # the second engine only fills pages the first one missed
                title, owner = _caption_context(t.caption)
                title = title or _section_title(located, t.pages[0], SectionKind.PATENT)
                found = rows_to_patents(doc_key, t.header, t.rows, default_owner=owner, title=title)
                patents += found
                if engine == "pdfplumber":
                    plumber_patent_pages.update(t.pages)
            elif kind == "competitor":
                mentions += mentions_in_table(
                    doc_key,
                    t.header,
                    t.rows,
                    issuer=issuer,
                    section_title=_section_title(located, t.pages[0], SectionKind.COMPETITOR),
                )
    referenced: dict[int, int] = {}
    for r in records:
        if r.kind == "patent_reference":
            for row in r.rows:
                if any(is_number(c) for c in row.cells):
                    referenced[row.page] = referenced.get(row.page, 0) + 1
    patents += _text_fallback(doc_key, text, located, patents, referenced)
    for s in located:
        if s.kind is SectionKind.COMPETITOR:
            mentions += competitors_in_section(
                doc_key,
                [(p, text.page(p)) for p in s.pages if 1 <= p <= text.page_count],
                section_title=s.title,
                issuer=issuer,
            )
    # the same printed row read twice (overlapping sections, two engines) counts once; the same
    # number printed in two rows of the list (a patent listed under two products) is kept twice
    seen: set[tuple[str, int, str | None]] = set()
    unique_patents = []
    for p in patents:
        if (p.number, p.page, p.seq) not in seen:
            seen.add((p.number, p.page, p.seq))
            unique_patents.append(p)
    stated = tuple(stated_counts(list(enumerate(text.pages, start=1))))
    rows, notes = recipe_results(doc_key, text, merged.get("pdfplumber", []), recipes) if recipes else ([], [])
    lead_text, lead_pages = lead(text)
    return DocumentExtraction(
        doc_key=doc_key,
        pages=text.page_count,
        lead_text=lead_text,
        lead_pages=lead_pages,
        patent_pages=patent_pages,
        competitor_pages=competitor_pages,
        sections=sections,
        tables=tuple(records),
        patents=tuple(unique_patents),
        competitors=tuple(dedupe_mentions(mentions)),
        stated_patents=stated,
        patent_statement=stated_total(stated, patent_pages),
        recipe_rows=tuple(rows),
        recipe_notes=tuple(notes),
        warnings=tuple(warnings),
        seconds=seconds,
    )


def extract_text_pages(doc_key: str, pages: Sequence[str], *, issuer: str | None = None) -> DocumentExtraction:
    """A document known only by its page texts (a page-by-page full text, an OCR result): the same
    location, competitor and stated-count logic as for a PDF, with patent rows from the text
    fallback since there are no ruled tables to read (pure)."""
    t0 = time.perf_counter()
    text = PdfText(list(pages))
    located = locate(text.pages)
    return build_extraction(doc_key, text, {}, located=located, issuer=issuer, seconds=time.perf_counter() - t0)


def extract_document(
    path: Path | str,
    doc_key: str,
    *,
    issuer: str | None = None,
    use_tabula: bool = False,
    recipes: Sequence[TableRecipe] = (),
) -> DocumentExtraction:
    """Raises EncryptedPDFError / ScannedPDFError / PDFError for unreadable files. ``recipes`` name
    more tables to find (their candidate pages come from the text pass, never the whole file)."""
    t0 = time.perf_counter()
    text = read_text(path)
    located = locate(text.pages, text.outline)
    targets = sorted(
        {p for s in located for p in s.pages} | {p for r in recipes for p in candidate_pages(r, text.pages)}
    )
    warnings: list[str] = [
        f"page {n}: {size} characters, over the per-page limit; skipped" for n, size in text.oversized
    ]
    merged: dict[Engine, list[MergedTable]] = {"pdfplumber": merge_fragments(plumber.extract_fragments(path, targets))}
    if use_tabula and targets:
        try:
            merged["tabula"] = merge_fragments(
                tabula_engine.extract_fragments(path, targets, {p: text.page(p) for p in targets})
            )
        except (EngineUnavailableError, PDFError) as exc:
            warnings.append(f"tabula skipped: {exc}")
            log.warning("%s: tabula skipped: %s", doc_key, exc)
    result = build_extraction(
        doc_key,
        text,
        merged,
        located=located,
        issuer=issuer,
        warnings=warnings,
        seconds=time.perf_counter() - t0,
        recipes=recipes,
    )
    log.info(
        "%s: %d pages, targets %s, %d tables, %d patents, %d competitors in %.2fs",
        doc_key,
        text.page_count,
        targets[:20],
        len(result.tables),
        len(result.patents),
        len(result.competitors),
        result.seconds,
    )
    return result
