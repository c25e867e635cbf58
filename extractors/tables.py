"""pdfplumber on the target pages only.

Each page is cropped to drop the running header and footer, tables are found from ruling lines
(``snap_x_tolerance=6`` removes the sliver columns that double ruling creates in real
prospectuses), and every page is closed right after use so memory stays flat on 700-page files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pdfplumber

from core.errors import EncryptedPDFError, PDFError
from extractors.merge import Fragment, clean_rows

log = logging.getLogger(__name__)

TABLE_SETTINGS: dict[str, Any] = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_x_tolerance": 6,
    "snap_y_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
    "edge_min_length": 8,
    "text_x_tolerance": 2,
    "text_y_tolerance": 3,
}

#: Fraction of the page height cut at the top and bottom (running header, page number).
HEADER_FRACTION = 0.06
FOOTER_FRACTION = 0.06


def _is_fragment(rows: tuple[tuple[str, ...], ...]) -> bool:
    """Layout boxes and sliver tables are not data tables."""
    if len(rows) < 2:
        return True
    width = max(len(r) for r in rows)
    filled = sum(1 for r in rows for c in r if c)
    return width < 2 or filled < 3


def page_fragments(page: Any, number: int) -> list[Fragment]:
    """Tables on one pdfplumber page, as fragments with their vertical position."""
    height = float(page.height)
    body = page.crop((0, height * HEADER_FRACTION, float(page.width), height * (1 - FOOTER_FRACTION)), strict=False)
    out: list[Fragment] = []
    for table in body.find_tables(TABLE_SETTINGS):
        rows = clean_rows(
            table.extract(
                x_tolerance=TABLE_SETTINGS["text_x_tolerance"], y_tolerance=TABLE_SETTINGS["text_y_tolerance"]
            )
        )
        if _is_fragment(rows):
            continue
        _x0, top, _x1, bottom = table.bbox
        out.append(Fragment(number, rows, top=top / height, bottom=bottom / height))
    return out


def extract_fragments(path: Path | str, pages: Iterable[int]) -> list[Fragment]:
    """Table fragments on the given 1-based pages, in page order."""
    wanted = sorted(set(pages))
    if not wanted:
        return []
    try:
        pdf = pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises several unrelated types for bad files
        name = type(exc).__name__
        if "Password" in name or "password" in str(exc).lower() or "Encrypt" in name:
            raise EncryptedPDFError(f"{Path(path).name}: encrypted PDF") from exc
        raise PDFError(f"{Path(path).name}: pdfplumber cannot open the file ({name}: {exc})") from exc
    out: list[Fragment] = []
    with pdf:
        n = len(pdf.pages)
        for number in wanted:
            if not 1 <= number <= n:
                continue
            page = pdf.pages[number - 1]
            try:
                out.extend(page_fragments(page, number))
            finally:
                page.close()
    return out
