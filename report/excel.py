"""The review workbook, written from the sheet descriptions in :mod:`report.sheets`.

Every sheet has a frozen, styled header row, an autofilter, widths fitted to CJK text (a Han character
is two columns wide), wrapped long text, and on every row a hyperlink to the source PDF with its page
number (``…pdf#page=N`` opens at the page in browsers' PDF viewers) plus the local file.

Text from outside (exchange titles, PDF cells, model answers) is always stored as text: a value that
starts with ``=`` is a string cell with Excel's quote prefix, never a formula.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import os
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.relationship import Relationship, RelationshipList
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import ConfigError, WorkerCrashedError
from core.store import RunExtractions
from report.run import RunReport
from report.sheets import BEIJING, REPLAY_BANNER, RUN_INFO_HEADER, Link, from_replay, run_info
from report.tabular import (
    RUN_INFO_LAYOUT,
    CsvFile,
    SheetRows,
    sheet_rows,
    sheets,
    start_parquet,
    write_csv_run_info,
)

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
    rows: Iterable[Sequence[object]],
    wrap: Sequence[str] = (),
    fixed: dict[str, int] | None = None,
    print_cols: int | None = None,
    banner: str | None = None,
) -> int:
    """One sheet, streamed to disk row by row (openpyxl's write-only mode: the workbook is never held
    in memory as cells, and ``rows`` is read once, as it comes: only the first 300, which fit the
    column widths, are held): bold frozen header, filters, fitted widths, links; printed A4 landscape,
    one page wide, the header on every page, and only the first ``print_cols`` columns when given.
    Returns how many rows it wrote."""
    it = iter(rows)
    head = list(itertools.islice(it, 300))
    widths = [display_width(h) for h in header]
    for row in head:
        for i, v in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], display_width(v.text if isinstance(v, Link) else _clean(v)))
    wrap_cols = {header.index(w) for w in wrap if w in header}
    for i, w in enumerate(widths):  # widths, panes and print setup go before the first row
        limit = (fixed or {}).get(header[i]) or (MAX_WIDTH if i not in wrap_cols else WRAP_WIDTH)
        ws.column_dimensions[get_column_letter(i + 1)].width = min(limit, w + 2)
    ws.freeze_panes = "A2"
    last = get_column_letter(max(1, len(header)))
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    if banner:  # printed on top of every page
        ws.oddHeader.center.text = banner
    ws.append([_styled(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGN) for h in header])
    styles: dict[tuple[object, ...], StyleArray] = {}
    n = 1
    for n, raw_row in enumerate(itertools.chain(head, it), start=2):
        vals = [v.text if isinstance(v, Link) else _clean(v) for v in raw_row]
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
                _cell(ws, raw, value, n, i, i in wrap_cols, top=lines > 1, styles=styles)
                for i, (raw, value) in enumerate(zip(raw_row, vals, strict=True))
            ]
        )
        ws.row_dimensions.pop(n, None)  # the row is written: its height is not kept for the whole sheet
    # the filter and the print area are written when the sheet is closed: set once the rows are counted
    ws.auto_filter.ref = f"A1:{last}{n}"
    if print_cols and print_cols < len(header):
        ws.print_area = f"A1:{get_column_letter(print_cols)}{n}"
    # closed now, not when the workbook is saved: its tail (filter, page setup, links) goes to its file
    # and its cells' link objects are let go; openpyxl still keeps one relationship (~0.4 KB) per link
    # until the save, which writes them
    ws.close()
    ws._hyperlinks.clear()
    _pack_links(ws)
    return n - 1


class _PackedLinks:
    """A closed sheet's link relationships as their targets alone, made into openpyxl's objects again
    only when the workbook is saved (one sheet at a time): ~0.1 KB a link held instead of ~0.35."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __iter__(self) -> Iterator[Relationship]:
        return iter(())  # (nothing else of the sheet's is related: no drawing, comment or table)

    def to_tree(self) -> Any:
        rels = RelationshipList()
        for target in self.targets:  # their ids are rId1…rIdN in this order, as the sheet's links say
            rels.append(Relationship(type="hyperlink", TargetMode="External", Target=target))
        return rels.to_tree()


def _pack_links(ws: WriteOnlyWorksheet) -> None:
    """Once a sheet is closed: its link relationships packed (:class:`_PackedLinks`), when they are
    all it has."""
    writer = getattr(ws, "_writer", None)
    rels = getattr(writer, "_rels", None)
    if not isinstance(rels, RelationshipList) or not len(rels):
        return
    links = all(r.Type.endswith("/hyperlink") and r.TargetMode == "External" for r in rels)
    if links and [r.Id for r in rels] == [f"rId{i}" for i in range(1, len(rels) + 1)]:
        writer._rels = _PackedLinks([r.Target for r in rels])  # type: ignore[union-attr]


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
    ws: WriteOnlyWorksheet, raw: object, value: object, row: int, col: int, wrapped: bool, top: bool = False,
    styles: dict[tuple[object, ...], StyleArray] | None = None,
) -> object:  # fmt: skip
    """A plain value, or a styled cell for a link, a date, wrapped text, or text that a spreadsheet
    would run as a formula (kept the text it is, with Excel's quote prefix). ``styles``: the styles
    this sheet's cells have had, by kind (:func:`_style`)."""
    link = raw.target if isinstance(raw, Link) else None
    formula_like = isinstance(value, str) and value.startswith(FORMULA_LEAD)
    dated = isinstance(raw, dt.date | dt.datetime)
    if not (link or formula_like or dated or wrapped or top):
        return value
    cell = Cell(ws, row=row, column=col + 1, value=value)  # placed, so its link names the right cell
    if formula_like:
        cell.data_type = "s"  # openpyxl made '=…' a formula: keep it the text it is
    if link:
        cell.hyperlink = link
    number_format = ("yyyy-mm-dd hh:mm" if isinstance(raw, dt.datetime) else "yyyy-mm-dd") if dated else None
    _style(cell, (bool(link), formula_like, number_format, wrapped, top), {} if styles is None else styles)
    return cell


