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
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
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


@dataclass
class SheetRows:
    """One sheet's rows as they are made (an iterator, read once), with its workbook name, its file
    name (CSV, parquet) and how the workbook lays it out."""

    name: str
    file: str
    header: list[str]
    rows: Iterable[Sequence[object]]
    #: ``report.excel.write_sheet``'s layout options: wrapped and fixed-width columns, printed columns
    layout: dict[str, Any] = field(default_factory=dict)


def sheet_rows(report: RunReport, base: Path | None = None) -> Iterator[SheetRows]:
    """Every sheet the workbook has but Run info, in its order, each one's rows made while they are
    read: a writer holds one row at a time (the record sheets and Tables; a recipe's and an LLM task's
    sheet are made whole first), and each sheet's lookups (labels by document) are let go after it.
    ``base`` is the folder local-file links are relative to."""
    for spec in record_sheets(report):
        layout = {
            "wrap": [c.header for c in spec.columns if c.wrap],
            "fixed": {c.header: c.width for c in spec.columns if c.width},
            "print_cols": spec.printed,
        }
        yield SheetRows(spec.name, spec.name, spec.header, spec.rows(Context(report, base)), layout)
    header, rows = table_rows(Context(report, base))
    yield SheetRows("Tables", "Tables", header, rows)
    for recipe in report.recipes:
        safe = "".join("_" if ch in '\\/:*?"<>|' else ch for ch in recipe.sheet)
        header, made = recipe_table(report, recipe, base)
        yield SheetRows(recipe.sheet, safe, header, made, {"wrap": ["标题"], "fixed": {"key": 24}})


#: Run info's layout in the workbook (a few hundred rows at most: never split)
RUN_INFO_LAYOUT: dict[str, Any] = {"wrap": ["值"], "fixed": {"key": 24}}


def sheets(report: RunReport, base: Path | None = None) -> list[Sheet]:
    """(file-safe name, header, rows) of every sheet the workbook has, in its order, each one's rows
    in a list; ``base`` is the folder local-file links are relative to."""
    out: list[Sheet] = [(s.file, s.header, list(s.rows)) for s in sheet_rows(report, base)]
    out.append(("Run info", RUN_INFO_HEADER, list(run_info(report))))
    return out


class CsvFile:
    """One sheet's CSV file written as its rows pass (:meth:`through`), in place once it is whole."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.part")
        self._f = open(self.tmp, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed in close())
        self._w = csv.writer(self._f)
        self._w.writerow(header)

    def through(self, rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
        for row in rows:
            self._w.writerow([_cell(v) for v in row])
            yield row

    def close(self, ok: bool = True) -> None:
        self._f.close()
        if ok:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def write_csv_run_info(report: RunReport, folder: Path, rows: Sequence[Sequence[object]] | None = None) -> Path:
    """Run info as ``<folder>/Run info.csv`` (``rows``: :func:`report.sheets.run_info`, already made)."""
    return _write(folder / "Run info.csv", RUN_INFO_HEADER, run_info(report) if rows is None else rows)


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


def write_parquet_report(folder: Path, report: RunReport, base: Path | None = None) -> list[Path]:
    """Every sheet of ``report`` as parquet, one sheet's rows at a time (a run's rows are read back
    from the store here: :class:`core.store.RunExtractions` travels as its path)."""
    out = [*(p for s in sheet_rows(report, base) for p in write_parquet(folder, [(s.file, s.header, list(s.rows))]))]
    return [*out, *write_parquet(folder, [("Run info", RUN_INFO_HEADER, list(run_info(report)))])]


def start_parquet(folder: Path, tables: list[Sheet] | RunReport, base: Path | None = None) -> Future[list[Path]]:
    """:func:`write_parquet` in a short-lived process, started now; the future gives the files (or
    raises what the writer raised). pyarrow never enters the caller: once it has written a file a
    process keeps ~100 MB more of RSS for good (its libraries' pages, thread pool and allocator; at 200
    documents that took a run's flow process from ~225 to ~305 MB), and the caller writes the
    workbook meanwhile. Spawned, not forked: the caller holds threads."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        if isinstance(tables, RunReport):  # the report itself: the process makes the rows, a sheet at a time
            return pool.submit(write_parquet_report, folder, tables, base)
        return pool.submit(write_parquet, folder, tables)
    finally:
        pool.shutdown(wait=False)  # the submitted writing still runs; the process exits after it
