"""Table recipes: any table a user names, found in every document and merged into one sheet.

A recipe says how to find its table, in any combination of:

* **place**: ``page`` (1-based, ``"first"`` or ``"last"``) and ``index`` on that page;
* **heading**: text near the table (its caption, or the end of the previous page for a table that
  starts at the top of a page): ``关联交易情况``, ``出售商品/提供劳务``;
* **header**: columns the table must have, each a canonical name with synonyms
  (``本期发生额`` = ``本期发生额`` / ``本年发生额``), so headers that differ a little line up.

Built-in recipes sit in ``builtin.toml``; a user's TOML file adds recipes or replaces one by name.
The steps are pure functions (pages → candidate pages, tables → matches → rows); the PDF work is in
:func:`extractors.document.extract_document`, which runs pdfplumber on the candidate pages only.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.records import Engine, RecipeCell, RecipeRow, TableKind
from extractors.merge import MergedTable
from extractors.recipes.base import DocContext, Found
from extractors.text import squash

if TYPE_CHECKING:  # the flow process reads recipes without loading PDFium
    from extractors.pdftext import PdfText

BUILTIN = Path(__file__).with_name("builtin.toml")
_KEYS = {"name", "sheet", "description", "page", "index", "headings", "columns", "required", "numeric"}


@dataclass(frozen=True)
class TableRecipe:
    name: str
    sheet: str
    description: str = ""
    page: int | str | None = None
    index: int | None = None
    headings: tuple[str, ...] = ()
    #: canonical column → header synonyms, in the order the sheet shows them
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()

    # --- the Recipe protocol (extractors.recipes.base) ---

    def candidate_pages(self, doc: DocContext) -> set[int]:
        return set(candidate_pages(self, doc.text.pages))

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        return None  # a user's table keeps its kind 'other' in the Tables sheet

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        rows, notes = table_rows(self, doc.doc_key, doc.text, tables.get(doc.recipe_engine, ()))
        return Found(records=tuple(rows), notes=tuple(notes))

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str) -> TableRecipe:
        """One recipe from TOML, refused with a message that names it and the problem."""
        name = raw.get("name")
        label = f"{where}: recipe {name!r}" if name else f"{where}: a recipe"
        unknown = set(raw) - _KEYS
        if unknown:
            raise ConfigError(f"{label}: unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{label}: needs a name")
        page = raw.get("page")
        if page is not None and not (page in ("first", "last") or (isinstance(page, int) and page >= 1)):
            raise ConfigError(f"{label}: page must be a number ≥ 1, 'first' or 'last', got {page!r}")
        index = raw.get("index")
        if index is not None and not (isinstance(index, int) and index >= 1):
            raise ConfigError(f"{label}: index must be a number ≥ 1, got {index!r}")
        columns = raw.get("columns", {})
        if not isinstance(columns, dict) or not all(isinstance(v, list) for v in columns.values()):
            raise ConfigError(f"{label}: columns must map a column name to a list of header texts")
        required = tuple(raw.get("required", ()))
        missing = [c for c in required if c not in columns]
        if missing:
            raise ConfigError(f"{label}: required columns {missing} are not among its columns")
        if page is None and not raw.get("headings") and not required:
            raise ConfigError(f"{label}: say where the table is: a page, headings or required columns")
        return cls(
            name=name.strip(),
            sheet=str(raw.get("sheet") or name)[:31],
            description=str(raw.get("description", "")),
            page=page,
            index=index,
            headings=tuple(str(h) for h in raw.get("headings", ())),
            columns={str(k): tuple(str(x) for x in v) for k, v in columns.items()},
            required=required,
            numeric=tuple(raw.get("numeric", ())),
        )


def load_recipes(user_file: Path | None = None) -> dict[str, TableRecipe]:
    """The built-in recipes plus a user's file (which adds recipes or replaces one by name)."""
    recipes = _read(BUILTIN)
    if user_file is not None:
        if not Path(user_file).is_file():
            raise ConfigError(f"recipe file {user_file} does not exist")
        recipes.update(_read(Path(user_file)))
    return recipes


