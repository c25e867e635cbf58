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
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.records import Engine, RecipeCell, RecipeRow, TableKind
from extractors.locate import HEADING
from extractors.merge import MergedTable
from extractors.recipes.base import DocContext, Found
from extractors.recipes.units import UNIT_FACTORS, to_base
from extractors.text import squash

if TYPE_CHECKING:  # the flow process reads recipes without loading PDFium
    from extractors.pdftext import PdfText

BUILTIN = Path(__file__).with_name("builtin.toml")
_KEYS = {
    "name",
    "sheet",
    "description",
    "first_only",
    "page",
    "index",
    "headings",
    "columns",
    "required",
    "numeric",
    "chapters",
    "one_of",
    "segments",
    "party",
    "trade",
    "chapter_headings",
    "blocks",
    "fallback_headings",
}


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
    #: words of the chapter titles (第六节 业务与技术) the table belongs to; ignored in a document
    #: whose chapters name none of them (an annual report)
    chapters: tuple[str, ...] = ()
    #: columns of which a matching table must have at least one (an amount or a share)
    one_of: tuple[str, ...] = ()
    #: only the first matching table of a document (with the tables that continue it): a list printed
    #: once at the head of its chapter and repeated later in other breakdowns
    first_only: bool = False
    #: a table whose heading names a segment before the list ('境外前五名客户', '内销前五大客户',
    #: 'LED 产品前五名客户') is that segment's list: its rows carry the segment (RecipeRow.segment)
    segments: bool = False
    #: the identity column that a table naming no party takes from its heading ('1、向德美动力采购货物',
    #: '（1）爱康实业关联交易情况'); None: such a table is not read
    party: str | None = None
    #: the words of this recipe's trade ('采购', '购买'): a party heading must name one of them (or
    #: 关联交易), and a row of a table listing several trades is kept when its content names one
    trade: tuple[str, ...] = ()
    #: headings that name the table only inside its chapter: in a document without the chapter (an
    #: annual report) they are too common to choose pages by ('销售商品' is a cash-flow line there)
    chapter_headings: tuple[str, ...] = ()
    #: the words of a block row that heads this recipe's trades in a related-party summary table with
    #: no party column ('关联交易支出', '采购商品'): its item rows are read, one row a period
    #: (:mod:`extractors.recipes.summary`)
    blocks: tuple[str, ...] = ()
    #: headings of the table to read where a document prints none under ``headings``: a follow-on
    #: offering has no 发行前后股本结构, and its 前十名股东 table is then its main holders
    fallback_headings: tuple[str, ...] = ()

    # --- the Recipe protocol (extractors.recipes.base) ---

    def candidate_pages(self, doc: DocContext) -> set[int]:
        pages = set(candidate_pages(self, doc.text.pages))
        if self.fallback_headings:
            pages |= set(candidate_pages(self.fallen_back(), doc.text.pages))
        return pages

    def fallen_back(self) -> TableRecipe:
        """The recipe reading its fallback headings instead of its headings."""
        return replace(self, headings=self.fallback_headings, chapter_headings=(), fallback_headings=())

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        return None  # a user's table keeps its kind 'other' in the Tables sheet

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        read = tables.get(doc.recipe_engine, ())
        rows, notes = table_rows(self, doc.doc_key, doc.text, read)
        if not rows and self.fallback_headings:
            rows, more = table_rows(self.fallen_back(), doc.doc_key, doc.text, read)
            notes = more if rows else notes
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
        if not isinstance(columns, dict) or not all(isinstance(v, list) and v for v in columns.values()):
            raise ConfigError(f"{label}: columns must map a column name to a non-empty list of header texts")
        lists = ("headings", "required", "numeric", "chapters", "one_of", "fallback_headings", "trade",
                 "chapter_headings", "blocks")  # fmt: skip
        for key in lists:
            value = raw.get(key, [])
            if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                raise ConfigError(f'{label}: {key} must be a list of texts, e.g. {key} = ["…"], got {value!r}')
        required = tuple(raw.get("required", ()))
        missing = [c for c in (*required, *raw.get("one_of", ())) if c not in columns]
        if missing:
            raise ConfigError(f"{label}: required columns {missing} are not among its columns")
        party = raw.get("party")
        if party is not None and party not in columns:
            raise ConfigError(f"{label}: party column {party!r} is not among its columns")
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
            chapters=tuple(str(c) for c in raw.get("chapters", ())),
            one_of=tuple(str(c) for c in raw.get("one_of", ())),
            first_only=bool(raw.get("first_only", False)),
            segments=bool(raw.get("segments", False)),
            party=str(party) if party is not None else None,
            fallback_headings=tuple(str(h) for h in raw.get("fallback_headings", ())),
            trade=tuple(str(w) for w in raw.get("trade", ())),
            chapter_headings=tuple(str(h) for h in raw.get("chapter_headings", ())),
            blocks=tuple(str(w) for w in raw.get("blocks", ())),
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


#: pages read after a page with a heading hit: a table a year under one heading, each captioned only
#: by its year, runs on over the next pages
FOLLOW = 2


def candidate_pages(recipe: TableRecipe, pages: Sequence[str]) -> list[int]:
    """Where the table may be, from the fast text pass: its page, or pages whose text holds one of
    its headings or the synonyms of all its required columns, each with the ``FOLLOW`` pages after
    (a table that continues, the next years' tables)."""
    n = len(pages)
    if recipe.page is not None:
        page = resolve_page(recipe, n)
        return [page] if page is not None and 1 <= page <= n else []
    hits: set[int] = set()
    chapter = chapter_of_pages(pages) if recipe.chapters else []
    wanted = [norm(c) for c in recipe.chapters]
    in_chapter = [any(w in title for w in wanted) for title in chapter]
    if not any(in_chapter):
        in_chapter = [True] * n  # no such chapter (an annual report): every page
    else:
        recipe = with_chapter_headings(recipe)
    headings = [norm(h) for h in recipe.headings]
    for number, text in enumerate(pages, start=1):
        if not in_chapter[number - 1]:
            continue
        flat = norm(text)
        by_heading = any(h in flat for h in headings)
        by_header = bool(recipe.required) and all(
            any(norm(s) in flat for s in recipe.columns[c]) for c in recipe.required
        )
        if by_heading or (by_header and not headings):
            hits.update(p for p in range(number, number + FOLLOW + 1) if p <= n)
    return sorted(hits)


def with_chapter_headings(recipe: TableRecipe) -> TableRecipe:
    """The recipe as it reads a document that has its chapter: its chapter-only headings added."""
    if not recipe.chapter_headings:
        return recipe
    return replace(recipe, headings=(*recipe.headings, *recipe.chapter_headings), chapter_headings=())


def norm(text: str) -> str:
    """Text as headers and headings are compared: NFKC (full-width brackets, digits and letters from
    either engine read alike), whitespace removed, 前5名 / 前五大 / 前五位 written 前五名."""
    return heading_text(unicodedata.normalize("NFKC", text))


