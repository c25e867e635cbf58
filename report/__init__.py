"""The output stage: the run's summary object and every form it is written in.

``RunReport`` collects what a run produced; ``sheets`` describes each sheet once, as a list of
columns (Chinese header, value getter, width, wrapping); ``excel`` writes the workbook, ``tabular``
the same sheets as CSV, and ``artifacts`` the rows of the Prefect artifacts. A new output is a new
module here that reads ``sheets``.

The workbook writer (openpyxl, and numpy under it) is imported when first asked for, so a process
that writes only the parquet copy (``report.tabular.start_parquet``) never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from report.run import RunReport
from report.sheets import SHEETS

if TYPE_CHECKING:
    from report.excel import build_workbook, write_workbook

__all__ = ["SHEETS", "RunReport", "build_workbook", "write_workbook"]


def __getattr__(name: str) -> Any:
    if name in ("build_workbook", "write_workbook"):
        from report import excel

        return getattr(excel, name)
    raise AttributeError(f"module 'report' has no attribute {name!r}")
