"""One document end to end: text pass → locate → pdfplumber (and tabula) on target pages → records."""

from __future__ import annotations

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
from extractors.locate import Located, locate
from extractors.merge import MergedTable, merge_fragments
from extractors.patents import stated_counts, stated_total
from extractors.pdftext import PdfText, read_text
from extractors.recipes.base import DocContext, Recipe
from extractors.recipes.kinds import BUILTIN_KINDS, COMPETITORS, PATENTS

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
    records = [
        _to_record(doc_key, t, engine, next((k for r in BUILTIN_KINDS if (k := r.kind_of(t, doc))), "other"))
        for engine, tables in merged.items()
        for t in tables
    ]
    patents = PATENTS.collect(doc, merged).records
    competitors = COMPETITORS.collect(doc, merged).records
    found = [r.collect(doc, merged) for r in recipes]
    rows = [row for f in found for row in f.records if isinstance(row, RecipeRow)]
    notes = [n for f in found for n in f.notes]
    stated = tuple(stated_counts(list(enumerate(text.pages, start=1))))
    patent_pages = tuple(sorted(PATENTS.candidate_pages(doc)))
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
        patents=tuple(p for p in patents if isinstance(p, PatentRecord)),
        competitors=tuple(c for c in competitors if isinstance(c, CompetitorMention)),
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
    builtin_pages = {p for r in BUILTIN_KINDS for p in r.candidate_pages(doc)} - text.skipped
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
    return result