def map_columns(recipe: TableRecipe, header: Sequence[str]) -> dict[str, int]:
    """Canonical column → index in ``header`` (multi-line and two-level header cells joined), by
    synonym: for each column its longest synonym found in a header cell wins, so '客户名称' is taken
    before a bare '名称', and a cell already taken is not reused."""
    out: dict[str, int] = {}
    cells = [norm(h) for h in header]
    for column, synonyms in recipe.columns.items():
        keys = sorted((norm(s) for s in synonyms), key=len, reverse=True)
        share = bool(_SHARE.search(column))
        for k in keys:
            hit = next(
                (
                    i
                    for i, c in enumerate(cells)
                    if c and i not in out.values() and (k == c or k in c) and (share or not _SHARE.search(c))
                ),
                None,
            )
            if hit is not None:
                out[column] = hit
                break
    return out


def matches(recipe: TableRecipe, table: MergedTable, context: str, page_index: tuple[int, int] | None) -> bool:
    """Every criterion the recipe gives holds for this table."""
    if recipe.page is not None or recipe.index is not None:
        if page_index is None:
            return False
        if recipe.index is not None and page_index[1] != recipe.index:
            return False
    if recipe.headings and not under_heading(recipe, context):
        return False
    return not (recipe.required and layout_of(recipe, table) is None)


_RANK = re.compile(r"前\s*(5|五|10|十)\s*(名|大|位|家)")


def heading_text(text: str) -> str:
    """Text as headings are compared: whitespace removed and 前5名/前 10 大/前五位 written 前五名/前十名."""
    return _RANK.sub(lambda m: "前" + {"5": "五", "10": "十"}.get(m.group(1), m.group(1)) + "名", squash(text))


_PUNCT = re.compile(r"[，,、：:；;“”\"'‘’]")


#: a table's own title line ('出售商品/提供劳务情况表', '表4-18：向前五名客户合计销售情况'): a heading too
_TITLE = re.compile(r"[^。；;]{2,40}表|表\d[\d\-—]*.{2,40}")


def _bare(text: str) -> str:
    """Heading text without punctuation: '本次发行前后，公司股本结构' reads as '本次发行前后公司股本结构'."""
    return _PUNCT.sub("", text)


def under_heading(recipe: TableRecipe, context: str) -> bool:
    """The table stands under one of the recipe's headings: the nearest heading above it names the
    table (a numbered heading of another subject between them ends the search), or a line of its
    caption does."""
    return heading_line(recipe, context) is not None


def heading_line(recipe: TableRecipe, context: str) -> str | None:
    """The line above the table that names it (see :func:`under_heading`), normalised; None when the
    table stands under none of the recipe's headings."""
    headings = [_bare(norm(h)) for h in recipe.headings]
    for line in reversed([ln.strip() for ln in context.splitlines() if ln.strip()]):
        flat = _bare(norm(line))
        if any(h in flat for h in headings):
            return _bare(_LIST_MARK.sub("", norm(line)))
        if (HEADING.match(line) or _TITLE.fullmatch(flat)) and not PERIOD_LINE.fullmatch(flat):
            return None  # the nearest numbered heading or table title is another subject
    return None


#: words that make the words before a list's name a segment of the business: a market (境外, 内销,
#: 出口), a product line or business, a subsidiary or division
_SEGMENT = re.compile(
    r"境外|境内|国外|国内|海外|外销(?!售)|内销(?!售)|出口|外贸|内贸|产品|业务|板块|子公司|分公司|事业部"
)
#: words naming the whole company's business ('主营业务前五名客户', '合并口径'): not a segment
_WHOLE = re.compile(r"主营业务|合并|整体|全部|总体")
#: what stands before the segment in a heading or lead sentence: the subject, the period, a verb
#: ('报告期内，发行人境外…', '2010年度公司向内销…'); the segment is what follows the last of them
_LEAD = re.compile(r"发行人|本公司|公司|报告期内|报告期|各期|期内|年度|年|月|向|对|与|的|其")
_LIST_MARK = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]+[）)、.．]|[①-⑳])+")


#: a heading over the lists of every segment ('各项业务销售客户前五名', '分产品前五名客户'): each list's
#: segment is the group title above its rows
_EACH = re.compile(r"^(?:各项?|分|按|每个?)")


def _row_segment(segment: str, row: RecipeRow) -> str:
    """A row's segment: the heading's, or its group title's where the heading names every segment."""
    return row.group if _EACH.match(segment) and row.group else segment


def _named_before(recipe: TableRecipe, line: str) -> str | None:
    """What a heading line names before the recipe's own heading, past its list mark and its lead
    words ('境外' in '报告期内发行人境外前五名客户销售情况如下', '营业收入' in '2、营业收入前五名客户情况');
    None when the line holds none of the recipe's headings."""
    flat = _bare(_LIST_MARK.sub("", norm(line).strip()))
    at = [i for h in recipe.headings if (i := flat.find(_bare(norm(h)))) >= 0]
    if not at:
        return None
    before = _LIST_MARK.sub("", flat[: min(at)])
    ends = [m.end() for i in range(len(before)) if (m := _LEAD.match(before, i))]
    return before[max(ends) :] if ends else before


def segment_of(recipe: TableRecipe, line: str) -> str | None:
    """The segment a heading line names before the recipe's own heading ('境外' in '报告期内发行人境外
    前五名客户销售情况如下'), or None for a company-wide list."""
    tail = _named_before(recipe, line)
    if not tail or not _SEGMENT.search(tail) or _WHOLE.search(tail):
        return None
    return tail


def _labelled(row: RecipeRow, segment: str) -> RecipeRow:
    return row.model_copy(update={"segment": segment})


def _period_key(period: str) -> str:
    return re.sub(r"\s+|度", "", unicodedata.normalize("NFKC", period))


def repeated_list(
    recipe: TableRecipe, rows: Sequence[RecipeRow], line: str | None, listed: set[str]
) -> tuple[str, set[str]] | None:
    """A second company-wide list for periods a list printed before it in the same document already
    gave ('1、主营业务收入前五名客户' and then '2、营业收入前五名客户', on another revenue basis): a period
    has one company-wide list, the first printed. Returns the label of the repeated periods' rows (what
    the heading names before the recipe's heading, or the heading itself) and those periods; a period
    no list gave yet is this list's, company-wide. Adds the periods it gives to ``listed``."""
    periods = {_period_key(r.period) for r in rows if r.period and r.segment is None}
    repeated = periods & listed
    listed |= periods
    if not repeated:
        return None
    label = "重复列表" if line is None else _named_before(recipe, line) or _bare(norm(line))[:40]
    return label, repeated


_UNIT = re.compile(r"单位[:：]\s*(?:人民币)?\s*(百万元|亿元|万元|千元|元|亿股|万股|股|%)")
_NUMBER = re.compile(r"^\(?-?[\d,]+(?:\.\d+)?\)?%?$")


def unit_of(context: str) -> str | None:
    m = list(_UNIT.finditer(unicodedata.normalize("NFKC", context)))
    return m[-1].group(1) if m else None


_HEADER_UNIT = re.compile(r"[(（]\s*(?:单位[:：]\s*)?(?:人民币)?\s*(百万元|亿元|万元|千元|元|亿股|万股|股)\s*[)）]")


def _header_unit(header: Sequence[str], numeric: Sequence[int]) -> str | None:
    """The unit printed in a numeric column's header, '金额(万元)' or a parent header's
    '项目资金预算（单位：万元）·建设资金', when no 单位 line stands above."""
    for i in numeric:
        if i < len(header) and (m := _HEADER_UNIT.search(norm(header[i]))):
            return m.group(1)
    return None


