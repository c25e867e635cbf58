"""A related-party summary table: kinds of trade as rows, grouped under block rows that name the
direction, the periods as columns, and no party column (pure).

    项目                    2007 上半年   2006 年度   …
    关联交易收入                                       ← a block row: the sales
    向镇江发电销售煤炭收入      30,103       79,820     ← an item: the party inside its label
    产品和服务供应收入          2,045       14,510     ← the party only in the agreement above
    合计 / 占营业收入的比例                            ← not data: the total is checked
    关联交易支出                                       ← the purchases
    …

A recipe with ``blocks`` (its block rows' words: 关联交易支出, 采购商品 …) reads the items of its own
blocks, one row a period. The party of an item: a party the label names (向X采购, a short name the
document defines, a firm's name), else the party of the numbered agreement above whose title shares
the label's words (:mod:`extractors.recipes.parties`); else the party is left empty and a note says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.records import RecipeRow
from extractors.merge import MergedTable
from extractors.recipes import (
    _SHARE,
    PERIOD,
    TOTAL,
    TableRecipe,
    _is_placeholder,
    _same_line,
    chapter_of_pages,
    join_wrapped_rows,
    norm,
    parse_number,
    party_in,
    period_rows,
    unit_of,
)
from extractors.recipes.parties import (
    Agreement,
    agreement_party,
    agreements_above,
    defined_names,
    firm_at_start,
    name_in,
)
from extractors.text import squash

if TYPE_CHECKING:
    from extractors.pdftext import PdfText

Row = tuple[int, Sequence[str]]

#: a period column's head: 2010年度, 2011年1-6月, and '2007 上半年' printed without 年
_PERIOD_HEAD = re.compile(PERIOD.pattern + r"|(?:19|20)\d{2}\s*[上下]半年")
#: a block row names a direction or a kind of related-party trade; a one-cell row without these
#: words is a piece of a wrapped label
_DIRECTION = re.compile(r"关联|收入|支出|采购|销售|购买|出售|劳务|租赁")


def period_columns(cells: Sequence[str]) -> dict[int, str]:
    """{column: period} of a header row whose cells after the first name periods."""
    return {j: m.group(0) for j, c in enumerate(cells) if j > 0 and (m := _PERIOD_HEAD.search(norm(c)))}


def _header(rows: Sequence[Row]) -> tuple[int, dict[int, str]] | None:
    """The header row (one of the first three) and its period columns: two periods or more, no figure."""
    for i, (_, cells) in enumerate(rows[:3]):
        periods = period_columns(cells)
        if len(periods) >= 2 and all(parse_number(c) is None for c in cells):
            return i, periods
    return None


def _label(cells: Sequence[str], first: int) -> str:
    """The words of a row before its first period column (a 序号 cell left out)."""
    return "".join(c.strip() for c in cells[:first] if squash(c) and parse_number(c) is None)


def _block_label(cells: Sequence[str], first: int) -> str | None:
    """A block row: words before the period columns, nothing in them ('关联交易收入', '（二）采购商品')."""
    if any(squash(c) for c in cells[first:]):
        return None
    label = _label(cells, first)
    flat = norm(label)
    return label if _DIRECTION.search(flat) and not re.search(r"\d{2}", flat) else None


def _blocks(body: Sequence[Row], header: Sequence[str], first: int) -> list[tuple[str, list[Row]]]:
    """The rows under each block row (rows before the first block row belong to none); the header
    printed again after a page break is left out."""
    out: list[tuple[str, list[Row]]] = []
    again = [norm(h) for h in header]
    for page, cells in body:
        if not any(squash(c) for c in cells) or [norm(c) for c in cells] == again:
            continue
        if (label := _block_label(cells, first)) is not None:
            out.append((label, []))
        elif out:
            out[-1][1].append((page, cells))
    return out


def _items(rows: Sequence[Row], first: int) -> tuple[list[Row], Row | None]:
    """A block's trades and the total that closes it: 小计 and share rows ('占营业收入的比例') are
    no trade, and a 合计 ends the block."""
    items: list[Row] = []
    for page, cells in join_wrapped_rows(rows):
        label = norm(_label(cells, first))
        if TOTAL.match(label):
            if label.startswith("小计"):
                continue
            return items, (page, cells)
        if label and not _SHARE.search(label) and any(parse_number(c) is not None for c in cells[first:]):
            items.append((page, cells))
    return items, None


def _our_blocks(
    recipe: TableRecipe, rows: Sequence[Row], at: int, periods: dict[int, str]
) -> list[tuple[str, tuple[list[Row], Row | None]]]:
    """(block row, (its trades, its total)) of each block of this recipe that holds a trade."""
    first = min(periods)
    words = [norm(w) for w in recipe.blocks]
    found = [(label, _items(block, first)) for label, block in _blocks(rows[at + 1 :], rows[at][1], first)]
    return [(label, got) for label, got in found if got[0] and any(w in norm(label) for w in words)]


def summary_rows(
    recipe: TableRecipe, doc_key: str, table_no: int, t: MergedTable, text: PdfText, context: str
) -> tuple[list[RecipeRow], list[str]]:
    """The rows of a related-party summary table in this recipe's blocks, one a period, and a note for
    each total that does not add up and each trade whose party was not found. Empty when the table
    is no such table or has no block of this recipe."""
    rows: list[Row] = [] if _is_placeholder(t.header) else [(t.first_page, tuple(t.header))]
    rows += [(p, tuple(r)) for p, r in t.rows]
    head = _header(rows)
    if head is None:
        return [], []
    periods = head[1]
    first = min(periods)
    ours = _our_blocks(recipe, rows, *head)
    if not ours:
        return [], []
    unit = unit_of(context)
    parties = _PartyFinder(t, text)
    out: list[RecipeRow] = []
    notes: list[str] = []
    for label, (items, total) in ours:
        for page, cells in items:
            trade = _label(cells, first)
            party = parties.of(trade)
            if party is None:
                notes.append(
                    f"{recipe.name}: table {table_no} on page {page}: '{trade}' names no related party and no "
                    "agreement above matches it; its rows are kept with the party empty"
                )
            content = ("关联交易内容" if "关联交易内容" in recipe.columns else "项目", trade)
            out += period_rows(recipe, doc_key, table_no, page, cells, periods, unit, party or "", content, label)
        notes += _check_total(recipe, table_no, items, total, periods, unit)
    return out, notes


def _check_total(
    recipe: TableRecipe,
    table_no: int,
    items: Sequence[Row],
    total: Row | None,
    periods: dict[int, str],
    unit: str | None,
) -> list[str]:
    """A note for each period whose printed 合计 differs from the sum of its block's trades (beyond
    the rounding of the printed digits)."""
    if total is None:
        return []
    notes = []
    for j, period in periods.items():
        printed = total[1][j].strip() if j < len(total[1]) else ""
        stated = parse_number(printed)
        values = [v for _, cells in items if j < len(cells) and (v := parse_number(cells[j])) is not None]
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        if stated is not None and values and abs(sum(values) - stated) > 0.5 * 10**-decimals * (len(values) + 1):
            notes.append(
                f"{recipe.name}: table {table_no}: {period} total {printed} ≠ sum of its {len(values)} rows "
                f"{sum(values):,.{decimals}f}"
            )
    return notes


class _PartyFinder:
    """The party of a trade in one table: named in its label, else by the agreement above it. The
    document's defined names and the agreements are read once, when a label first needs them."""

    def __init__(self, t: MergedTable, text: PdfText) -> None:
        self._t = t
        self._text = text
        self._names: frozenset[str] | None = None
        self._agreements: list[Agreement] | None = None

    def of(self, label: str) -> str | None:
        named = party_in(label) or name_in(label, self.names) or firm_at_start(label)
        return named or agreement_party(label, self.agreements)

    @property
    def names(self) -> frozenset[str]:
        if self._names is None:
            self._names = defined_names(self._text.pages, chapter_of_pages(self._text.pages))
        return self._names

    @property
    def agreements(self) -> list[Agreement]:
        if self._agreements is None:
            self._agreements = agreements_above(_chapter_lines(self._t, self._text), self.names)
        return self._agreements


def _chapter_lines(t: MergedTable, text: PdfText) -> list[str]:
    """The text of the table's chapter from its start down to the table's caption."""
    page = t.first_page
    if not 1 <= page <= text.page_count:
        return []
    start = _chapter_start(chapter_of_pages(text.pages), page)
    lines = [ln for p in range(start, page) for ln in text.page(p).splitlines() if ln.strip()]
    own = [ln for ln in text.page(page).splitlines() if ln.strip()]
    caption = [ln.strip() for ln in t.caption.splitlines() if ln.strip()]
    at = next((i for i, ln in enumerate(own) if caption and _same_line(ln, caption[-1])), None)
    return lines + (own[: at + 1] if at is not None else own)


def _chapter_start(chapters: Sequence[str], page: int) -> int:
    """The first page of the chapter that ``page`` is in; the page itself outside any chapter."""
    start = page
    while start > 1 and chapters[page - 1] and chapters[start - 2] == chapters[page - 1]:
        start -= 1
    return start
