"""The review workbook, written from the sheet descriptions in :mod:`report.sheets`.

Every sheet has a frozen, styled header row, an autofilter, widths fitted to CJK text (a Han character
is two columns wide), wrapped long text, and on every row a hyperlink to the source PDF with its page
number (``…pdf#page=N`` opens at the page in browsers' PDF viewers) plus the local file.

Text from outside (exchange titles, PDF cells, model answers) is always stored as text: a value that
starts with ``=`` is a string cell with Excel's quote prefix, never a formula.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import ConfigError
from report.recipe_sheets import recipe_table
from report.run import RunReport
from report.sheets import BEIJING, RUN_INFO_HEADER, Context, Link, record_sheets, run_info, table_rows
from report.tabular import sheets, write_csv, write_parquet

MAX_CELL = 32_000
MAX_WIDTH = 60
WRAP_WIDTH = 45
MAX_LINES = 12
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LINK_FONT = Font(color="0563C1", underline="single")
#: A leading character that makes spreadsheet programs read text as a formula or command.
FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def display_width(value: object) -> int:
    text = str(value) if value is not None else ""
    first = text.split("\n", 1)[0]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in first)


def _clean(value: object) -> object:
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…(truncated)"
    if isinstance(value, tuple | list):
        return _clean(", ".join(str(v) for v in value))
    return value


def write_sheet(
    ws: Worksheet,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    wrap: Sequence[str] = (),
    fixed: dict[str, int] | None = None,
    print_cols: int | None = None,
) -> int:
    """One sheet: bold frozen header, filters, fitted widths, links; printed A4 landscape, one page
    wide, the header on every page, and only the first ``print_cols`` columns when given."""
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    widths = [display_width(h) for h in header]
    n = 0
    for n, row in enumerate(rows, start=1):
        ws.append([v.text if isinstance(v, Link) else _clean(v) for v in row])
        for i, v in enumerate(row):
            cell = ws.cell(row=n + 1, column=i + 1)
            if isinstance(v, Link) and v.target:
                cell.hyperlink = v.target
                cell.font = LINK_FONT
            elif isinstance(v, dt.date | dt.datetime):
                cell.number_format = "yyyy-mm-dd" if not isinstance(v, dt.datetime) else "yyyy-mm-dd hh:mm"
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_LEAD):
                cell.data_type = "s"  # openpyxl made '=…' a formula: keep it the text it is
                cell.quotePrefix = True
            if n <= 300:
                widths[i] = max(widths[i], display_width(cell.value))
    wrap_cols = {header.index(w) for w in wrap if w in header}
    for i, w in enumerate(widths):
        letter = get_column_letter(i + 1)
        limit = (fixed or {}).get(header[i]) or (MAX_WIDTH if i not in wrap_cols else WRAP_WIDTH)
        ws.column_dimensions[letter].width = min(limit, w + 2)
    lines: dict[int, int] = {}
    for i in wrap_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            text = str(cell.value or "")
            needed = sum(1 + display_width(part) // WRAP_WIDTH for part in text.split("\n")) if text else 1
            lines[cell.row] = max(lines.get(cell.row, 1), needed)
    for row_no, count in lines.items():  # viewers that do not autofit wrapped rows still show the text
        if count > 1:
            ws.row_dimensions[row_no].height = 15 * min(count, MAX_LINES)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    # printing: landscape, all columns on one page width, header row repeated on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    if print_cols and print_cols < len(header):
        ws.print_area = f"A1:{get_column_letter(print_cols)}{n + 1}"
    return n


def build_workbook(report: RunReport, base: Path | None = None) -> Workbook:
    """``base``: the folder the workbook will be in (local-file links are relative to it)."""
    wb = Workbook()
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    ctx = Context(report, base)
    for spec in record_sheets(report):
        write_sheet(
            wb.create_sheet(_sheet_name(wb, spec.name)),
            spec.header,
            spec.rows(ctx),
            wrap=[c.header for c in spec.columns if c.wrap],
            fixed={c.header: c.width for c in spec.columns if c.width},
            print_cols=spec.printed,
        )
    header, rows = table_rows(ctx)
    write_sheet(wb.create_sheet("Tables"), header, rows)
    for recipe in report.recipes:
        header, rows = recipe_table(report, recipe, base)
        write_sheet(wb.create_sheet(_sheet_name(wb, recipe.sheet)), header, rows, wrap=["标题"], fixed={"key": 24})
    write_sheet(wb.create_sheet("Run info"), RUN_INFO_HEADER, run_info(report), wrap=["值"], fixed={"key": 24})
    return wb


def _sheet_name(wb: Workbook, name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    n, candidate = 1, clean
    while candidate in wb.sheetnames:
        n += 1
        candidate = f"{clean[:28]}_{n}"
    return candidate


def write_workbook(
    report: RunReport,
    outputs_dir: Path,
    name: str | None = None,
    formats: Collection[str] = ("xlsx", "csv", "parquet"),
) -> Path:
    """Write atomically (a temporary file, then rename) under a name no other run can take, with
    every sheet also as CSV in ``<name>_csv/`` and as parquet in ``<name>_parquet/`` (``formats``
    picks which of the three are written; the returned path names them all)."""
    unknown = set(formats) - {"xlsx", "csv", "parquet"}
    if unknown or not formats:
        raise ConfigError(f"formats are xlsx, csv and parquet; got {sorted(formats)}")
    outputs_dir.mkdir(parents=True, exist_ok=True)
    when = report.finished or report.started
    stamp = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(BEIJING).strftime("%Y%m%d_%H%M%S")
    path = outputs_dir / (name or f"prospectus_{report.flow}_{stamp}.xlsx")
    n = 1
    while name is None and path.exists():
        n += 1
        path = outputs_dir / f"prospectus_{report.flow}_{stamp}_{n}.xlsx"
    if "xlsx" in formats:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        build_workbook(report, path.parent).save(tmp)
        tmp.replace(path)
    tables = sheets(report, path.parent)  # the rows once, for both
    if "csv" in formats:
        write_csv(report, path.with_name(path.stem + "_csv"), tables)
    if "parquet" in formats:
        write_parquet(report, path.with_name(path.stem + "_parquet"), tables)
    return path