#: a footnote mark printed after a figure: '70,000.00（注）', '1,234.00(注 1)', '(注3、4)', '(注一)', '56.00*'
_FOOTNOTE_MARK = re.compile(r"(?:\(注[\d一二三四五六七八九十、,]{0,8}\)|注\d{0,2}|\*{1,3})$")
#: a mark read before NFKC, which would turn ① into a digit of the figure ('1,000①' is not 10001)
_MARK_BEFORE_NFKC = re.compile(r"[①-⑳※]+$")


#: a footnote mark printed after a name: '深圳三协（注 1）', '德昌电机（JOHNSON ELECTRIC）注1', '博世【注】'
_NAME_NOTE = re.compile(r"(?:[（(]\s*注\s*\d{0,2}\s*[)）]|【\s*注\s*\d{0,2}\s*】|注\s*\d{1,2}|\*{1,3}|[①-⑳※]{1,3})$")


def name_without_note(text: str) -> str:
    """A name as printed, without the footnote mark after it (the note stays in the document)."""
    bare = _NAME_NOTE.sub("", text.rstrip()).rstrip()
    return bare if bare else text


def parse_number(text: str) -> float | None:
    """'2,466,052,249.25' → 2466052249.25; '(1,234.00)' → -1234.0; '70,000.00（注）' → 70000.0 (a
    footnote mark after the figure); '-', '—', '' → None."""
    flat = squash(unicodedata.normalize("NFKC", _MARK_BEFORE_NFKC.sub("", text.strip()))).replace("，", ",")
    flat = _FOOTNOTE_MARK.sub("", flat) if flat[:1].isdigit() or flat[:1] in "(-" else flat
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


# --- a table as a reader sees it: header rows, period and group labels, totals -------------------

#: a reporting period as printed: 2010年度, 2011年1-6月, 2011 年上半年, 2009年12月31日, 2007年
PERIOD = re.compile(
    r"(?:19|20)\d{2}\s*年(?:\s*(?:1\s*[-－~—至]\s*)?\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\s*上半年|\s*度)?"
    r"|(?:19|20)\d{2}(?:\s*年度|\.\d{1,2}\.\d{1,2})"
)
#: a line that is only a period label (with a list mark, a colon, or 前五名… after it): '②2008年', '2009年度：'
PERIOD_LINE = re.compile(
    r"[①-⑳（(]?[\d一二三四五六七八九十]*[）).、．]?(?:" + PERIOD.pattern + r")[^，。,;；]{0,16}[:：]?"
)
#: the identity cell of a totals row
TOTAL = re.compile(r"^(?:合计|小计|总计|共计|合计金额|前五名合计|总股本|股本总额|股份总数|Total)", re.IGNORECASE)
#: a share column's header: its cells are percentages, never amounts
_SHARE = re.compile(r"比例|占比|占.*[比%]|%|比重")
#: a header column that holds each row's period
_PERIOD_HEADER = re.compile(r"^(?:年度|年份|期间|时间|报告期|年度/期间|交易期间|交易期限|发生期间)$")


@dataclass(frozen=True)
class Layout:
    """How a matched table reads: its header (two-level headers joined 'upper·lower'), the recipe's
    columns in it, the rows the header took, the column holding each row's period, and the unit of
    each numeric column."""

    header: tuple[str, ...]
    mapping: dict[str, int]
    body_start: int
    period: str | None = None
    period_col: int | None = None
    units: dict[str, str] = field(default_factory=dict)
    #: a wide multi-period header ('2010年度·金额 | 2010年度·占比 | 2009年度·金额 …'): period → the
    #: recipe's numeric columns and the other columns of that period; each row is read once a period
    periods: dict[str, dict[str, int]] = field(default_factory=dict)


def period_groups(header: Sequence[str], mapping: dict[str, int], numeric: Sequence[str]) -> dict[str, dict[str, int]]:
    """{period: {column: index}} when the numeric columns repeat under period labels of a two-level
    header; the columns of the recipe are keyed by their name, the other period columns by their label."""
    split = [norm(h).partition("·") for h in header]
    labels = {
        j: (m.group(0), lower) for j, (upper, sep, lower) in enumerate(split) if sep and (m := PERIOD.search(upper))
    }
    out: dict[str, dict[str, int]] = {}
    for c in numeric:
        if c not in mapping or mapping[c] not in labels:
            continue
        label = labels[mapping[c]][1]
        for j, (period, lower) in labels.items():
            if lower == label:
                out.setdefault(period, {})[c] = j
    if len(out) < 2:
        return {}
    taken = {j for cols in out.values() for j in cols.values()}
    for j, (period, lower) in labels.items():
        if j not in taken and period in out:
            out[period].setdefault(lower, j)
    return out


def combine_header(upper: Sequence[str], lower: Sequence[str]) -> tuple[str, ...]:
    """Two header rows as one: an upper cell spans the empty cells to its right that have a lower
    label (发行前 over 股数 / 比例 → 发行前·股数, 发行前·比例); a lower cell alone keeps its label."""
    width = max(len(upper), len(lower))
    up = [*upper, *[""] * (width - len(upper))]
    low = [*lower, *[""] * (width - len(lower))]
    out: list[str] = []
    span = ""
    for u, lo in zip(up, low, strict=True):
        if u.strip():
            span = u.strip()
        elif not lo.strip():
            span = ""
        parent = u.strip() or (span if lo.strip() else "")
        child = lo.strip()
        out.append(f"{parent}·{child}" if parent and child and parent != child else parent or child)
    return tuple(out)


def _is_placeholder(header: Sequence[str]) -> bool:
    return all(re.fullmatch(r"col\d+|", h) for h in header)


def _label_stub(
    recipe: TableRecipe, header: Sequence[str], body: Sequence[Sequence[str]]
) -> tuple[str, ...] | None:
    """A header whose first cell is blank over a column of names (the stub: '神华集团（SS）', '社会公众股'
    under 发行前 / 发行后): the stub is the recipe's identity column (股东, 客户 …) when no header cell
    names that column. Not a stub of periods ('2019年度'), numbers or 序号, nor a mostly empty one; and
    not for a recipe whose party may come from its heading (a one-party table's stub is its periods or
    its goods, and :func:`party_rows` reads it). None when the first cell is printed or the column named."""
    first = next(iter(recipe.columns), None)
    if (
        first is None
        or recipe.party is not None
        or not header
        or header[0].strip()
        or first in map_columns(recipe, header)
    ):
        return None
    stub = [squash(r[0]) for r in body if r]
    names = [c for c in stub if c and not PERIOD.search(c) and parse_number(c) is None and not TOTAL.match(c)]
    if not stub or 2 * len(names) < len(stub):
        return None
    return (recipe.columns[first][0], *header[1:])


