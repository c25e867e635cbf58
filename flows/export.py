"""``python -m flows export``: one merged workbook (and CSV/parquet) over every run in the store.

No Prefect and no network: it reads ``data/store.sqlite`` (core.store), rebuilds a report from the
stored records and writes it with the same writers as a run. Rows first stored after the previous
export are marked 新 in the 新增 column, so "what is new since I last looked" is one filter.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from pathlib import Path

from core.settings import Settings
from core.store import Store
from extractors.recipes import load_recipes
from report import RunReport
from run.outcome import write_outputs

log = logging.getLogger(__name__)
BEIJING = dt.timezone(dt.timedelta(hours=8))
FORMATS = frozenset({"xlsx", "csv", "parquet"})


def export(
    settings: Settings,
    outputs_dir: Path,
    *,
    since: dt.date | None = None,
    since_last_export: bool = False,
    formats: Collection[str] = FORMATS,
) -> Path:
    """Write the merged workbook; ``since`` (a Beijing date) or ``since_last_export`` limit it to what
    was first stored from then on. Returns the workbook path (its stem names the CSV/parquet folders)."""
    store = Store(settings.store_path)
    last = store.last_export()
    if since_last_export:
        cutoff = last
    elif since is not None:
        cutoff = dt.datetime.combine(since, dt.time(0), BEIJING)
    else:
        cutoff = None
    stored = store.load(cutoff)
    now = dt.datetime.now(dt.UTC)
    by_name = load_recipes(settings.recipes_file)
    names = sorted({r.recipe for ex in stored.extractions.values() for r in ex.recipe_rows})
    report = RunReport(
        flow="export",
        parameters={
            "since": cutoff.isoformat(timespec="seconds") if cutoff else "(everything stored)",
            "previous export": last.isoformat(timespec="seconds") if last else "(none)",
            "store": str(settings.store_path),
        },
        started=now,
        finished=now,
        announcements=stored.announcements,
        documents=stored.documents,
        extractions=stored.extractions,
        llm=stored.llm,
        recipes=[by_name[n] for n in names if n in by_name],
        llm_backend="(as stored per row)",
    )
    report.new_keys = {key for (_, key), at in stored.first_seen.items() if last is None or at > last}
    path, problems = write_outputs(report, outputs_dir, formats=formats)  # the workbook first, kept
    for problem in problems:
        log.error("export: %s", problem)
    store.record_export(path, now)
    log.info(
        "export: %d announcements, %d documents, %d new since the previous export (%s) → %s",
        len(report.announcements),
        len(report.documents),
        len(report.new_keys),
        last.isoformat(timespec="seconds") if last else "none",
        ", ".join(str(p) for p in written(path, formats)),
    )
    return path


def written(path: Path, formats: Collection[str]) -> list[Path]:
    """What :func:`report.write_workbook` wrote for ``formats``: the workbook, the CSV folder, the
    parquet folder (the returned ``path`` names all three, written or not)."""
    return [
        *([path] if "xlsx" in formats else []),
        *([path.with_name(path.stem + "_csv")] if "csv" in formats else []),
        *([path.with_name(path.stem + "_parquet")] if "parquet" in formats else []),
    ]
