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
from collections.abc import Collection, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import ConfigError, WorkerCrashedError
from report.run import RunReport
from report.sheets import BEIJING, REPLAY_BANNER, Link, from_replay, record_sheets
from report.tabular import Sheet, sheets, start_parquet, write_csv

MAX_CELL = 32_000
#: data rows one sheet can hold: Excel's 1,048,576 rows less the header
MAX_ROWS = 1_048_575
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
    ws: WriteOnlyWorksheet,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    wrap: Sequence[str] = (),
    fixed: dict[str, int] | None = None,
    print_cols: int | None = None,
    banner: str | None = None,
) -> int:
    """One sheet, streamed to disk row by row (openpyxl's write-only mode: the workbook is never held
    in memory as cells): bold frozen header, filters, fitted widths, links; printed A4 landscape, one
    page wide, the header on every page, and only the first ``print_cols`` columns when given."""
    values = [[v.text if isinstance(v, Link) else _clean(v) for v in row] for row in rows]
    widths = [display_width(h) for h in header]
    for row in values[:300]:
        for i, v in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], display_width(v))
    wrap_cols = {header.index(w) for w in wrap if w in header}
    for i, w in enumerate(widths):  # widths, panes, filter and print setup go before the first row
        limit = (fixed or {}).get(header[i]) or (MAX_WIDTH if i not in wrap_cols else WRAP_WIDTH)
        ws.column_dimensions[get_column_letter(i + 1)].width = min(limit, w + 2)
    ws.freeze_panes = "A2"
    last = get_column_letter(max(1, len(header)))
    ws.auto_filter.ref = f"A1:{last}{len(values) + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    if print_cols and print_cols < len(header):
        ws.print_area = f"A1:{get_column_letter(print_cols)}{len(values) + 1}"
    if banner:  # printed on top of every page
        ws.oddHeader.center.text = banner
    ws.append([_styled(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN) for h in header])
    for n, (raw_row, vals) in enumerate(zip(rows, values, strict=True), start=2):
        lines = 1
        for i in wrap_cols:
            text = str(vals[i] or "") if i < len(vals) else ""
            lines = max(lines, sum(1 + display_width(part) // WRAP_WIDTH for part in text.split("\n")) if text else 1)
        if lines > 1:  # viewers that do not autofit wrapped rows still show the text
            ws.row_dimensions[n].height = 15 * min(lines, MAX_LINES)
        # in a row taller than a line every cell is top-aligned: a name at the bottom of its cell
        # reads as belonging to the next row's text
        ws.append(
            [
                _cell(ws, raw, value, n, i, i in wrap_cols, top=lines > 1)
                for i, (raw, value) in enumerate(zip(raw_row, vals, strict=True))
            ]
        )
    return len(values)


HEADER_FONT = Font(bold=True)
HEADER_ALIGN = Alignment(vertical="center", wrap_text=False)
WRAP_ALIGN = Alignment(wrap_text=True, vertical="top")
TOP_ALIGN = Alignment(vertical="top")


def _styled(ws: WriteOnlyWorksheet, value: object, **style: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    for name, v in style.items():
        setattr(cell, name, v)
    return cell


def _cell(
    ws: WriteOnlyWorksheet, raw: object, value: object, row: int, col: int, wrapped: bool, top: bool = False
) -> object:
    """A plain value, or a styled cell for a link, a date, wrapped text, or text that a spreadsheet
    would run as a formula (kept the text it is, with Excel's quote prefix)."""
    link = raw.target if isinstance(raw, Link) else None
    formula_like = isinstance(value, str) and value.startswith(FORMULA_LEAD)
    dated = isinstance(raw, dt.date | dt.datetime)
    if not (link or formula_like or dated or wrapped or top):
        return value
    cell = Cell(ws, row=row, column=col + 1, value=value)  # placed, so its link names the right cell
    if formula_like:
        cell.data_type = "s"  # openpyxl made '=…' a formula: keep it the text it is
        cell.quotePrefix = True
    if link:
        cell.hyperlink = link
        cell.font = LINK_FONT
    if dated:
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(raw, dt.datetime) else "yyyy-mm-dd"
    if wrapped:
        cell.alignment = WRAP_ALIGN
    elif top:
        cell.alignment = TOP_ALIGN
    return cell


def build_workbook(report: RunReport, base: Path | None = None, tables: list[Sheet] | None = None) -> Workbook:
    """The workbook, in openpyxl's write-only mode (``save`` it once; it cannot be read back).
    ``base``: the folder the workbook will be in (local-file links are relative to it); ``tables``:
    :func:`report.tabular.sheets` already computed (the same rows go to CSV and parquet)."""
    tables = tables if tables is not None else sheets(report, base)
    options: list[tuple[str, dict[str, Any]]] = [
        (
            spec.name,
            {
                "wrap": [c.header for c in spec.columns if c.wrap],
                "fixed": {c.header: c.width for c in spec.columns if c.width},
                "print_cols": spec.printed,
            },
        )
        for spec in record_sheets(report)
    ]
    options.append(("Tables", {}))
    options += [(recipe.sheet, {"wrap": ["标题"], "fixed": {"key": 24}}) for recipe in report.recipes]
    options.append(("Run info", {"wrap": ["值"], "fixed": {"key": 24}}))
    banner = REPLAY_BANNER if from_replay(report) else None
    parts = [(name, opts, header, rows) for (name, opts), (_, header, rows) in zip(options, tables, strict=True)]
    notes = [
        (name, len(rows)) for name, _, _, rows in parts if len(rows) > MAX_ROWS and name != "Run info"
    ]
    if notes:  # said where the analyst looks first; the CSV and parquet files stay whole
        name, header, info = tables[-1]
        extra = [
            ("警告", f"{sheet} 共 {n:,} 行，超过 Excel 每表 {MAX_ROWS + 1:,} 行的上限：分为 "
             f"{'、'.join(_part_names(sheet, n))} 各表；CSV 与 parquet 文件为完整的一份", "warning")
            for sheet, n in notes
        ]  # fmt: skip
        parts[-1] = (parts[-1][0], parts[-1][1], header, [*info, *extra])
    wb = Workbook(write_only=True)
    for name, opts, header, rows in parts:
        if name == "Run info":  # a few hundred rows at most: never split
            write_sheet(wb.create_sheet(_sheet_name(wb, name)), header, rows, banner=banner, **opts)
            continue
        for part, start in zip(_part_names(name, len(rows)), range(0, max(len(rows), 1), MAX_ROWS), strict=True):
            chunk = rows[start : start + MAX_ROWS]
            write_sheet(wb.create_sheet(_sheet_name(wb, part)), header, chunk, banner=banner, **opts)
    return wb


def _part_names(name: str, rows: int) -> list[str]:
    """A sheet's name, or for one past Excel's row limit its numbered parts: Tables, Tables_2, …"""
    count = max(1, -(-rows // MAX_ROWS))
    return [name] + [f"{name[:27]}_{n}" for n in range(2, count + 1)]


def _sheet_name(wb: Workbook, name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    n, candidate = 1, clean
    while candidate in wb.sheetnames:
        n += 1
        candidate = f"{clean[:28]}_{n}"
    return candidate


def workbook_path(report: RunReport, outputs_dir: Path) -> Path:
    """A name no other run has taken: ``prospectus_<flow>_<Beijing time>[_n].xlsx``."""
    when = report.finished or report.started
    stamp = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(BEIJING).strftime("%Y%m%d_%H%M%S")
    path = outputs_dir / f"prospectus_{report.flow}_{stamp}.xlsx"
    n = 1
    while path.exists():
        n += 1
        path = outputs_dir / f"prospectus_{report.flow}_{stamp}_{n}.xlsx"
    return path


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
    path = outputs_dir / name if name else workbook_path(report, outputs_dir)
    tables = sheets(report, path.parent)  # the rows once, for all three
    # parquet in its own short-lived process, alongside the workbook (pyarrow never enters this one)
    parquet = start_parquet(path.with_name(path.stem + "_parquet"), tables) if "parquet" in formats else None
    if "xlsx" in formats:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        build_workbook(report, path.parent, tables).save(tmp)
        tmp.replace(path)
    if "csv" in formats:
        write_csv(report, path.with_name(path.stem + "_csv"), tables)
    if parquet is not None:
        try:
            parquet.result()
        except BrokenProcessPool as exc:  # killed (out of memory, a signal): say so, not "pool broken"
            raise WorkerCrashedError(f"the process writing the parquet files died: {exc}") from None
    return path