def layout_of(recipe: TableRecipe, table: MergedTable) -> Layout | None:
    """Where the header is and what it means: the printed header row, or one of the first rows (a
    period title row above it, a header read as a data row), each alone or joined with the row
    below (two-level headers). The first reading that has every required column wins."""
    rows: list[tuple[str, ...]] = [] if _is_placeholder(table.header) else [tuple(table.header)]
    offset = len(rows)
    # the header may stand below a few lines of text the grid took in (a lead paragraph inside a frame)
    rows += [tuple(r) for _, r in table.rows[:8]]
    required = recipe.required or tuple(recipe.columns)[:1]
    for i, row in enumerate(rows):
        tries = [(row, i + 1)]
        if i + 1 < len(rows):
            tries.append((combine_header(row, rows[i + 1]), i + 2))
        tries += [
            (stubbed, used)
            for header, used in list(tries)
            if (stubbed := _label_stub(recipe, header, [r for r in rows[used:] if any(r)]))
        ]
        for header, used in tries:
            mapping = map_columns(recipe, header)
            if not all(c in mapping for c in required):
                continue
            by_period = {}
            if recipe.one_of and not any(c in mapping for c in recipe.one_of):
                # '关联方 | 关联交易内容 | 2024 年度 | 2023 年度 | 2022 年度': the periods are the amount's columns
                by_period = _period_columns(header, mapping) if recipe.party is not None else {}
                if len(by_period) < 2 or not _amounts_below(rows[used:], by_period.values()):
                    continue
                mapping = {**mapping, recipe.one_of[0]: min(by_period.values())}
            if any(parse_number(c) is not None for r in rows[i:used] for c in r):
                continue  # a header holds labels: a row with a figure is data that happens to hold a synonym
            period = next((m.group(0) for r in rows[:used] for c in r if (m := PERIOD.search(norm(c)))), None)
            period_col = next((j for j, h in enumerate(header) if _PERIOD_HEADER.match(norm(h))), None)
            units = {c: u for c in recipe.numeric if c in mapping and (u := _header_unit(header, [mapping[c]]))}
            periods = period_groups(header, mapping, recipe.numeric) or {
                p: {recipe.one_of[0]: j} for p, j in by_period.items()
            }
            if periods:
                period = None
            return Layout(tuple(header), mapping, max(0, used - offset), period, period_col, units, periods)
    return None


def _amounts_below(rows: Sequence[Sequence[str]], columns: Iterable[int]) -> bool:
    """The first row under the header holds amounts in these columns (a figure, no share): the columns
    hold the amounts themselves, not a second header line (金额 / 占比 under each period)."""
    first = next((r for r in rows if any(squash(c) for c in r)), None)
    if first is None:
        return False
    cells = [first[j] for j in columns if j < len(first)]
    figures = [c for c in cells if parse_number(c) is not None]
    return bool(figures) and not any("%" in c for c in figures)


def _period_columns(header: Sequence[str], mapping: dict[str, int]) -> dict[str, int]:
    """{period: index} of the header cells that are a period and nothing else ('2024 年度', '2023年1-6月'),
    outside the columns already mapped."""
    taken = set(mapping.values())
    return {
        m.group(0): j
        for j, h in enumerate(header)
        if j not in taken and PERIOD_LINE.fullmatch(norm(h)) and (m := PERIOD.search(norm(h)))
    }


def _period_label(cells: Sequence[str]) -> str | None:
    """A row that only names a period (one filled cell: '2009 年度', '②2008年')."""
    filled = [c for c in cells if c.strip()]
    if len(filled) == 1 and PERIOD_LINE.fullmatch(norm(filled[0])):
        m = PERIOD.search(norm(filled[0]))
        return m.group(0) if m else None
    return None


#: a group title: a list mark and a short title ('一、油田专用设备制造', '（二）外销')
_GROUP_TITLE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|[A-Za-z][、.．]|其中[:：])\S{2,30}$"
)
#: a category row: its label carries a chapter-level list mark ('一、发起人股份'), its figures are the
#: category's total
_CATEGORY = re.compile(r"^[一二三四五六七八九十]+[、.．]\S{2,30}$")


def _group_title(cells: Sequence[str]) -> str | None:
    """A row that only names a group of the rows below it ('一、油田专用设备制造')."""
    filled = [c.strip() for c in cells if c.strip()]
    return filled[0] if len(filled) == 1 and _GROUP_TITLE.match(squash(filled[0])) else None


def _identity(recipe: TableRecipe, mapping: dict[str, int], cells: Sequence[str]) -> str | None:
    """The row's identity cell (the recipe's first column: 客户, 供应商, 股东 …), when the table has it."""
    first = next(iter(recipe.columns), None)
    if first is None or first not in mapping or first not in recipe.required:
        return None
    i = mapping[first]
    return cells[i] if i < len(cells) else ""


def _is_label_row(recipe: TableRecipe, mapping: dict[str, int], cells: Sequence[str]) -> bool:
    """A header line printed again inside the body: the identity cell is one of its column's header
    texts, or every numeric column holds text and none a figure ('数量（万股） | 比例（%）')."""
    first = next(iter(recipe.columns))
    ident = norm(cells[mapping[first]]) if mapping[first] < len(cells) else ""
    if ident and any(ident == norm(s) for s in recipe.columns[first]):
        return True
    numeric = [cells[mapping[c]] for c in recipe.numeric if c in mapping and mapping[c] < len(cells)]
    texts = [c for c in numeric if squash(c) and squash(c) not in {"-", "—", "--", "/"}]
    return bool(numeric) and len(texts) == len(numeric) and all(parse_number(c) is None for c in texts)


def _join_between_labels(rows: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[int, list[str]]]:
    """:func:`join_wrapped_rows` within each run of rows between period and group title rows: a
    title row has one filled cell too, but it is a label, not a piece of a wrapped cell."""
    out: list[tuple[int, list[str]]] = []
    run: list[tuple[int, Sequence[str]]] = []
    for page, cells in rows:
        if _period_label(cells) is not None or _group_title(cells) is not None or _bare_qizhong(cells):
            out += join_wrapped_rows(run)
            out.append((page, list(cells)))
            run = []
        else:
            run.append((page, cells))
    return out + join_wrapped_rows(run)


def _bare_qizhong(cells: Sequence[str]) -> bool:
    """A row printing only '其中：' over the parts below it: a label, not a piece of the row above."""
    filled = [squash(c) for c in cells if squash(c)]
    return len(filled) == 1 and filled[0].rstrip(":：") == "其中"


def _is_total(cells: Sequence[str], mapping: dict[str, int], numeric: Sequence[str]) -> bool:
    """A totals row: its label (in the identity column or any text cell before the amounts) reads 合计/小计."""
    first_numeric = min((mapping[c] for c in numeric if c in mapping), default=len(cells))
    return any(TOTAL.match(norm(c)) for c in cells[:first_numeric])


def _closes_table(
    body: Sequence[tuple[int, Sequence[str]]], k: int, mapping: dict[str, int], recipe: TableRecipe
) -> bool:
    """The row is the last before the table's total (or its end): a category row there heads no rows,
    it is a row itself ('二、本次拟发行股份数 | - | 25,000,000' just above 总股本)."""
    rest = [cells for _, cells in body[k + 1 :] if any(squash(c) for c in cells)]
    return not rest or _is_total(rest[0], mapping, recipe.numeric)


def _decimals(text: str) -> int:
    flat = squash(text)
    return len(flat.split(".")[1].rstrip("%")) if "." in flat else 0


