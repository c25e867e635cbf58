"""One document end to end: text pass → locate → pdfplumber (and tabula) on target pages → records."""

from __future__ import annotations

import itertools
import logging
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
    TableKind,
    TableRow,
)
from extractors import tables as plumber
from extractors import tabula_engine
from extractors.docdate import cover_issuer, document_date
from extractors.locate import Located, locate, patent_evidence
from extractors.merge import MergedTable, merge_fragments
from extractors.patents import stated_counts, stated_total
from extractors.pdftext import PdfText, read_text
from extractors.recipes.base import DocContext, Recipe
from extractors.recipes.kinds import COMPETITORS, PATENTS, registered_kinds

log = logging.getLogger(__name__)


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


def build_extraction(
    doc_key: str,
    text: PdfText,
    merged: dict[Engine, list[MergedTable]],
    *,
    located: Sequence[Located],
    issuer: str | None = None,
    warnings: Sequence[str] = (),
    seconds: float = 0.0,
    recipes: Sequence[Recipe] = (),
    recipe_engine: Engine = "pdfplumber",
) -> DocumentExtraction:
    """Pure assembly of records from the text pass and merged tables (per engine): every recipe (the
    patent list, the competitors, then the table recipes asked for) collects its own records."""
    doc = DocContext(doc_key, text, located, issuer, recipe_engine)
    sections = tuple(_section(doc_key, s, text) for s in located)
    kinds = registered_kinds()
    records = [
        _to_record(doc_key, t, engine, next((k for r in kinds if (k := r.kind_of(t, doc))), "other"))
        for engine, tables in merged.items()
        for t in tables
    ]
    # every kind (built-in, registered, then the table recipes asked for) collects its records; each
    # record is kept by its type, none is dropped
    found = [r.collect(doc, merged) for r in (*kinds, *recipes)]
    kept = [rec for f in found for rec in f.records]
    patents = [p for p in kept if isinstance(p, PatentRecord)]
    competitors = [c for c in kept if isinstance(c, CompetitorMention)]
    rows = [row for row in kept if isinstance(row, RecipeRow)]
    placed = PatentRecord | CompetitorMention | RecipeRow
    unplaced = sorted({type(r).__name__ for r in kept if not isinstance(r, placed)})
    if unplaced:  # loud, never dropped: a record type needs its place in DocumentExtraction first
        raise TypeError(f"an extraction kind gave records of no known place: {', '.join(unplaced)}")
    notes = [n for f in found for n in f.notes]
    stated = tuple(stated_counts(list(enumerate(text.pages, start=1))))
    # the pages the list is printed on: its rows, and the section's pages with list evidence (a row's
    # tail under a repeated header); not the heading's page or a page of prose between two tables
    row_pages = {p.page for p in patents if isinstance(p, PatentRecord)}
    listed = {
        p for p in PATENTS.candidate_pages(doc) if 1 <= p <= text.page_count and any(patent_evidence(text.page(p)))
    }
    patent_pages = tuple(sorted(row_pages | listed)) if row_pages else tuple(sorted(PATENTS.candidate_pages(doc)))
    lead_text, lead_pages = lead(text)
    return DocumentExtraction(
        doc_key=doc_key,
        pages=text.page_count,
        lead_text=lead_text,
        lead_pages=lead_pages,
        patent_pages=patent_pages,
        competitor_pages=tuple(sorted(COMPETITORS.candidate_pages(doc))),
        sections=sections,
        tables=tuple(records),
        patents=tuple(patents),
        competitors=tuple(competitors),
        stated_patents=stated,
        patent_statement=stated_total(stated, patent_pages),
        recipe_rows=tuple(rows),
        recipe_notes=tuple(notes),
        warnings=tuple(warnings),
        seconds=seconds,
    )


def _section(doc_key: str, s: Located, text: PdfText) -> Section:
    """A located section: its pages' texts joined by newlines, and where each page starts in that
    text (the model's competitor names are checked against the one page they name)."""
    texts = [text.page(p) for p in s.pages if 1 <= p <= text.page_count]
    starts = tuple(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
    return Section(
        doc_key=doc_key,
        kind=s.kind,
        title=s.title,
        pages=s.pages,
        located_by=s.located_by,
        text="\n".join(texts),
        page_starts=starts if len(texts) == len(s.pages) else (),
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
    recipes: Sequence[Recipe] = (),
    recipe_engine: Engine = "pdfplumber",
) -> DocumentExtraction:
    """Raises EncryptedPDFError / ScannedPDFError / PDFError for unreadable files. ``recipes`` name
    more tables to find (their candidate pages come from the text pass, never the whole file);
    ``recipe_engine="tabula"`` has them read tabula's tables (run on those pages) instead of pdfplumber's."""
    t0 = time.perf_counter()
    text = read_text(path)
    located = locate(text.pages, text.outline)
    doc = DocContext(doc_key, text, located, issuer)
    recipe_pages = {p for r in recipes for p in r.candidate_pages(doc)} - text.skipped
    builtin_pages = {p for r in registered_kinds() for p in r.candidate_pages(doc)} - text.skipped
    targets = sorted(builtin_pages | recipe_pages)
    warnings: list[str] = [f"page {n}: {why}; skipped" for n, why in text.refused]
    merged: dict[Engine, list[MergedTable]] = {
        "pdfplumber": merge_fragments(plumber.extract_fragments(path, targets, warnings))
    }
    tabula_pages = targets if use_tabula else []
    if recipe_engine == "tabula":
        tabula_pages = sorted(set(tabula_pages) | recipe_pages)
    if tabula_pages:
        try:
            merged["tabula"] = merge_fragments(
                tabula_engine.extract_fragments(path, tabula_pages, {p: text.page(p) for p in tabula_pages})
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
        recipe_engine=recipe_engine,
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
    dated = document_date(text.pages)
    if dated is not None:
        source = f"{dated.source} p.{dated.page}"
        result = result.model_copy(update={"document_date": dated.date, "date_source": source})
    issuer_name = cover_issuer(text.pages)
    if issuer_name is not None:
        result = result.model_copy(update={"issuer_name": issuer_name})
    return result
