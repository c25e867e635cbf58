"""The workbook's sheets as CSV files (UTF-8 with BOM, so Excel reads the Chinese right) and as
parquet files (typed columns, for pandas/DuckDB/Polars).

Written beside the workbook, one file per sheet, from the same sheet descriptions. In CSV, text that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) is prefixed with ``'``; parquet
keeps values as they are (no spreadsheet evaluates it) with a type per column: a column whose values
share one type keeps it (integers, floats, dates, timestamps, booleans), integers mixed with floats
become floats, any other mix becomes text.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from report.recipe_sheets import recipe_table
from report.run import RunReport
from report.sheets import RUN_INFO_HEADER, Context, Link, record_sheets, run_info, table_rows

_FORMULA_LEAD = ("=", "+", "-", "@")


def _cell(value: object) -> object:
    value = _plain(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
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


Sheet = tuple[str, Sequence[str], list[Sequence[object]]]


def sheets(report: RunReport, base: Path | None = None) -> list[Sheet]:
    """(file-safe name, header, rows) of every sheet the workbook has, in its order; ``base`` is the
    folder local-file links are relative to."""
    ctx = Context(report, base)
    out: list[Sheet] = [(s.name, s.header, list(s.rows(ctx))) for s in record_sheets(report)]
    header, rows = table_rows(ctx)
    out.append(("Tables", header, list(rows)))
    for recipe in report.recipes:
        safe = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in recipe.sheet)
        header, rows = recipe_table(report, recipe, base)
        out.append((safe, header, list(rows)))
    out.append(("Run info", RUN_INFO_HEADER, list(run_info(report))))
    return out


def write_csv(report: RunReport, folder: Path, tables: list[Sheet] | None = None) -> list[Path]:
    """Every sheet of the workbook as ``<folder>/<sheet>.csv``; returns the files written. ``tables``:
    :func:`sheets` already computed (the workbook writer computes them once for CSV and parquet)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_write(folder / f"{name}.csv", header, rows) for name, header, rows in tables or sheets(report)]


def _plain(value: object) -> object:
    if isinstance(value, Link):
        return value.target or value.text
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return value


def _column(values: list[object]) -> list[object]:
    """One type per column (see the module docstring)."""
    kinds = {type(v) for v in values if v is not None and v != ""}
    if not kinds:
        return [None] * len(values)
    if kinds == {int}:  # nullable, so a missing page does not turn the column into floats
        return pd.array([None if v is None or v == "" else v for v in values], dtype="Int64")
    if len(kinds) == 1:
        return [None if v == "" else v for v in values]
    if kinds <= {int, float}:
        return [None if v is None or v == "" else float(v) for v in values]  # type: ignore[arg-type]
    return [None if v is None else str(v) for v in values]


def frame(header: Sequence[str], rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """One sheet as a typed DataFrame (the parquet file's contents)."""
    columns = {}
    for i, name in enumerate(header):
        key = name if name not in columns else f"{name}_{i}"
        columns[key] = _column([_plain(row[i]) if i < len(row) else None for row in rows])
    return pd.DataFrame(columns)


def write_parquet(report: RunReport, folder: Path, tables: list[Sheet] | None = None) -> list[Path]:
    """Every sheet of the workbook as ``<folder>/<sheet>.parquet``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, header, rows in tables or sheets(report):
        path = folder / f"{name}.parquet"
        tmp = path.with_name(f".{path.name}.part")
        frame(header, rows).to_parquet(tmp, index=False)
        tmp.replace(path)
        out.append(path)
    return out