def recipe_rows(
    recipe: TableRecipe,
    doc_key: str,
    table_no: int,
    table: MergedTable,
    context: str,
    layout: Layout | None = None,
    unit: str | None = None,
) -> tuple[list[RecipeRow], list[str]]:
    """The rows of one matched table, with a note for each totals row that does not add up. ``unit``:
    the unit of the table it continues (the next year's table, printed without a 单位 line of its own).

    Recipe columns first (by meaning), then the others as printed. Numeric columns are parsed and
    amounts brought to 元 (or 股), the printed text and unit kept beside each number. Header rows
    printed again, period and group title rows become labels of the rows below them; 合计 / 小计 rows
    are dropped and checked against the sum of the rows they close."""
    layout = layout or layout_of(recipe, table) or Layout(tuple(table.header), map_columns(recipe, table.header), 0)
    mapping = layout.mapping
    default_unit = (
        unit_of(context) or _header_unit(layout.header, [mapping[c] for c in recipe.numeric if c in mapping]) or unit
    )
    units = {
        c: "%" if _SHARE.search(norm(layout.header[mapping[c]])) else layout.units.get(c) or default_unit
        for c in recipe.numeric
        if c in mapping
    }
    money = [c for c in recipe.numeric if c in mapping and units.get(c) in UNIT_FACTORS]
    caption_period = _caption_period(context)
    period = layout.period or caption_period
    others = [(i, h.strip() or f"c{i + 1}") for i, h in enumerate(layout.header) if i not in mapping.values()]
    if layout.period_col is not None:
        others = [(i, n) for i, n in others if i != layout.period_col]
    out: list[RecipeRow] = []
    notes: list[str] = []
    group: str | None = None
    since_total: list[RecipeRow] = []
    subtotals: list[RecipeRow] = []
    body = _join_between_labels([(p, r) for p, r in table.rows[layout.body_start :]])
    block_period: str | None = None
    parts = _breakdown_parts(recipe, mapping, [cells for _, cells in body])
    for k, (page, cells) in enumerate(body):
        if {squash(c) for c in cells} <= {""} or _is_header_row(recipe, mapping, cells, layout.header):
            continue
        if (label := _period_label(cells)) is not None:
            period, group = label, None
            continue
        if (title := _group_title(cells)) is not None:
            group = title
            continue
        ident = _identity(recipe, mapping, cells)
        if ident is not None and _CATEGORY.match(squash(ident)) and not _closes_table(body, k, mapping, recipe):
            group = ident.strip()
            continue
        if k in parts:
            continue  # a part of the row above ('其中：H 股', 'A 股'), not a row of its own
        if ident is not None and (not squash(ident) or _is_label_row(recipe, mapping, cells)):
            continue  # a row naming nothing, or a header line printed again
        if (
            layout.period_col is not None
            and layout.period_col < len(cells)
            and (m := PERIOD.search(norm(cells[layout.period_col])))
        ):
            block_period = m.group(0)
            for r in since_total:  # a period cell centred in its block names the rows above it too
                if r.period is None:
                    out[out.index(r)] = since_total[since_total.index(r)] = r.model_copy(
                        update={"period": block_period}
                    )
        if _is_total(cells, mapping, recipe.numeric):
            notes += (
                []
                if layout.periods
                else _check_total(recipe, table_no, cells, mapping, money, units, since_total, subtotals)
            )
            is_sub = any(norm(c).startswith("小计") for c in cells)
            if is_sub:
                subtotals.append(
                    _row(recipe, doc_key, table_no, page, cells, mapping, units, others, default_unit, None, None)
                )
            else:
                subtotals = []
            since_total = []
            block_period = None if layout.period_col is not None else block_period
            continue
        if layout.periods:
            melted = _melt(recipe, doc_key, table_no, page, cells, layout, units, others, default_unit, group)
            out += melted
            since_total += melted
            continue
        row = _row(
            recipe, doc_key, table_no, page, cells, mapping, units, others, default_unit, block_period or period, group
        )
        out.append(row)
        since_total.append(row)
    return out, notes


def _breakdown_parts(recipe: TableRecipe, mapping: dict[str, int], rows: Sequence[Sequence[str]]) -> set[int]:
    """The rows under '其中：' that break the row above down ('社会公众股' into '其中：H 股' and 'A 股'):
    parts of that row, not rows of their own. The parts run from the 其中 row until their figures add
    up to the row's in every numeric column the row prints (rounding of the printed digits allowed);
    when no run of rows adds up (a 其中 naming one part only), the 其中 row alone is the part."""
    columns = [mapping[c] for c in recipe.numeric if c in mapping]
    first = next(iter(recipe.columns), None)
    if not columns or first not in mapping:
        return set()

    def figures(cells: Sequence[str]) -> list[float | None]:
        return [parse_number(cells[c]) if c < len(cells) else None for c in columns]

    parts: set[int] = set()
    for i in range(1, len(rows)):
        ident = squash(rows[i][mapping[first]] if mapping[first] < len(rows[i]) else "")
        above = squash(rows[i - 1][mapping[first]] if mapping[first] < len(rows[i - 1]) else "")
        whole = figures(rows[i - 1])
        if not ident.startswith("其中") or i - 1 in parts or all(w is None for w in whole):
            continue
        if _CATEGORY.match(above):
            continue  # a category ('一、发起人股份') heads its rows: they are rows, not parts
        if ident.rstrip(":：") == "其中":  # '其中：' alone on its row: the parts start below it
            parts |= {i} | _adding_up(whole, [figures(r) for r in rows[i + 1 :]], i + 1)
        else:
            parts |= _adding_up(whole, [figures(r) for r in rows[i:]], i) or {i}
    return parts


def _adding_up(whole: Sequence[float | None], following: Sequence[Sequence[float | None]], start: int) -> set[int]:
    """The indexes (from ``start``) of the first rows of ``following`` whose figures add up to ``whole``,
    column by column; empty when no run of them does."""
    slack = [max(1e-6 * abs(w), 0.01 * len(whole)) if w is not None else 0.0 for w in whole]
    sums = [0.0] * len(whole)
    for k, values in enumerate(following):
        if all(v is None for v in values):
            break
        sums = [s + (v or 0.0) for s, v in zip(sums, values, strict=True)]
        if any(w is not None and s > w + e for s, w, e in zip(sums, whole, slack, strict=True)):
            break
        if all(w is None or abs(s - w) <= e for s, w, e in zip(sums, whole, slack, strict=True)):
            return set(range(start, start + k + 1))
    return set()


def _melt(
    recipe: TableRecipe,
    doc_key: str,
    table_no: int,
    page: int,
    cells: Sequence[str],
    layout: Layout,
    units: dict[str, str | None],
    others: Sequence[tuple[int, str]],
    unit: str | None,
    group: str | None,
) -> list[RecipeRow]:
    """One row a period from a row of a wide multi-period table; a period whose figures are all
    empty or '-' gives no row."""
    in_periods = {j for cols in layout.periods.values() for j in cols.values()}
    plain = [(i, n) for i, n in others if i not in in_periods]
    out = []
    for period, cols in layout.periods.items():
        mapping = {**layout.mapping, **{c: j for c, j in cols.items() if c in recipe.columns}}
        figures = [cells[j] for c, j in cols.items() if c in recipe.numeric and j < len(cells)]
        if all(parse_number(f) is None for f in figures):
            continue
        extra = [(j, label) for label, j in cols.items() if label not in recipe.columns]
        out.append(_row(recipe, doc_key, table_no, page, cells, mapping, units, [*plain, *extra], unit, period, group))
    return out


