"""The workbook's sheets as CSV files (UTF-8 with BOM, so Excel reads the Chinese right).

Written beside the workbook, one file per sheet, from the same sheet descriptions. Text that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from report.recipe_sheets import recipe_table
from report.run import RunReport
from report.sheets import RECORD_SHEETS, Context, Link, run_info, table_rows

_FORMULA_LEAD = ("=", "+", "-", "@")


def _cell(value: object) -> object:
    if isinstance(value, Link):
        return value.target or value.text
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(_FORMULA_LEAD) and not _is_number(value):
        return "'" + value
    return value


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([_cell(v) for v in row] for row in rows)
    tmp.replace(path)
    return path


def write_csv(report: RunReport, folder: Path) -> list[Path]:
    """Every sheet of the workbook as ``<folder>/<sheet>.csv``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(report)
    out = [_write(folder / f"{s.name}.csv", s.header, s.rows(ctx)) for s in RECORD_SHEETS]
    out.append(_write(folder / "Tables.csv", *table_rows(ctx)))
    for recipe in report.recipes:
        safe = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in recipe.sheet)
        out.append(_write(folder / f"{safe}.csv", *recipe_table(report, recipe)))
    out.append(_write(folder / "Run info.csv", ["item", "value"], run_info(report)))
    return out
