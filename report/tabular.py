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
import json
import multiprocessing
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from report.recipe_sheets import recipe_table
from report.run import RunReport
from report.sheets import RUN_INFO_HEADER, Context, Link, record_sheets, run_info, table_rows

if TYPE_CHECKING:
    import pyarrow as pa

#: A first character (after any spaces, tabs and line breaks) that makes a spreadsheet program read
#: a CSV cell as a formula or command: the workbook's set (report.excel.FORMULA_LEAD), and a tab or
#: line break first is what hides ``\t=`` and ``\r=`` from a check of the first character alone.
_FORMULA_LEAD = ("=", "+", "-", "@")
#: Control characters a cell never keeps (NUL, ESC...; tab, line feed and carriage return stay):
#: the characters the workbook drops (openpyxl's ILLEGAL_CHARACTERS_RE), and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _cell(value: object) -> object:
    value = _plain(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return sanitise_text(value)
    return value


def sanitise_text(value: str) -> str:
    """A CSV cell as the workbook has it: control characters dropped, and text a spreadsheet would run
    as a formula (``=``, ``+``, ``-``, ``@`` first, also after leading tabs, line breaks or spaces)
    prefixed with ``'``; a plain number (``-1.5``) is left alone."""
    value = _CONTROL.sub("", value)
    lead = value.lstrip(" \t\r\n")
    if lead.startswith(_FORMULA_LEAD) and not (lead == value and _is_number(value)):
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
    if len(kinds) == 1:
        return [None if v == "" else v for v in values]
    if kinds <= {int, float}:
        return [None if v is None or v == "" else float(v) for v in values]  # type: ignore[arg-type]
    return [None if v is None else str(v) for v in values]


def arrow_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> pa.Table:
    """One sheet as a typed Arrow table (the parquet file's contents). pyarrow alone, imported here:
    pandas is not needed to write it, nor loaded by a run. Integer columns stay integers with nulls;
    the pandas metadata written with them makes ``pd.read_parquet`` give ``Int64`` for those, not floats."""
    import pyarrow as pa

    names: list[str] = []
    arrays = []
    for i, name in enumerate(header):
        names.append(name if name not in names else f"{name}_{i}")
        values = _column([_plain(row[i]) if i < len(row) else None for row in rows])
        arrays.append(pa.array(values, type=pa.string() if all(v is None for v in values) else None))
    table = pa.Table.from_arrays(arrays, names=names)
    return table.replace_schema_metadata({b"pandas": json.dumps(_pandas_metadata(table)).encode()})


def _pandas_metadata(table: pa.Table) -> dict[str, Any]:
    """The ``pandas`` schema entry pandas itself writes, so an integer column with gaps reads back as
    the nullable ``Int64`` it is rather than as floats."""
    import pyarrow as pa

    def kind(t: pa.DataType) -> tuple[str, str]:
        if pa.types.is_integer(t):
            return "int64", "Int64"
        if pa.types.is_floating(t):
            return "float64", "float64"
        if pa.types.is_boolean(t):
            return "bool", "bool"
        if pa.types.is_timestamp(t):
            return "datetime", "datetime64[ns]"
        if pa.types.is_date(t):
            return "date", "object"
        return "unicode", "object"

    columns = [
        {"name": f.name, "field_name": f.name, "pandas_type": kind(f.type)[0], "numpy_type": kind(f.type)[1],
         "metadata": None}
        for f in table.schema
    ]  # fmt: skip
    return {
        "index_columns": [{"kind": "range", "name": None, "start": 0, "stop": table.num_rows, "step": 1}],
        "column_indexes": [],
        "columns": columns,
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": "2.0.0",
    }


def write_parquet(folder: Path, tables: list[Sheet]) -> list[Path]:
    """Every sheet (:func:`sheets`) as ``<folder>/<sheet>.parquet``; returns the files written."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, header, rows in tables:
        path = folder / f"{name}.parquet"
        tmp = path.with_name(f".{path.name}.part")
        pq.write_table(arrow_table(header, rows), tmp)
        tmp.replace(path)
        out.append(path)
    return out


def start_parquet(folder: Path, tables: list[Sheet]) -> Future[list[Path]]:
    """:func:`write_parquet` in a short-lived process, started now; the future gives the files (or
    raises what the writer raised). pyarrow never enters the caller: once it has written a file a
    process keeps ~100 MB more of RSS for good (its libraries' pages, thread pool and allocator; at 200
    documents that took a run's flow process from ~225 to ~305 MB), and the caller writes the
    workbook meanwhile. Spawned, not forked: the caller holds threads."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return pool.submit(write_parquet, folder, tables)
    finally:
        pool.shutdown(wait=False)  # the submitted writing still runs; the process exits after it