def _row(
    recipe: TableRecipe,
    doc_key: str,
    table_no: int,
    page: int,
    cells: Sequence[str],
    mapping: dict[str, int],
    units: dict[str, str | None],
    others: Sequence[tuple[int, str]],
    unit: str | None,
    period: str | None,
    group: str | None,
) -> RecipeRow:
    row = []
    identity = next(iter(recipe.columns), None)
    for column, i in mapping.items():
        text = cells[i].strip() if i < len(cells) else ""
        if column == identity or column == recipe.party:
            text = name_without_note(text)
        value = parse_number(text) if column in recipe.numeric else None
        cell_unit = units.get(column) if column in recipe.numeric else None
        if value is not None and "%" in text:
            cell_unit = "%"
        row.append(RecipeCell(column=column, text=text, value=to_base(value, cell_unit), unit=cell_unit))
    row += [RecipeCell(column=name, text=cells[i].strip() if i < len(cells) else "") for i, name in others]
    return RecipeRow(
        recipe=recipe.name,
        doc_key=doc_key,
        page=page,
        table=table_no,
        unit=unit,
        cells=tuple(row),
        period=period,
        group=group,
    )


def _check_total(
    recipe: TableRecipe,
    table_no: int,
    cells: Sequence[str],
    mapping: dict[str, int],
    money: Sequence[str],
    units: dict[str, str | None],
    rows: Sequence[RecipeRow],
    subtotals: Sequence[RecipeRow],
) -> list[str]:
    """A note for each amount of a totals row that differs from the sum of the rows it closes (beyond
    the rounding of its printed digits)."""
    notes = []
    closes = rows or subtotals
    for column in money:
        i = mapping[column]
        text = cells[i] if i < len(cells) else ""
        stated = to_base(parse_number(text), units.get(column))
        values = [c.value for r in closes if (c := r.get(column)) is not None and c.value is not None]
        if stated is None or not values:
            continue
        factor = UNIT_FACTORS.get(units.get(column) or "", 1.0)
        tolerance = (0.5 * 10 ** -_decimals(text) * factor) * (len(values) + 1) + 1e-6
        if abs(sum(values) - stated) > tolerance:
            notes.append(
                f"{recipe.name}: table {table_no}: {column} total {text.strip()} ≠ sum of its {len(values)} rows "
                f"{sum(values) / factor:,.{_decimals(text)}f}"
            )
    return notes


def _caption_period(context: str) -> str | None:
    """The period a table is captioned with: its last caption line names a period ('2010 年度前五名销售客户：')."""
    lines = [ln.strip() for ln in context.splitlines() if ln.strip() and not _UNIT.search(ln)]
    if not lines:
        return None
    m = PERIOD.search(norm(lines[-1]))
    return m.group(0) if m and len(norm(lines[-1])) <= 30 else None


def _is_header_row(recipe: TableRecipe, mapping: dict[str, int], cells: Sequence[str], header: Sequence[str]) -> bool:
    """The header printed again (a table continued on the next page): the row equals the header, or
    each of the recipe's mapped columns holds one of that column's own header texts."""
    if [norm(c) for c in cells] == [norm(h) for h in header]:
        return True
    if not mapping:
        return False
    for column, i in mapping.items():
        cell = norm(cells[i]) if i < len(cells) else ""
        if not cell or not any(norm(s) in cell for s in recipe.columns[column]):
            return False
    return True


def table_context(t: MergedTable, text: PdfText, lines: int = 10) -> str:
    """The text above a table, up to ``lines`` lines: its caption, continued upwards in the page text
    (a heading may stand several lines above, over an introducing sentence and a unit line), and for
    a table that starts at the top of its page, the end of the previous page (where its title often
    stands)."""
    before = ""
    if t.first_top <= 0.25 and 2 <= t.first_page <= text.page_count + 1:
        tail = [ln.strip() for ln in text.page(t.first_page - 1).splitlines() if ln.strip()]
        before = "\n".join(tail[-lines:])
    caption = [ln.strip() for ln in t.caption.splitlines() if ln.strip()]
    if caption and 1 <= t.first_page <= text.page_count:
        page = [ln.strip() for ln in text.page(t.first_page).splitlines() if ln.strip()]
        first = squash(caption[0])
        at = next((i for i, ln in enumerate(page) if first and squash(ln) == first), None)
        if at is not None:
            caption = page[max(0, at - (lines - len(caption))) : at] + caption
    return "\n".join([before, *caption[-lines:]]).strip()


def _label_lines_only(caption: str) -> bool:
    """Nothing but labels stand between two tables: no line, or only period, unit and short title lines."""
    for line in caption.splitlines():
        flat = norm(line)
        if not flat or _UNIT.search(flat) or PERIOD_LINE.fullmatch(flat) or _NOTE_LINE.match(flat):
            continue
        return False
    return True


#: a note under the table above ('注：…', '*注1：…', '【注1】…'): it belongs to that table
_NOTE_LINE = re.compile(r"^[*＊]?[【\[(（]?注\s*\d*[】\])）]?[:：]?")


_CHAPTER = re.compile(r"^\s*第[一二三四五六七八九十]+[节章]\s*(\S.{0,30})$")
_TOC = re.compile(r"\.{4,}|…{2,}|·{4,}")


def chapter_of_pages(pages: Sequence[str]) -> list[str]:
    """Each page's chapter title ('业务与技术' for 第六节 业务与技术), normalised; '' before the first.
    Table-of-contents lines (dot leaders) do not open a chapter."""
    out: list[str] = []
    current = ""
    for text in pages:
        for line in text.splitlines():
            m = _CHAPTER.match(line)
            if m and not _TOC.search(line) and not re.search(r"\d+\s*$|[，。“”；]", line.strip()):
                current = norm(m.group(1))
        out.append(current)
    return out


