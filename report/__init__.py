"""The output stage: the run's summary object and every form it is written in.

``RunReport`` collects what a run produced; ``sheets`` describes each sheet once, as a list of
columns (Chinese header, value getter, width, wrapping); ``excel`` writes the workbook, ``tabular``
the same sheets as CSV, and ``artifacts`` the rows of the Prefect artifacts. A new output is a new
module here that reads ``sheets``.
"""

from report.excel import build_workbook, write_workbook
from report.run import RunReport
from report.sheets import SHEETS

__all__ = ["SHEETS", "RunReport", "build_workbook", "write_workbook"]
