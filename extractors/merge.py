"""Merge table fragments that continue across pages (pure).

Prospectus tables break at page ends in three ways, all handled here:
* the header row is repeated on the next page → the repeat is dropped;
* one row is split by the page break → the continuation (its 序号 cell empty) is joined to the
  last row of the previous page, cell by cell, without a spurious space between CJK characters;
* the next page simply carries on → rows are appended, each keeping its own page number.

A fragment continues the table before it only when both touch the break: the previous one runs to its
page's foot (or nothing but the footer stands below it) and this one starts at the next page's head,
with the same columns. A table with text below it is whole, whatever stands at the top of the next page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from extractors.text import join_wrapped, squash

#: A fragment that ends below 1 - this fraction of the page height (or starts above it) touches the
#: page break.
EDGE = 0.22


@dataclass(frozen=True)
class Fragment:
    """One table as found on one page."""

    page: int
    rows: tuple[tuple[str, ...], ...]
    top: float = 0.0  # fraction of page height, 0 = top
    bottom: float = 1.0
    #: the last lines of text above the table on its page (heading, unit line, holder group)
    caption: str = ""
    #: its number among the tables of its page as a reader counts them (extractors.tables.count_rule)
    index: int = 0
    #: its left and right edges, points
    x0: float = 0.0
    x1: float = 0.0
    #: nothing but the page's footer below it: it runs to the end of its page's text, wherever its
    #: last rule stands (a table moved on early by a tall row that may not break)
    open_below: bool = False

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass
class MergedTable:
    header: tuple[str, ...]
    rows: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (page, cells)
    caption: str = ""
    #: the first fragment's page, top (fraction of the page height) and number among the page's tables
    first_page: int = 0
    first_top: float = 0.0
    index_on_page: int = 1
    #: among the merged tables that start on its first page, which one this is (1: no table of its own
    #: starts above it there; a continuation or a box above it does not count)
    started_on_page: int = 1
    #: (page, number on that page) of every piece of the table, as a reader counts the tables of a page
    places: list[tuple[int, int]] = field(default_factory=list)

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(sorted({p for p, _ in self.rows}))


def clean_cell(value: object) -> str:
    return join_wrapped(str(value)) if value is not None else ""


def clean_rows(rows: Sequence[Sequence[object]]) -> tuple[tuple[str, ...], ...]:
    out = []
    for row in rows:
        cells = tuple(clean_cell(c) for c in row)
        if any(cells):
            out.append(cells)
    return tuple(out)


_HEADER_WORDS = re.compile(r"序号|编号|名称|类型|类别|日期|方式|专利|权利人|公司|简介|期限|状态|地区|项目|金额|比例")


def looks_like_header(row: Sequence[str]) -> bool:
    """A header row has labels, not values: header words and hardly any digits."""
    text = squash("".join(row))
    if not text:
        return False
    digits = sum(ch.isdigit() for ch in text)
    return bool(_HEADER_WORDS.search(text)) and digits / len(text) < 0.15


def header_by_shape(rows: Sequence[Sequence[str]]) -> bool:
    """A first row of labels over rows of figures: every filled cell of the first row is text
    without digits, and a later row has a number where the first row has a label."""
    if len(rows) < 2:
        return False
    first = [squash(c) for c in rows[0]]
    if sum(1 for c in first if c) < 2 or any(re.search(r"\d", c) for c in first):
        return False
    return any(
        i < len(first) and first[i] and re.fullmatch(r"[(（-]?[\d,，.]+%?[)）]?", squash(c))
        for r in rows[1:4]
        for i, c in enumerate(r)
    )


def same_header(a: Sequence[str], b: Sequence[str]) -> bool:
    return [squash(x) for x in a] == [squash(x) for x in b] and any(a)


def _seq(row: Sequence[str]) -> int | None:
    m = re.match(r"\d+", squash(row[0])) if row else None
    return int(m.group(0)) if m else None


def _restarts_numbering(table: MergedTable, rows: Sequence[Sequence[str]]) -> bool:
    """A new table under the same header: its 序号 starts again at 1 after the previous one's N > 1."""
    if not table.rows or not re.search(r"序号|编号", squash(table.header[0]) if table.header else ""):
        return False
    body = [r for r in rows if not same_header(r, table.header)]
    first, last = (_seq(body[0]) if body else None), _seq(table.rows[-1][1])
    return first == 1 and last is not None and last > 1


def _continues(prev: Fragment, nxt: Fragment, table: MergedTable) -> bool:
    return (
        nxt.page == prev.page + 1
        and nxt.n_cols == len(table.header)
        and (prev.bottom >= 1 - EDGE or prev.open_below)
        and nxt.top <= EDGE
        and not _restarts_numbering(table, nxt.rows)
        and not _new_header(table, nxt.rows)
    )


