"""pdfplumber on the target pages only.

Each page is cropped to drop the running header and footer, tables are found from ruling lines,
and every page is closed right after use so memory stays flat on 700-page files.
``snap_x_tolerance=6`` removes the sliver columns that double ruling creates in real prospectuses;
snapping is global to what it sees, so each ruled block (rules joined by column rules) is read in
its own crop: two stacked tables with borders a few points apart (Moutai's 采购商品 and 出售商品
tables) would otherwise be snapped together and lose their first and last columns.

Open-sided tables: many prospectuses rule every row and every inner column but draw no outer left
and right border (the Word "open sides" style). pdfplumber's line strategy then loses the first and
last column, e.g. 序号 and 授权日 of 002638's patent list. :func:`open_side_rules` finds each ruled
block (horizontal rules connected by the inner column rules) and closes it with a virtual border
at the ends of its horizontal rules.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber

from core.errors import EncryptedPDFError, PDFError
from extractors.merge import Fragment, clean_rows, header_by_shape, looks_like_header
from extractors.pdftext import PDF_LIBRARY_ERRORS, pdf_boundary

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
    """Layout boxes and sliver tables are not data tables: see :func:`counts_as_table`."""
    return not counts_as_table(rows)


def counts_as_table(rows: tuple[tuple[str, ...], ...]) -> bool:
    """A ruled grid holds table rows when it has at least two columns and two filled cells, so a
    one-row table (labels and values side by side) is a table; a single-cell box or a one-column
    frame is not (see :func:`is_box`)."""
    if not rows:
        return False
    width = max(len(r) for r in rows)
    filled = sum(1 for r in rows for c in r if c)
    return width >= 2 and filled >= 2


def is_box(rows: tuple[tuple[str, ...], ...]) -> bool:
    """A framed box with text (a note, a stamp, a title frame): one column or one filled cell. A
    reader counts it among the tables of the page, so "the Nth table on page P" counts it too; it
    holds no table rows."""
    return any(c for r in rows for c in r) and not counts_as_table(rows)


#: A one-row table that starts this high on its page (fraction of the height) may be the tail of a
#: table on the page before (the same share as ``extractors.merge.EDGE``).
TAIL_TOP = 0.22


def is_tail(rows: tuple[tuple[str, ...], ...], top: float) -> bool:
    """The last row of a table, alone at the top of the next page: one row of three or more filled
    cells right under the running header. Kept so that the merge can join it to its table."""
    return len(rows) == 1 and top <= TAIL_TOP and sum(1 for c in rows[0] if c) >= 3


#: Horizontal rules shorter than this (points, after joining a row's cell segments) are underlines.
MIN_RULE_LENGTH = 60.0
#: Two rules at the same height within this many points are one rule; a border this close is present.
RULE_TOLERANCE = 3.0


def _rules(edges: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """Horizontal rules as (y, x0, x1): cell-by-cell segments at one height are joined."""
    by_y: dict[int, list[tuple[float, float]]] = {}
    for e in edges:
        if e["orientation"] == "h":
            by_y.setdefault(round(float(e["top"])), []).append((float(e["x0"]), float(e["x1"])))
    rules = []
    for y, segments in sorted(by_y.items()):
        segments.sort()
        x0, x1 = segments[0]
        for a, b in segments[1:]:
            if a - x1 > RULE_TOLERANCE:
                if x1 - x0 >= MIN_RULE_LENGTH:
                    rules.append((float(y), x0, x1))
                x0, x1 = a, b
            else:
                x1 = max(x1, b)
        if x1 - x0 >= MIN_RULE_LENGTH:
            rules.append((float(y), x0, x1))
    return rules


def _vertical_spans(verticals: list[dict[str, Any]]) -> list[tuple[float, float, float]]:
    """Vertical rules as (x, top, bottom): pieces at one x that touch are one rule, as a column rule
    drawn cell by cell is one rule to a reader (pure)."""
    pieces = sorted((float(v["x0"]), float(v["top"]), float(v["bottom"])) for v in verticals)
    columns: list[list[tuple[float, float, float]]] = []
    for piece in pieces:
        if columns and piece[0] - columns[-1][0][0] <= RULE_TOLERANCE:
            columns[-1].append(piece)
        else:
            columns.append([piece])
    spans: list[tuple[float, float, float]] = []
    for column in columns:
        x = column[0][0]
        top, bottom = -1.0, -1.0
        for _x, a, b in sorted(column, key=lambda p: p[1]):
            if top >= 0 and a <= bottom + RULE_TOLERANCE:
                bottom = max(bottom, b)
                continue
            if top >= 0:
                spans.append((x, top, bottom))
            top, bottom = a, b
        if top >= 0:
            spans.append((x, top, bottom))
    return spans


def _blocks(
    rules: list[tuple[float, float, float]], verticals: list[dict[str, Any]]
) -> list[list[tuple[float, float, float]]]:
    """Runs of horizontal rules where each consecutive pair is joined by a vertical rule spanning the
    gap (a table's column rules)."""
    tol = RULE_TOLERANCE
    spans = _vertical_spans(verticals)

    def joined(a: tuple[float, float, float], b: tuple[float, float, float]) -> bool:
        lo, hi = max(a[1], b[1]), min(a[2], b[2])
        return any(top <= a[0] + tol and bottom >= b[0] - tol and lo - tol <= x <= hi + tol for x, top, bottom in spans)

    blocks: list[list[tuple[float, float, float]]] = []
    for rule in rules:
        if blocks:
            block = blocks[-1]
            left, right = min(r[1] for r in block), max(r[2] for r in block)
            inner = rule[1] >= left - tol and rule[2] <= right + tol and rule[2] - rule[1] < 0.6 * (right - left)
            if inner:
                continue  # a short rule inside the block (a header cell's own border) does not end it
            if joined(block[-1], rule):
                block.append(rule)
                continue
        blocks.append([rule])
    return blocks


def ruled_blocks(edges: list[dict[str, Any]]) -> list[tuple[float, float, float, float]]:
    """Bounding boxes (x0, top, x1, bottom) of the ruled blocks on a page, top to bottom (pure)."""
    verticals = [e for e in edges if e["orientation"] == "v"]
    return [
        (min(r[1] for r in b), b[0][0], max(r[2] for r in b), b[-1][0])
        for b in _blocks(_rules(edges), verticals)
        if len(b) >= 2
    ]


def open_side_rules(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Virtual outer borders for ruled blocks that have inner column rules but no outer ones.

    A block is a run of horizontal rules where each consecutive pair is joined by at least one
    vertical rule spanning the gap between them (the inner column rules). A block's left and right
    ends are those of its rules; where no vertical rule stands there, one is added (pure)."""
    rules = _rules(edges)
    verticals = [e for e in edges if e["orientation"] == "v"]
    tol = RULE_TOLERANCE
    blocks = _blocks(rules, verticals)
    out: list[dict[str, Any]] = []
    for block in blocks:
        if len(block) < 2:
            continue
        top, bottom = block[0][0], block[-1][0]
        for x in (min(r[1] for r in block), max(r[2] for r in block)):
            present = any(
                abs(float(v["x0"]) - x) <= tol and float(v["top"]) <= top + tol and float(v["bottom"]) >= bottom - tol
                for v in verticals
            )
            if not present:
                out.append(
                    {
                        "object_type": "line",
                        "x0": x,
                        "x1": x,
                        "top": top,
                        "bottom": bottom,
                        "width": 0.0,
                        "height": bottom - top,
                    }
                )
    return out


def page_fragments(page: Any, number: int, *, boxes: bool = False) -> list[Fragment]:
    """Tables on one pdfplumber page, as fragments with their vertical position, each numbered as a
    reader counts the tables of a page: top to bottom, one-row tables and framed boxes with text
    included, empty grids not. Boxes are returned only when ``boxes`` is set (the page preview)."""
    height = float(page.height)
    body = page.crop((0, height * HEADER_FRACTION, float(page.width), height * (1 - FOOTER_FRACTION)), strict=False)
    out: list[Fragment] = []
    tables = sorted(_find_tables(body), key=lambda t: t.bbox[1])
    above = height * HEADER_FRACTION
    counted = 0
    for table in tables:
        x0, top, x1, bottom = table.bbox
        raw = clean_rows(
            fill_merged_rows(
                table.extract(
                    x_tolerance=TABLE_SETTINGS["text_x_tolerance"], y_tolerance=TABLE_SETTINGS["text_y_tolerance"]
                ),
                _cell_boxes(table),
            )
        )
        if raw and top / height > TOP_ZONE and not looks_like_header(raw[0]) and not header_by_shape(raw):
            raw = header_above(page, table, above) + raw
        rows = drop_slivers(raw, _column_widths(table))
        lead, rows = split_lead_text(rows)
        if not any(c for r in rows for c in r):
            continue
        counted += 1
        if _is_fragment(rows) and not boxes:
            continue
        caption = ""
        if top - above > 4:
            caption = page.crop((0, above, float(page.width), top), strict=False).extract_text() or ""
        caption = "\n".join([caption, *lead]) if lead else caption
        above = bottom
        out.append(
            Fragment(
                number,
                rows,
                top=top / height,
                bottom=bottom / height,
                caption=caption_lines(caption),
                index=counted,
                x0=float(x0),
                x1=float(x1),
                open_below=not _text_between(page, bottom, height * (1 - FOOTER_FRACTION)),
            )
        )
    return out


def _text_between(page: Any, top: float, bottom: float) -> bool:
    """Some printed character stands between these heights of the page (points from its top)."""
    return any(top < float(ch["top"]) < bottom and str(ch.get("text", "")).strip() for ch in page.chars)


@dataclass(frozen=True)
class PageTable:
    """One table of a page as a reader counts them: its number, where it stands, its first row."""

    index: int
    bbox: tuple[float, float, float, float]
    rows: int
    columns: int
    first_row: tuple[str, ...]
    #: a framed box with text: counted, but holds no table rows
    box: bool = False


def page_tables(path: Path | str, page: int) -> list[PageTable]:
    """The numbered tables of one page, top to bottom, numbered as a place recipe counts them
    (``counts_as_table``): the preview a user reads before writing "the Nth table on page P"."""
    out: list[PageTable] = []
    try:
        pdf = pdfplumber.open(str(path))
    except Exception as exc:  # pdfminer raises several unrelated types for bad files
        raise PDFError(f"{Path(path).name}: pdfplumber cannot open the file ({type(exc).__name__}: {exc})") from exc
    with pdf:
        if not 1 <= page <= len(pdf.pages):
            raise PDFError(f"{Path(path).name}: page {page} is beyond the document ({len(pdf.pages)} pages)")
        p = pdf.pages[page - 1]
        fragments = page_fragments(p, page, boxes=True)
        height = float(p.height)
        for f in fragments:
            out.append(
                PageTable(
                    index=f.index,
                    bbox=(round(f.x0, 1), round(f.top * height, 1), round(f.x1, 1), round(f.bottom * height, 1)),
                    rows=len(f.rows),
                    columns=f.n_cols,
                    first_row=f.rows[0],
                    box=is_box(f.rows),
                )
            )
        p.close()
    return out


#: A grid starting this high on its page (fraction of the height) continues a table from the page
#: before: the text above it is the running header, not its header.
TOP_ZONE = 0.15
#: How far above a ruled grid (points) an unruled header may stand.
HEADER_BAND = 45.0
#: a figure, not a label ('2,400.00', '25%', '2009'); a lone digit of '第 1 年' is part of a label
_FIGURE = re.compile(r"-?(?:\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+|\d{3,})%?")
_NOT_LABEL = re.compile(r"[，。；：:;]|单位|^[（(]?[一二三四五六七八九十\d]+[、.．)）]")


def header_above(page: Any, table: Any, above: float) -> tuple[tuple[str, ...], ...]:
    """The header of a grid whose header is printed above its rules (an unruled header over a ruled
    body): the label lines right above the grid, each word put in the column under which it stands,
    all lines joined per column into one header row. Nothing when a line there reads as text (a
    sentence, a unit line, a numbered heading) or holds a figure, or fewer than two columns get a label."""
    x0, top, x1, _bottom = table.bbox
    band = page.crop((x0 - 2, max(above, top - HEADER_BAND), x1 + 2, top), strict=False)
    words = band.extract_words(x_tolerance=TABLE_SETTINGS["text_x_tolerance"], keep_blank_chars=False)
    if not words:
        return ()
    lines: list[list[dict[str, Any]]] = []
    for w in sorted(words, key=lambda w: (round(float(w["top"])), float(w["x0"]))):
        if lines and abs(float(lines[-1][0]["top"]) - float(w["top"])) <= 3:
            lines[-1].append(w)
        else:
            lines.append([w])
    label_lines: list[list[dict[str, Any]]] = []
    for line in reversed(lines):  # from the grid upwards, while the lines are labels
        text = "".join(w["text"] for w in line)
        if _NOT_LABEL.search(text) or any(_FIGURE.fullmatch(w["text"]) for w in line):
            break
        label_lines.insert(0, line)
    spans = _column_spans(table)
    if not label_lines or len(spans) < 2:
        return ()
    header = [""] * len(spans)
    for line in label_lines:
        for w in line:
            centre = (float(w["x0"]) + float(w["x1"])) / 2
            col = next((i for i, (a, b) in enumerate(spans) if a - 1 <= centre <= b + 1), None)
            if col is not None:
                header[col] += w["text"]
    if sum(1 for h in header if h) < 2:
        return ()
    return (tuple(header),)


def _column_spans(table: Any) -> list[tuple[float, float]]:
    """Each column's left and right edge, from its narrowest cell (a merged cell spans several)."""
    spans: list[tuple[float, float] | None] = []
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            while i >= len(spans):
                spans.append(None)
            if cell is None:
                continue
            a, b = float(cell[0]), float(cell[2])
            current = spans[i]
            if current is None or b - a < current[1] - current[0]:
                spans[i] = (a, b)
    return [s if s is not None else (0.0, 0.0) for s in spans]


Box = tuple[float, float, float, float]


def _cell_boxes(table: Any) -> list[list[Box | None]]:
    """Each row's cells as pdfplumber places them: a cell's box in the row and column where it
    starts, None where a merged cell from above or from the left covers the place."""
    return [
        [None if c is None else (float(c[0]), float(c[1]), float(c[2]), float(c[3])) for c in row.cells]
        for row in table.rows
    ]


def fill_merged_rows(rows: list[list[str | None]], boxes: list[list[Box | None]]) -> list[list[str | None]]:
    """A cell merged over several rows labels every row it spans: 采购太阳能背板 printed once for the
    2009 and 2008 rows of a related-party grid is the trade of both. A place pdfplumber leaves empty
    (None) takes the text of the cell that starts in the same column in a row above when that cell
    spans whole rows of the grid: it starts on a row other cells start on too, and ends on the rule
    where a row below it ends. A cell that is empty in print stays empty, and so do the places of
    staggered rows (a name wrapped over two lines beside rows cut at other heights). A merged figure
    (a share printed once for a holder's two contributions) is one value of the group, not a label: it
    is not repeated. Only a row with text of its own takes the label: a grid that draws each cell as
    its own box cuts a logical row into slivers, and the sliver rows holding nothing but the merged
    cell's place are padding, dropped; so is the merged cell's first row when the label went to a row
    below and that first row holds nothing else (pure)."""
    tol = RULE_TOLERANCE
    out = [list(r) for r in rows]
    own = [_own_text(r, boxes[k] if k < len(boxes) else [], tol) for k, r in enumerate(rows)]
    emptied: list[tuple[int, int]] = []
    for i, row in enumerate(boxes):
        if sum(1 for b in row if b is not None) < 2:
            continue  # a row only this cell starts on: the rows beside it are cut elsewhere
        for j, box in enumerate(row):
            if box is None or i >= len(out) or j >= len(out[i]):
                continue
            text = re.sub(r"\s+", "", out[i][j] or "")
            if not text or _FIGURE.fullmatch(text):
                continue
            spanned: list[int] = []
            for k in range(i + 1, min(len(boxes), len(out))):
                below = boxes[k]
                row_bottom = min((b[3] for b in below if b is not None), default=None)
                if row_bottom is None or row_bottom > box[3] + tol:
                    break  # the cell does not cover the whole of this row
                if j >= len(below) or below[j] is not None or j >= len(out[k]) or out[k][j] is not None:
                    break
                spanned.append(k)
                if row_bottom >= box[3] - tol:
                    targets = [m for m in spanned if own[m]]
                    for m in targets:
                        out[m][j] = out[i][j]
                    if targets and not own[i]:
                        emptied.append((i, j))
                    break
    for i, j in emptied:
        out[i][j] = ""
    return out


def _own_text(row: Sequence[str | None], boxes: Sequence[Box | None], tol: float) -> bool:
    """The row prints something in a cell of its own height (not in a cell merged over the rows below)."""
    bottoms = [b[3] for b in boxes if b is not None]
    if not bottoms:
        return any(c and c.strip() for c in row)
    floor = min(bottoms)
    return any(
        (c or "").strip() and not (j < len(boxes) and (b := boxes[j]) is not None and b[3] > floor + tol)
        for j, c in enumerate(row)
    )


#: A column narrower than this (points) and empty in every row is an artefact of double ruling.
SLIVER_WIDTH = 8.0


def _column_widths(table: Any) -> list[float]:
    widths: list[float] = []
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            if i >= len(widths):
                widths.append(0.0)
            if cell is not None:
                widths[i] = max(widths[i], float(cell[2]) - float(cell[0]))
    return widths


def drop_slivers(rows: tuple[tuple[str, ...], ...], widths: list[float]) -> tuple[tuple[str, ...], ...]:
    """Remove sliver columns: narrow and empty in every row (pure)."""
    width = max((len(r) for r in rows), default=0)
    drop = {
        i
        for i in range(width)
        if i < len(widths) and widths[i] < SLIVER_WIDTH and not any(i < len(r) and r[i] for r in rows)
    }
    if not drop:
        return rows
    return tuple(tuple(c for i, c in enumerate(r) if i not in drop) for r in rows)


def _find_tables(body: Any) -> list[Any]:
    """Tables of a page, each ruled block found in its own crop (see the module docstring)."""
    blocks = ruled_blocks(body.edges)
    if len(blocks) <= 1:
        return list(body.find_tables(_settings(body)))
    found: list[Any] = []
    for x0, top, x1, bottom in blocks:
        region = body.crop((x0 - 2, top - 2, x1 + 2, bottom + 2), strict=False)
        found += region.find_tables(_settings(region))
    return found


def _settings(region: Any) -> dict[str, Any]:
    borders = open_side_rules(region.edges)
    return {**TABLE_SETTINGS, "explicit_vertical_lines": borders} if borders else TABLE_SETTINGS


#: a line of prose, not a title: long enough to be a sentence's line
PROSE_LINE = 20


def split_lead_text(rows: tuple[tuple[str, ...], ...]) -> tuple[list[str], tuple[tuple[str, ...], ...]]:
    """A grid that took in the text above its table (a frame drawn round a section: its heading and
    lead paragraph, one filled cell a line, then the table's header): those lines are the table's
    caption, not rows. Only a block of two or more one-cell lines with at least one line of prose
    before a row of two or more cells is taken; a single title row (a period, a group) stays a row."""
    head = 0
    while head < len(rows) and sum(1 for c in rows[head] if c.strip()) == 1:
        head += 1
    block, rest = rows[:head], rows[head:]
    if (
        head < 2
        or len(rest) < 3
        or max((len(r) for r in rows), default=0) < 3
        or not any(len("".join(c.split())) >= PROSE_LINE for r in block for c in r)
        or not (looks_like_header(rest[0]) or header_by_shape(rest))
        or sum(1 for r in rest if sum(1 for c in r if c.strip()) >= 2) < len(rest) - 1
    ):
        return [], rows
    return [next(c for c in r if c.strip()) for r in block], rest


def caption_lines(text: str, keep: int = 4) -> str:
    """The last few lines above a table: its heading, '单位：万元', a holder group like '①三联锻造'."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return "\n".join(lines[-keep:])


def extract_fragments(path: Path | str, pages: Iterable[int], warnings: list[str] | None = None) -> list[Fragment]:
    """Table fragments on the given 1-based pages, in page order. A page pdfplumber (pdfminer)
    cannot read (a damaged content stream, a deep chain of references) is skipped and named in
    ``warnings``; a file it cannot open raises :class:`PDFError` (every library exception is
    translated by :func:`~extractors.pdftext.pdf_boundary`)."""
    wanted = sorted(set(pages))
    if not wanted:
        return []
    with pdf_boundary(path, "pdfplumber cannot open the file"):
        pdf = pdfplumber.open(str(path))
    out: list[Fragment] = []
    try:
        with pdf_boundary(path, "pdfplumber cannot list the pages"):
            n = len(pdf.pages)
        for number in wanted:
            if not 1 <= number <= n:
                continue
            try:
                with pdf_boundary(path, f"page {number}"):
                    page = pdf.pages[number - 1]
                    try:
                        out.extend(page_fragments(page, number))
                    finally:
                        page.close()
            except EncryptedPDFError:
                raise
            except PDFError as exc:
                log.warning("%s; its tables are skipped", exc)
                if warnings is not None:
                    warnings.append(f"page {number}: tables unreadable ({exc}); skipped")
    finally:
        with contextlib.suppress(*PDF_LIBRARY_ERRORS):
            pdf.close()
    return out