def table_rows(
    recipe: TableRecipe, doc_key: str, text: PdfText, tables: Sequence[MergedTable]
) -> tuple[list[RecipeRow], list[str]]:
    """Rows of every table the recipe names in one document, or a note saying why there are none (pure).

    A table that follows a matched one with only period or unit lines between (one table a year,
    each captioned only by its year) is read as the same kind; without a header row of its own it
    takes the previous table's header."""
    page = resolve_page(recipe, text.page_count)
    if recipe.page is not None and (page is None or page > text.page_count):
        return [], [f"{recipe.name}: page {recipe.page} is beyond the document ({text.page_count} pages)"]
    rows: list[RecipeRow] = []
    notes: list[str] = []
    found = 0
    chapter = chapter_of_pages(text.pages) if recipe.chapters else []
    wanted = [norm(c) for c in recipe.chapters]
    use_chapters = any(w in title for w in wanted for title in set(chapter) if title)
    if use_chapters:
        recipe = with_chapter_headings(recipe)
    previous: tuple[MergedTable, Layout] | None = None
    segment: str | None = None
    #: the party headings whose table a recipe with a ``party`` column has read (one table each)
    parties_read: set[str] = set()
    #: the unit of the last table read, for a table that continues it without a 单位 line
    last_unit: str | None = None
    #: the periods a company-wide list has given (a later list for them is labelled: repeated_list)
    listed: set[str] = set()
    if recipe.page is None:
        tables = [piece for t in tables for piece in split_at_headings(t, text)]
    for t in tables:
        place = (t.first_page, t.index_on_page) if page is None or t.first_page == page else None
        if recipe.page is not None and page is not None:
            # "the Nth table on page P": the table with a piece numbered N on P, from that piece on
            pieces = [(p, n) for p, n in (t.places or [(t.first_page, t.index_on_page)]) if p == page]
            hit = next((n for _, n in pieces if recipe.index is None or n == recipe.index), None)
            if hit is None:
                continue
            place = (page, hit)
            if t.first_page != page:
                t = replace(t, rows=[(p, r) for p, r in t.rows if p >= page], first_page=page, index_on_page=hit)
        if use_chapters and not any(w in chapter[t.first_page - 1] for w in wanted):
            previous = None
            continue  # outside the chapter this table belongs to
        context = table_context(t, text)
        layout = layout_of(recipe, t) if recipe.columns else None
        follows = (
            previous is not None
            and recipe.page is None
            and t.first_page - (previous[0].pages or (previous[0].first_page,))[-1] in (0, 1)
            and _label_lines_only(t.caption)
        )
        if follows and previous is not None and layout is None and len(t.header) == len(previous[1].header):
            layout = replace(previous[1], body_start=0, period=None)
            # its first row was taken for a header: it is data under the previous table's header
            body = t.rows if _is_placeholder(t.header) else [(t.first_page, tuple(t.header)), *t.rows]
            t = replace(t, header=previous[1].header, rows=body)
        continues_found = follows and layout is not None and bool(recipe.required)
        if recipe.first_only and found and not continues_found:
            break
        if matches(recipe, t, context, place) or continues_found:
            found += 1
            got, why = recipe_rows(recipe, doc_key, found, t, context, layout, last_unit if continues_found else None)
            last_unit = next((r.unit for r in got if r.unit), None)
            if recipe.segments:
                line = heading_line(recipe, context)
                # a table that continues the previous one (the next year's) keeps its segment
                segment = segment_of(recipe, line) if line is not None else segment if continues_found else None
                got = [r.model_copy(update={"segment": _row_segment(segment, r)}) for r in got] if segment else got
                if not segment and (again := repeated_list(recipe, got, line, listed)):
                    label, periods = again
                    got = [_labelled(r, label) if r.period and _period_key(r.period) in periods else r for r in got]
            rows += got
            notes += why
            if not got:
                notes.append(f"{recipe.name}: table {found} on page {t.first_page} is printed without rows")
            previous = (t, layout) if layout is not None else None
        elif (
            recipe.party is not None
            and recipe.page is None
            and (named := party_of(t, text, context)) is not None
            and named[0] not in parties_read
            and (got := party_rows(recipe, doc_key, found + 1, t, context, named[1], named[2]))
        ):
            found += 1
            rows += got
            parties_read.add(named[0])
            previous = None
        elif (
            recipe.blocks
            and recipe.page is None
            and (summary := _summary(recipe, doc_key, found + 1, t, text, context))[0]
        ):
            found += 1
            rows += _not_read_yet(summary[0], rows)
            notes += summary[1]
            previous = None
        else:
            previous = None
    if found:
        return rows, notes
    where = f"page {page}" + (f", table {recipe.index}" if recipe.index else "") if page else "the candidate pages"
    return [], [f"{recipe.name}: no table matched on {where}"]


def _summary(
    recipe: TableRecipe, doc_key: str, table_no: int, t: MergedTable, text: PdfText, context: str
) -> tuple[list[RecipeRow], list[str]]:
    """A related-party summary table's rows in this recipe's blocks (:mod:`extractors.recipes.summary`)."""
    from extractors.recipes.summary import summary_rows  # it reads this module's helpers

    return summary_rows(recipe, doc_key, table_no, t, text, context)


def _not_read_yet(new: Sequence[RecipeRow], rows: Sequence[RecipeRow]) -> list[RecipeRow]:
    """The rows of a summary table less those that repeat a trade another table already gave: the same
    party, period and amount (a summary of the per-party tables above it)."""

    def key(r: RecipeRow) -> tuple[str, str | None, float | None]:
        party, amount = r.cells[0], next((c.value for c in r.cells if c.value is not None), None)
        return squash(party.text), r.period, amount

    seen = {key(r) for r in rows}
    return [r for r in new if not r.cells[0].text or key(r) not in seen]


# --- a table that names no party: the party in its heading (related-party trades) -------------------

#: a heading naming the party of the trades under it: '1、向德美动力采购货物', '与德美动力之间的关联交易',
#: '（1）爱康实业关联交易情况'
_PARTY = (
    # a lookahead, so that each 向/对/从/自/与 of a sentence is tried (overlapping matches)
    re.compile(
        r"(?=(?:向|对|从|自|与)(?P<p>[^，,。；;：:、]{2,30}?)(?:之间)?的?(?:关联)?(?:采购|购买|购入|销售|出售|提供|交易))"
    ),
    re.compile(r"^(?P<p>[^，,。；;：:、]{2,30}?)(?:之间)?的?关联交易"),
)
#: words of a heading that name a kind of trade or the related parties in general, never one party
_NOT_PARTY = re.compile(
    r"关联|经常|偶发|重大|日常|持续|其他|主要|报告期|最近|本次|发行人|以下|如下|各|^本?公司$|购销|商品|劳务|货物|采购|销售"
    r"|的|之间|以及|向"
)
#: the words that name a trade of either direction (a row of a table listing several trades)
_ANY_TRADE = re.compile(r"采购|购买|购入|销售|出售|提供|接受|租赁|承租|出租")
#: a row label naming a trade's amount: '关联采购金额（元）', '交易金额'
_AMOUNT_LABEL = re.compile(r"金额|发生额|交易额|采购额|销售额|收入")


def party_in(line: str) -> str | None:
    """The one party a heading names ('德美动力' in '1、向德美动力采购货物'), or None."""
    title = _bare(_LIST_MARK.sub("", norm(line)))
    for pattern in _PARTY:
        for m in pattern.finditer(title):
            if not _NOT_PARTY.search(m.group("p")):
                return m.group("p")
    return None


def _same_line(a: str, b: str) -> bool:
    x, y = squash(a), squash(b)
    return bool(x) and bool(y) and (x == y or (len(y) >= 6 and y in x) or (len(x) >= 6 and x in y))


def heading_above(t: MergedTable, text: PdfText) -> str | None:
    """The nearest numbered heading above a table: on its page above its caption, else from the end of
    the page before (a heading that stands over several tables and sentences)."""
    page = t.first_page
    if not 1 <= page <= text.page_count:
        return None
    lines = [ln.strip() for ln in text.page(page).splitlines() if ln.strip()]
    caption = [ln.strip() for ln in t.caption.splitlines() if ln.strip()]
    at = next((i for i, ln in enumerate(lines) if caption and _same_line(ln, caption[-1])), None)
    above = lines[: at + 1] if at is not None else caption
    if page > 1:
        above = [ln.strip() for ln in text.page(page - 1).splitlines() if ln.strip()] + above
    for line in reversed(above):
        if HEADING.match(line) and not PERIOD_LINE.fullmatch(norm(line)):
            return line
    return None