def _read(path: Path) -> dict[str, TableRecipe]:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the recipes: {exc}") from exc
    unknown = set(data) - {"recipe"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level keys {sorted(unknown)}; write [[recipe]] tables")
    out: dict[str, TableRecipe] = {}
    for raw in data.get("recipe", []):
        recipe = TableRecipe.parse(raw, path.name)
        out[recipe.name] = recipe
    return out


def select(recipes: dict[str, TableRecipe], names: Sequence[str]) -> list[TableRecipe]:
    """The recipes a run asked for, by name (a prefix works: '关联交易' gives both of its recipes)."""
    out: list[TableRecipe] = []
    for name in names:
        hits = [r for n, r in recipes.items() if n == name] or [r for n, r in recipes.items() if n.startswith(name)]
        if not hits:
            raise ConfigError(f"unknown table recipe {name!r}; known: {', '.join(recipes)}")
        out += [h for h in hits if h not in out]
    return out


# --- finding pages and tables (pure) ----------------------------------------------------------------


def resolve_page(recipe: TableRecipe, page_count: int) -> int | None:
    if recipe.page == "first":
        return 1
    if recipe.page == "last":
        return page_count
    return recipe.page if isinstance(recipe.page, int) else None


def candidate_pages(recipe: TableRecipe, pages: Sequence[str]) -> list[int]:
    """Where the table may be, from the fast text pass: its page, or pages whose text holds one of
    its headings or the synonyms of all its required columns, each with the page after (a table
    that continues)."""
    n = len(pages)
    if recipe.page is not None:
        page = resolve_page(recipe, n)
        return [page] if page is not None and 1 <= page <= n else []
    hits: set[int] = set()
    headings = [heading_text(h) for h in recipe.headings]
    for number, text in enumerate(pages, start=1):
        flat = heading_text(text)
        by_heading = any(h in flat for h in headings)
        by_header = bool(recipe.required) and all(
            any(squash(s) in flat for s in recipe.columns[c]) for c in recipe.required
        )
        if (by_heading and (by_header or not recipe.required)) or (by_header and not headings):
            hits.update({number, number + 1} if number < n else {number})
        elif by_heading:
            hits.update(p for p in (number, number + 1) if p <= n)
    return sorted(hits)


def map_columns(recipe: TableRecipe, header: Sequence[str]) -> dict[str, int]:
    """Canonical column → index in ``header`` (multi-line header cells joined), by synonym."""
    out: dict[str, int] = {}
    cells = [squash(h) for h in header]
    for column, synonyms in recipe.columns.items():
        keys = sorted((squash(s) for s in synonyms), key=len, reverse=True)
        for i, cell in enumerate(cells):
            if i not in out.values() and cell and any(k == cell or k in cell for k in keys):
                out[column] = i
                break
    return out


def matches(recipe: TableRecipe, table: MergedTable, context: str, page_index: tuple[int, int] | None) -> bool:
    """Every criterion the recipe gives holds for this table."""
    if recipe.page is not None or recipe.index is not None:
        if page_index is None:
            return False
        if recipe.index is not None and page_index[1] != recipe.index:
            return False
    if recipe.headings and not any(heading_text(h) in heading_text(context) for h in recipe.headings):
        return False
    if recipe.required:
        found = map_columns(recipe, table.header)
        if not all(c in found for c in recipe.required):
            return False
    return True


_RANK = re.compile(r"前\s*(5|五|10|十)\s*(名|大)")


def heading_text(text: str) -> str:
    """Text as headings are compared: whitespace removed and 前5名/前 10 大 written 前五名/前十大."""
    return _RANK.sub(lambda m: "前" + {"5": "五", "10": "十"}.get(m.group(1), m.group(1)) + m.group(2), squash(text))


_UNIT = re.compile(r"单位[:：]\s*(?:人民币)?\s*(亿元|万元|千元|元|股|万股|%)")
_NUMBER = re.compile(r"^\(?-?[\d,]+(?:\.\d+)?\)?%?$")


def unit_of(context: str) -> str | None:
    m = list(_UNIT.finditer(context))
    return m[-1].group(1) if m else None


_HEADER_UNIT = re.compile(r"[（(]\s*(亿元|万元|千元|元|万股|股)\s*[)）]")


def _header_unit(header: Sequence[str], numeric: Sequence[int]) -> str | None:
    """The unit printed in a numeric column's header, '金额(万元)', when no 单位 line stands above."""
    for i in numeric:
        if i < len(header) and (m := _HEADER_UNIT.search(squash(header[i]))):
            return m.group(1)
    return None


def parse_number(text: str) -> float | None:
    """'2,466,052,249.25' → 2466052249.25; '(1,234.00)' → -1234.0; '-', '—', '' → None."""
    flat = squash(text).replace("，", ",")
    if not flat or flat in {"-", "—", "--", "／", "/", "不适用"} or not _NUMBER.match(flat):
        return None
    negative = (flat.startswith("(") and flat.endswith(")")) or flat.startswith("-")
    digits = flat.strip("()%-").replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return None
    return -value if negative else value


def join_wrapped_rows(rows: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[int, list[str]]]:
    """Rows split line by line (one cell wrapped over three lines with the other cells centred)
    joined back: a row with a single filled cell is a fragment of the anchor row nearest to it, the
    one below when that anchor's cell is empty and nothing else stands between, else the one above."""
    filled = [sum(1 for c in r if c.strip()) for _, r in rows]
    anchors = [i for i, n in enumerate(filled) if n >= 2]
    if not anchors or len(anchors) == len(rows):
        return [(p, list(r)) for p, r in rows]
    out = {a: (rows[a][0], list(rows[a][1])) for a in anchors}
    prefixes: dict[int, list[tuple[int, str]]] = {}
    for i, (_, row) in enumerate(rows):
        if i in out or filled[i] == 0:
            continue
        col = next(j for j, c in enumerate(row) if c.strip())
        nxt = next((a for a in anchors if a > i), None)
        prev = next((a for a in reversed(anchors) if a < i), None)
        directly_above = nxt is not None and all(filled[k] == 0 or k == i for k in range(i, nxt))
        if nxt is not None and directly_above and col < len(out[nxt][1]) and not rows[nxt][1][col].strip():
            prefixes.setdefault(nxt, []).append((col, row[col]))
        elif prev is not None and col < len(out[prev][1]):
            out[prev][1][col] = out[prev][1][col] + row[col]
        elif nxt is not None and col < len(out[nxt][1]):
            prefixes.setdefault(nxt, []).append((col, row[col]))
    for a, parts in prefixes.items():
        for col, text in reversed(parts):
            out[a][1][col] = text + out[a][1][col]
    return [out[a] for a in anchors]


def _is_header_row(recipe: TableRecipe, mapping: dict[str, int], cells: Sequence[str], header: Sequence[str]) -> bool:
    """The header printed again (a table continued on the next page): the row equals the header, or
    each of the recipe's mapped columns holds one of that column's own header texts."""
    if [squash(c) for c in cells] == [squash(h) for h in header]:
        return True
    if not mapping:
        return False
    for column, i in mapping.items():
        cell = squash(cells[i]) if i < len(cells) else ""
        if not cell or not any(squash(s) in cell for s in recipe.columns[column]):
            return False
    return True


def recipe_rows(recipe: TableRecipe, doc_key: str, table_no: int, table: MergedTable, context: str) -> list[RecipeRow]:
    """The rows of one matched table: recipe columns first (by meaning), then the others as printed;
    numeric columns parsed, the printed text kept beside each number."""
    mapping = map_columns(recipe, table.header)
    unit = unit_of(context) or _header_unit(table.header, [mapping[c] for c in recipe.numeric if c in mapping])
    others = [(i, h.strip() or f"c{i + 1}") for i, h in enumerate(table.header) if i not in mapping.values()]
    out: list[RecipeRow] = []
    for page, cells in join_wrapped_rows(table.rows):
        if {squash(c) for c in cells} <= {""} or _is_header_row(recipe, mapping, cells, table.header):
            continue
        row = [
            RecipeCell(
                column=column,
                text=cells[i].strip() if i < len(cells) else "",
                value=parse_number(cells[i]) if column in recipe.numeric and i < len(cells) else None,
            )
            for column, i in mapping.items()
        ]
        row += [RecipeCell(column=name, text=cells[i].strip() if i < len(cells) else "") for i, name in others]
        out.append(
            RecipeRow(recipe=recipe.name, doc_key=doc_key, page=page, table=table_no, unit=unit, cells=tuple(row))
        )
    return out


def table_context(t: MergedTable, text: PdfText, lines: int = 3) -> str:
    """The text just above a table: the last lines of its caption, and for a table that starts at the
    top of its page, the end of the previous page (where its title often stands)."""
    before = ""
    if t.first_top <= 0.25 and 2 <= t.first_page <= text.page_count + 1:
        tail = [ln.strip() for ln in text.page(t.first_page - 1).splitlines() if ln.strip()]
        before = "\n".join(tail[-4:])
    caption = [ln for ln in t.caption.splitlines() if ln.strip()][-lines:]
    return "\n".join([before, *caption]).strip()


def table_rows(
    recipe: TableRecipe, doc_key: str, text: PdfText, tables: Sequence[MergedTable]
) -> tuple[list[RecipeRow], list[str]]:
    """Rows of every table the recipe names in one document, or a note saying why there are none (pure)."""
    page = resolve_page(recipe, text.page_count)
    if recipe.page is not None and (page is None or page > text.page_count):
        return [], [f"{recipe.name}: page {recipe.page} is beyond the document ({text.page_count} pages)"]
    rows: list[RecipeRow] = []
    found = 0
    for t in tables:
        place = (t.first_page, t.index_on_page) if page is None or t.first_page == page else None
        if recipe.page is not None and place is None:
            continue
        context = table_context(t, text)
        if matches(recipe, t, context, place):
            found += 1
            rows += recipe_rows(recipe, doc_key, found, t, context)
    if found:
        return rows, []
    where = f"page {page}" + (f", table {recipe.index}" if recipe.index else "") if page else "the candidate pages"
    return [], [f"{recipe.name}: no table matched on {where}"]
