"""tabula-py as an optional second engine: one JVM call per document with the page list.

tabula needs Java; without it :class:`EngineUnavailableError` is raised and the pipeline carries on
with pdfplumber alone. Fragment tables (one row or one column, mostly empty) are dropped.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from core.errors import EngineUnavailableError, PDFError
from extractors.merge import Fragment, clean_rows
from extractors.tables import _is_fragment
from extractors.text import squash

log = logging.getLogger(__name__)


def java_available() -> bool:
    return shutil.which("java") is not None


def drop_empty_columns(rows: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    width = max((len(r) for r in rows), default=0)
    padded = [tuple(r) + ("",) * (width - len(r)) for r in rows]
    keep = [i for i in range(width) if any(r[i] for r in padded)]
    return tuple(tuple(r[i] for i in keep) for r in padded)


def assign_pages(tables: list[tuple[tuple[str, ...], ...]], page_texts: Mapping[int, str]) -> list[int]:
    """tabula's JSON has no page numbers; tables come in page order, so each is given the first
    page (not before the previous table's) whose text holds most of its cells."""
    pages = sorted(page_texts)
    flat = {p: squash(page_texts[p]) for p in pages}
    out: list[int] = []
    floor = 0
    for rows in tables:
        cells = [squash(c) for r in rows for c in r if len(squash(c)) >= 2][:40]
        best, best_score = pages[floor] if pages else 0, -1
        for idx in range(floor, len(pages)):
            score = sum(c in flat[pages[idx]] for c in cells)
            if score > best_score:
                best, best_score = pages[idx], score
                if score == len(cells):
                    break
        floor = pages.index(best) if best in pages else floor
        out.append(best)
    return out


def extract_fragments(
    path: Path | str, pages: Iterable[int], page_texts: Mapping[int, str] | None = None
) -> list[Fragment]:
    """Tables on ``pages`` in one tabula call; ``page_texts`` (from the text pass) places them."""
    wanted = sorted(set(pages))
    if not wanted:
        return []
    if not java_available():
        raise EngineUnavailableError("tabula-py needs a Java runtime (apt-get install default-jre-headless)")
    try:
        import tabula
    except ImportError as exc:  # pragma: no cover - it is a declared dependency
        raise EngineUnavailableError("tabula-py is not installed") from exc
    try:
        tables: Any = tabula.read_pdf(
            str(path),
            pages=wanted,
            lattice=True,
            multiple_tables=True,
            output_format="json",
            silent=True,
        )
    except Exception as exc:
        raise PDFError(f"{Path(path).name}: tabula failed ({type(exc).__name__}: {exc})") from exc
    kept = []
    for t in tables:
        rows = drop_empty_columns(clean_rows([[c.get("text", "") for c in r] for r in t.get("data", [])]))
        if not _is_fragment(rows):
            kept.append(rows)
    if len(wanted) == 1 or page_texts is None:
        numbers = [wanted[0] if len(wanted) == 1 else 0] * len(kept)
    else:
        numbers = assign_pages(kept, {p: page_texts[p] for p in wanted if p in page_texts})
    texts = page_texts or {}
    out: list[Fragment] = []
    below: dict[int, int] = {}  # page → the line after the last table placed there (tables come in page order)
    for page, rows in zip(numbers, kept, strict=True):
        fragment, end = place(Fragment(page, rows), texts.get(page, ""), below.get(page, 0))
        below[page] = end
        out.append(fragment)
    return out


def _line_of(cells: list[str], lines: list[str], start: int) -> int | None:
    """The first line from ``start`` that holds the first of ``cells``."""
    return next((i for i in range(start, len(lines)) if cells and cells[0] in squash(lines[i])), None)


def place(fragment: Fragment, page_text: str, start: int = 0) -> tuple[Fragment, int]:
    """tabula gives no text around a table: its caption (the lines above it) and its height on the page
    are read off the page text, at the line holding its first cells, so heading recipes and the
    cross-page merge work as for pdfplumber's tables. tabula lists a page's tables top to bottom: the
    search starts at ``start``, below the table placed before it. Returns the fragment and the line
    after its last row (``start`` when it cannot be placed)."""
    lines = [ln for ln in page_text.splitlines() if ln.strip()]

    def cells(row: tuple[str, ...]) -> list[str]:
        return [squash(c) for c in row if len(squash(c)) >= 2][:3]

    first = cells(fragment.rows[0]) if fragment.rows else []
    at = _line_of(first, lines, start)
    if at is None or not lines:
        return fragment, start
    last = cells(fragment.rows[-1])
    end = _line_of(last, lines, at) if len(fragment.rows) > 1 else at
    bottom = (end + 1) / len(lines) if end is not None else fragment.bottom
    caption = "\n".join(ln.strip() for ln in lines[max(0, at - 4) : at])
    placed = Fragment(fragment.page, fragment.rows, top=at / len(lines), bottom=bottom, caption=caption)
    return placed, (end if end is not None else at) + 1
