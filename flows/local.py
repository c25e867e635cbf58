"""Extract PDFs already on disk: no scraping, no Prefect server, the same run otherwise.

``python -m flows extract FILE|FOLDER … [--table 关联交易]`` takes each PDF through the steps a run's
document takes after its download (:func:`run.document.process_local`): the extraction in the run's
worker processes (once per content hash), the document's date and name from its cover, its rows into
the cumulative store at once (so ``export`` includes them, and the run holds no file's rows), the
model items (summaries, competitor roles: the model, or the labelled offline backend) on the run's
model queue, then the same judgement and outputs as a run, the workbook read back from the store,
its CSV and parquet. Progress lines as each file ends; a file that cannot be read is that file's
failure.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core import progress
from core.manifest import Manifest
from core.records import DocumentExtraction
from core.settings import Settings
from extractors.recipes import TableRecipe
from flows import processes
from run.document import DocumentContext, DocumentRun, local_document, process_local
from run.outcome import Outcome, fold_llm, fold_streamed, new_report, publish
from run.plan import sheet_recipes

log = logging.getLogger(__name__)

__all__ = ["extract_files", "local_document", "pdf_files"]


def pdf_files(paths: Sequence[Path]) -> list[Path]:
    """The PDFs named, and those inside the folders named (sorted, recursive)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix.lower() == ".pdf")
        else:
            out.append(p)
    return out


def _extract_in_pool(*args: object, timeout_s: float | None = None, **kwargs: object) -> DocumentExtraction:
    return processes.run(processes.extract_document, *args, timeout_s=timeout_s, **kwargs)


def extract_files(
    paths: Sequence[Path],
    outputs_dir: Path,
    recipes: Sequence[TableRecipe],
    settings: Settings,
    *,
    use_llm: bool = True,
) -> Outcome:
    """Every PDF of ``paths`` as a run's document; the outcome names the workbook (its CSV and parquet
    folders beside it) and how the run ended (completed, partial, failed)."""
    files = pdf_files(paths)
    settings = settings.model_copy(update={"outputs_dir": outputs_dir})
    started = dt.datetime.now(dt.UTC)
    run_key = f"extract-{started:%Y%m%d%H%M%S%f}"
    report = new_report(
        "extract", {"files": [str(f) for f in files], "tables": [r.name for r in recipes]}, sheet_recipes(recipes)
    )
    size = processes.pool_size(settings.extract_processes, len(files))
    # each file's rows go to the store as it is extracted, its model items to the run's queue: the run
    # holds no document's rows, and the workbook reads them back from the store
    ctx = DocumentContext(settings, recipes, use_llm, run_key, _extract_in_pool, log, queue_llm=True, store_run=run_key)
    live = progress.Progress()
    live.expect("extract", len(files))
    with progress.started(run_key, live), processes.extraction_pool(size, False, None, warm=bool(files)):

        def one(path: Path) -> DocumentRun:
            return process_local(path, DocumentContext(**{**ctx.__dict__, "name": path.name}))

        with ThreadPoolExecutor(max(1, size), thread_name_prefix="extract") as threads:
            runs = list(threads.map(one, files))
    manifest = Manifest(settings.manifest_path)
    enrichments = fold_streamed(report, settings, run_key, run_key, [(None, r) for r in runs], manifest, log)
    fold_llm(report, enrichments, settings, use_llm, run_key, log)
    outcome = publish(report, settings, "extract", len(files), f"extract run {run_key}", log)
    return outcome