def _header_above(prev: Fragment, nxt: Fragment, table: MergedTable) -> tuple[str, ...] | None:
    """A two-level header split by the page break: the table so far is one header line at the foot of
    a page ('股东名称 | 发行前 | 发行后'), and the next page opens with the second line, whose leading
    blank cells stand under as many first labels, and the rows ('· | 数量 | 比例 | 数量 | 比例'). Each
    upper label past those spans an equal share of the lower cells. Returns the upper line widened to
    the lower one's cells (the recipes join the two), else None."""
    upper, n = [squash(c) for c in table.header], nxt.n_cols
    lower = [squash(c) for c in nxt.rows[0]] if nxt.rows else []
    # the lower line's leading blank cells stand under the upper line's first labels (序号, 股东名称)
    stub = next((i for i, c in enumerate(lower) if c), len(lower))
    if (
        table.rows
        or nxt.page != prev.page + 1
        or (prev.bottom < 1 - EDGE and not prev.open_below)
        or nxt.top > EDGE
        or not all(upper)
        or not 1 <= stub < len(upper)
        or n <= len(upper)
        or (n - stub) % (len(upper) - stub)
        or not looks_like_header(table.header)
        or not (header_by_shape(nxt.rows) or looks_like_header(nxt.rows[0]))
    ):
        return None
    share = (n - stub) // (len(upper) - stub)
    spread = (c for label in table.header[stub:] for c in (label, *[""] * (share - 1)))
    return (*table.header[:stub], *spread)


def _new_header(table: MergedTable, rows: Sequence[Sequence[str]]) -> bool:
    """The next page's grid opens with a header of its own, other than the table's: a new table
    (a project list ending at a page foot, then a capacity table at the next page's head)."""
    if not rows or not header_by_shape(rows) or same_header(rows[0], table.header):
        return False
    return any(h for h in table.header) and not all(re.fullmatch(r"col\d+", h) for h in table.header)


def _join_cells(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
    width = max(len(a), len(b))
    a = list(a) + [""] * (width - len(a))
    b = list(b) + [""] * (width - len(b))
    return tuple(join_wrapped(f"{x}\n{y}") if x and y else (x or y) for x, y in zip(a, b, strict=True))


def _is_split_continuation(row: Sequence[str], header: Sequence[str]) -> bool:
    """The first row on a new page continues the previous row when its sequence cell is empty but
    other cells are not (the row was cut by the page break)."""
    if not row or not header:
        return False
    first_is_seq = bool(re.search(r"序号|编号|^No", squash(header[0])))
    if any(_TOTAL_LABEL.match(squash(c)) for c in row):
        return False  # a totals row (小计 / 合计) leaves its 序号 empty and starts a row of its own
    return first_is_seq and not squash(row[0]) and any(squash(c) for c in row[1:])


_TOTAL_LABEL = re.compile(r"^(?:合计|小计|总计|共计)")


def merge_fragments(fragments: Sequence[Fragment]) -> list[MergedTable]:
    """Merge fragments (sorted by page and position) into logical tables."""
    tables: list[MergedTable] = []
    last: Fragment | None = None
    for frag in fragments:
        rows = [r for r in frag.rows if any(r)]
        if not rows:
            continue
        current = tables[-1] if tables else None
        if current is not None and last is not None and (parent := _header_above(last, frag, current)):
            # the header's top line at the foot of one page, its second line and the rows on the next
            current.header, current.rows[:] = parent, [(frag.page, r) for r in rows]
            current.places.append((frag.page, frag.index))
        elif current is not None and last is not None and _continues(last, frag, current):
            if same_header(rows[0], current.header):
                rows = rows[1:]
            if rows and current.rows and _is_split_continuation(rows[0], current.header):
                page, cells = current.rows[-1]
                current.rows[-1] = (page, _join_cells(cells, rows[0]))
                rows = rows[1:]
            current.rows.extend((frag.page, r) for r in rows)
            current.places.append((frag.page, frag.index))
        else:
            width = max(len(r) for r in rows)
            if looks_like_header(rows[0]) or header_by_shape(rows):
                header, body = rows[0], rows[1:]
            else:
                header, body = tuple(f"col{i + 1}" for i in range(width)), rows
            header = tuple(header) + ("",) * (width - len(header))
            on_page = sum(1 for t in tables if t.first_page == frag.page) + 1
            tables.append(
                MergedTable(
                    header,
                    [(frag.page, r) for r in body],
                    caption=frag.caption,
                    first_page=frag.page,
                    first_top=frag.top,
                    index_on_page=frag.index or on_page,
                    started_on_page=on_page,
                    places=[(frag.page, frag.index or on_page)],
                )
            )
        last = frag
    return tables