def _style(cell: Cell, kind: tuple[Any, ...], styles: dict[tuple[object, ...], StyleArray]) -> None:
    """The cell's style for its kind (link, formula-like, number format, wrapped, top-aligned): set
    through openpyxl the first time, then copied. Each setting looks its font or alignment up in the
    workbook's style lists by hash, which was a sixth of the workbook's time at every linked cell."""
    known = styles.get(kind)
    if known is not None:
        cell._style = copy.copy(known)
        return
    link, formula_like, number_format, wrapped, top = kind
    if formula_like:
        cell.quotePrefix = True
    if link:
        cell.font = LINK_FONT
    if number_format:
        cell.number_format = number_format
    if wrapped:
        cell.alignment = WRAP_ALIGN
    elif top:
        cell.alignment = TOP_ALIGN
    styles[kind] = copy.copy(cell._style)


def build_workbook(report: RunReport, base: Path | None = None) -> Workbook:
    """The workbook, in openpyxl's write-only mode (``save`` it once; it cannot be read back).
    ``base``: the folder the workbook will be in (local-file links are relative to it)."""
    wb = Workbook(write_only=True)
    fill_workbook(wb, report, sheet_rows(report, base))
    return wb


def fill_workbook(wb: Workbook, report: RunReport, parts: Iterable[SheetRows]) -> list[tuple[str, object, str]]:
    """Every sheet of ``parts`` into ``wb``, each streamed as its rows come, then Run info. A sheet
    past Excel's row limit goes on in numbered sheets (Tables, Tables_2, …), and Run info says so; the
    CSV and parquet files stay whole. Returns Run info's rows (without those notes), for its CSV file."""
    banner = REPLAY_BANNER if from_replay(report) else None
    notes: list[tuple[str, int]] = []
    for part in parts:
        n = _write_parts(wb, part.name, part.header, part.rows, banner, part.layout)
        if n > MAX_ROWS:
            notes.append((part.name, n))
    rows = run_info(report)
    info: list[Sequence[object]] = list(rows)
    info += [
        ("警告", f"{sheet} 共 {n:,} 行，超过 Excel 每表 {MAX_ROWS + 1:,} 行的上限：分为 "
         f"{'、'.join(_part_names(sheet, n))} 各表；CSV 与 parquet 文件为完整的一份", "warning")
        for sheet, n in notes
    ]  # fmt: skip
    write_sheet(wb.create_sheet(_sheet_name(wb, "Run info")), RUN_INFO_HEADER, info, banner=banner, **RUN_INFO_LAYOUT)
    return rows


def _write_parts(
    wb: Workbook, name: str, header: Sequence[str], rows: Iterable[Sequence[object]], banner: str | None,
    layout: dict[str, Any],
) -> int:  # fmt: skip
    """One sheet's rows, MAX_ROWS to a sheet: the first under its name, the rest in numbered sheets."""
    it = iter(rows)
    total, part = 0, 1
    while True:
        first = next(it, None)
        if first is None and part > 1:
            return total
        chunk = itertools.chain([first], itertools.islice(it, MAX_ROWS - 1)) if first is not None else iter(())
        sheet = name if part == 1 else f"{name[:27]}_{part}"
        n = write_sheet(wb.create_sheet(_sheet_name(wb, sheet)), header, chunk, banner=banner, **layout)
        total += n
        if n < MAX_ROWS:
            return total
        part += 1


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
    base = path.parent
    # parquet in its own short-lived process, alongside the workbook (pyarrow never enters this one); a
    # run's rows it reads from the store itself, a sheet at a time (the report travels, with the store's
    # path); a report held in memory (an export, the tests) gives it its rows
    parquet = None
    if "parquet" in formats:
        folder = path.with_name(path.stem + "_parquet")
        stored = isinstance(report.extractions, RunExtractions)
        parquet = start_parquet(folder, report, base) if stored else start_parquet(folder, sheets(report, base))
    csv_dir = path.with_name(path.stem + "_csv")
    if "csv" in formats:
        csv_dir.mkdir(parents=True, exist_ok=True)
    opened: list[CsvFile] = []
    info: list[tuple[str, object, str]] | None = None  # Run info's rows, made once for the workbook and its CSV

    def parts() -> Iterator[SheetRows]:
        """Each sheet's rows once, for the workbook and the CSV file at the same time."""
        for part in sheet_rows(report, base):
            if "csv" in formats:
                opened.append(CsvFile(csv_dir / f"{part.file}.csv", part.header))
                part.rows = opened[-1].through(part.rows)
            yield part
            if "xlsx" not in formats:
                for _ in part.rows:  # (no workbook to read them: the CSV file alone)
                    pass
            if opened:
                opened.pop().close()

    try:
        if "xlsx" in formats:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
            wb = Workbook(write_only=True)
            info = fill_workbook(wb, report, parts())
            wb.save(tmp)
            tmp.replace(path)
        else:
            for _ in parts():
                pass
    finally:
        for f in opened:  # a sheet that failed half-way: its partial CSV file is removed
            f.close(ok=False)
    if "csv" in formats:
        write_csv_run_info(report, csv_dir, info)
    if parquet is not None:
        try:
            parquet.result()
        except BrokenProcessPool as exc:  # killed (out of memory, a signal): say so, not "pool broken"
            raise WorkerCrashedError(f"the process writing the parquet files died: {exc}") from None
    return path