def split_at_headings(t: MergedTable, text: PdfText) -> list[MergedTable]:
    """A table merged over a page break is two tables when a numbered heading or a table title stands
    above its rows on the next page (the first table ended above the page foot, the second starts
    under its own heading): the pieces, each with the page text above it as its caption."""
    pages = t.pages
    if len(pages) < 2:
        return [t]
    for page in pages[1:]:
        if not 1 <= page <= text.page_count:
            continue
        first = next(r for p, r in t.rows if p == page)
        lines = [ln.strip() for ln in text.page(page).splitlines() if ln.strip()]
        # its label cells (a figure or a date is printed in the sentences above too)
        cells = [squash(c)[:4] for c in first if len(squash(c)) >= 2 and not re.search(r"\d", c)]
        at = next((i for i, ln in enumerate(lines) if any(c in squash(ln) for c in cells)), None)
        if at is None:
            continue
        above = lines[:at]
        if not any(
            (HEADING.match(ln) or _TITLE.fullmatch(_bare(norm(ln)))) and not PERIOD_LINE.fullmatch(norm(ln))
            for ln in above
        ):
            continue
        head = replace(t, rows=[(p, r) for p, r in t.rows if p < page], places=[x for x in t.places if x[0] < page])
        rest = [(p, r) for p, r in t.rows if p >= page]
        tail = MergedTable(
            tuple(f"col{i + 1}" for i in range(len(t.header))),
            rest,
            caption="\n".join(above[-4:]),
            first_page=page,
            first_top=0.5,
            index_on_page=next((n for p, n in t.places if p == page), 1),
            started_on_page=1,
            places=[x for x in t.places if x[0] >= page],
        )
        return [head, *split_at_headings(tail, text)]
    return [t]


#: the sentence that leads into a table ('…交易情况如下：', '…比例如下表')
_LEADS_IN = re.compile(r"(?:如下表?|情况|明细)$")


def party_of(t: MergedTable, text: PdfText, context: str) -> tuple[str, str, str] | None:
    """(key, words, party) of a table that names no party: the party named in its caption sentence
    ('报告期内，公司向爱康实业销售产品和采购货物，交易情况如下') or else in the nearest numbered heading
    above it; ``words`` are the lines that name the trade; ``key`` is the heading and the party (one
    table is read per party under one heading). None when neither names one party."""
    heading = heading_above(t, text) or ""
    lines = [ln.strip() for ln in context.splitlines() if ln.strip() and not _UNIT.search(norm(ln))]
    caption = lines[-1] if lines else ""
    leads_in = not HEADING.match(caption) and bool(_LEADS_IN.search(_bare(norm(caption))))
    if leads_in and (party := party_in(caption)) is not None:
        return f"{heading}|{party}", f"{caption}\n{heading}", party
    if heading and (party := party_in(heading)) is not None:
        return f"{heading}|{party}", heading, party
    return None


def party_rows(
    recipe: TableRecipe, doc_key: str, table_no: int, t: MergedTable, context: str, heading: str, party: str
) -> list[RecipeRow]:
    """The rows of a table that names no party, the party taken from its heading (``heading``: the
    lines that name it): a table of trades (交易内容 | 交易期间 | 交易金额), its rows kept when their
    content names this recipe's trade; or a table with the periods as columns, read from the first row
    whose label names the trade's amount ('关联采购金额（元）'). Empty when the table is neither."""
    if recipe.party is None:
        return []
    if layout_of(replace(recipe, required=(recipe.party,), one_of=()), t) is not None:
        return []  # the table names its parties: it is read under its own heading or not at all
    own_heading = any(w in norm(heading) for w in recipe.trade)
    if not own_heading and "关联交易" not in norm(heading):
        return []
    for column in recipe.one_of:
        layout = layout_of(replace(recipe, required=(column,), one_of=()), t)
        if layout is None or "关联交易内容" not in layout.mapping:
            continue
        loose = replace(recipe, required=(column,))
        rows, _ = recipe_rows(loose, doc_key, table_no, t, context, layout)
        out = []
        for r in rows:
            what = norm(c.text) if (c := r.get("关联交易内容")) else ""
            if not any(c.value is not None for c in r.cells if c.column in recipe.numeric):
                continue
            if any(w in what for w in recipe.trade) or (not _ANY_TRADE.search(what) and own_heading):
                cells = (RecipeCell(column=recipe.party, text=party), *r.cells)
                out.append(r.model_copy(update={"cells": cells}))
        return out
    return _periods_as_columns(recipe, doc_key, table_no, t, context, party) if own_heading else []


def _periods_as_columns(
    recipe: TableRecipe, doc_key: str, table_no: int, t: MergedTable, context: str, party: str
) -> list[RecipeRow]:
    """'年度 | 2009年1-6月 | 2008年度 …' over '关联采购金额（元） | 11,738,326.95 | …': one row a period,
    from the first row whose label names an amount of this recipe's trade."""
    rows = [(t.first_page, tuple(t.header)), *t.rows]
    amount = amount_column(recipe)
    for i, (_, cells) in enumerate(rows[:3]):
        periods = {j: m.group(0) for j, c in enumerate(cells) if (m := PERIOD.search(norm(c)))}
        if len(periods) < 2 or amount is None:
            continue
        for page, body in rows[i + 1 :]:
            label = next((c for j, c in enumerate(body) if j not in periods and squash(c)), "")
            flat = norm(label)
            if not _AMOUNT_LABEL.search(flat) or _SHARE.search(flat):
                continue
            if not any(w in flat for w in recipe.trade) and "交易" not in flat:
                continue  # the other direction's amount, or another figure (营业收入)
            unit = (m.group(1) if (m := _HEADER_UNIT.search(flat)) else None) or unit_of(context)
            return period_rows(recipe, doc_key, table_no, page, body, periods, unit, party, ("项目", label.strip()))
        return []
    return []


def amount_column(recipe: TableRecipe) -> str | None:
    """The column a related-party trade's amount goes to: the first amount among ``one_of`` (金额)."""
    return next((c for c in recipe.one_of if c in recipe.numeric), None)


def period_rows(
    recipe: TableRecipe,
    doc_key: str,
    table_no: int,
    page: int,
    cells: Sequence[str],
    periods: Mapping[int, str],
    unit: str | None,
    party: str,
    content: tuple[str, str],
    group: str | None = None,
) -> list[RecipeRow]:
    """A row read across its period columns ({column: period}), one RecipeRow a period: the party,
    what the row is (``content``: its column and the text), and the amount as printed, in 元; a period
    printed without a figure ('-') gives no row."""
    amount = amount_column(recipe) or "金额"
    out = []
    for j, period in periods.items():
        printed = cells[j].strip() if j < len(cells) else ""
        value = parse_number(printed)
        if value is None:
            continue
        out.append(
            RecipeRow(
                recipe=recipe.name,
                doc_key=doc_key,
                page=page,
                table=table_no,
                unit=unit,
                cells=(
                    RecipeCell(column=recipe.party or "关联方", text=party),
                    RecipeCell(column=content[0], text=content[1]),
                    RecipeCell(column=amount, text=printed, value=to_base(value, unit), unit=unit),
                ),
                period=period,
                group=group,
            )
        )
    return out
