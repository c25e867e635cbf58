"""How a run ends: fold the documents' results into the report, judge the run, publish its outputs.

Publishing writes the workbook first and keeps it whatever fails after it: the CSV and parquet
copies and the cumulative store are each tried, and what could not be written is reported (the run
is then Partial, never Completed) instead of losing the run's output.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core import cancel
from core.errors import ConfigError, PipelineError
from core.manifest import Manifest
from core.records import Announcement
from core.settings import Settings
from core.store import RunExtractions, RunLLM, Store
from llm.client import model_label
from llm.service import release_service, usage_totals
from llm.tasks import TASKS
from report import RunReport, write_workbook
from report.excel import workbook_path
from run.document import DocumentRun
from run.enrich import Enrichment, drain_queue, llm_settings, service_key
from run.plan import Plan, sheet_recipes
from run.stages import Stage, failure

log = logging.getLogger(__name__)
Status = Literal["completed", "partial", "failed", "cancelled"]
FORMATS = ("xlsx", "csv", "parquet")


@dataclass(frozen=True)
class Outcome:
    """How a run ended, for the Prefect state, the manifest and the CLI's exit code."""

    path: Path | None  # None: a quiet day's run wrote no workbook
    status: Status
    message: str
    #: outputs that could not be written (the workbook itself was)
    problems: tuple[str, ...] = field(default=())


def ensure_writable(folder: Path) -> None:
    """Refuse an outputs folder that cannot be written now, not after all the work."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to the outputs folder {folder}: {exc}") from exc
    sweep_stale_parts(folder)


def sweep_stale_parts(folder: Path) -> list[Path]:
    """Remove the temporary files a run killed while writing its workbook left behind
    (``.<workbook>.<pid>.part``, whose process is gone); another run's live file is left alone."""
    removed: list[Path] = []
    for part in folder.glob(".*.part"):
        pid = part.name.rsplit(".", 2)[-2]
        if not pid.isascii() or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # its writer is alive
        except ProcessLookupError:
            pass
        except OSError:
            continue  # alive, another user's
        with contextlib.suppress(OSError):
            part.unlink()
            removed.append(part)
            log.info("removed %s, left by a run that stopped while writing it", part.name)
    return removed


def new_report(flow_name: str, parameters: dict[str, Any], recipes: Sequence[Any]) -> RunReport:
    """An empty report; its sheets: the table recipes asked for and every registered extraction kind."""
    return RunReport(
        flow=flow_name, parameters=parameters, started=dt.datetime.now(dt.UTC), recipes=sheet_recipes(recipes)
    )


def apply_plan(report: RunReport, plan: Plan) -> None:
    """The plan's announcements, skips, warnings and failure rows, into the report."""
    report.announcements = list(plan.announcements)
    report.warnings += plan.warnings
    report.parameters.update(plan.parameters)
    report.failures += plan.failures
    report.skipped = dict(plan.skipped)


def fold(
    report: RunReport,
    runs: Sequence[tuple[Announcement | None, DocumentRun | PipelineError]],
    manifest: Manifest,
    logger: Any = log,
) -> list[Enrichment]:
    """Each document's run into the report (failures recorded in the manifest too); returns the
    model items of the documents that were extracted."""
    enrichments: list[Enrichment] = []
    total = len(runs)
    for n, (a, run) in enumerate(runs, start=1):
        if isinstance(run, PipelineError):  # the task itself failed: past its deadline
            assert a is not None  # (a local file's run is never an error: its failures are in it)
            report.failures.append(failure(a.key, Stage.DOCUMENT, run))
            manifest.record_failure(report.failures[-1])
            logger.warning("document %d/%d failed: %s %s: %s", n, total, a.sec_code, a.title, run)
            continue
        for f in run.failures:  # each was logged (core.progress) when it happened
            report.failures.append(f)
            manifest.record_failure(f)
        if run.document is None:
            continue
        report.documents.append(run.document)
        if run.stored:  # its rows are in the store, under the run (``report.extractions`` reads them there)
            report.skipped_documents += int(run.reused)
            enrichments.append(run.llm)
        elif run.extraction is not None:  # an extraction always has its document
            report.extractions[run.document.key] = run.extraction
            report.skipped_documents += int(run.reused)
            enrichments.append(run.llm)
    return enrichments


def fold_streamed(
    report: RunReport,
    settings: Settings,
    store_run: str,
    run_key: str,
    runs: Sequence[tuple[Announcement | None, DocumentRun | PipelineError]],
    manifest: Manifest,
    logger: Any = log,
) -> list[Enrichment]:
    """The documents of a run that streamed their rows to the store (under ``store_run``): the report
    reads those rows back from there, in the documents' order; each document's run is folded in
    (:func:`fold`), then the model work its documents left on the run's queue (``run_key``)."""
    # a run's documents are keyed by their announcement; a local file's run (no announcement) by its own key
    order = [a.key if a is not None else run.key if isinstance(run, DocumentRun) else "" for a, run in runs]
    stream_to_store(report, settings, store_run, order)
    folded = fold(report, runs, manifest, logger)
    return folded + fold_queue(report, drain_queue(run_key), logger)


def fold_queue(report: RunReport, drained: Mapping[str, Any], logger: Any = log) -> list[Enrichment]:
    """The model work that the documents handed to the run's queue, folded back per document: a failed
    item is that document's ``llm`` failure; an answer that changed the extraction (the model's
    competitor names merged in) replaces it where the report still holds it in memory."""
    folded: list[Enrichment] = []
    for doc_key, asked in drained.items():
        if isinstance(asked, BaseException):
            report.failures.append(failure(doc_key, "llm", asked, logger))
            continue
        extraction, enrichment = asked  # (a document whose rows went to the store has no extraction here)
        if extraction is not None and doc_key in report.extractions:
            report.extractions[doc_key] = extraction
        folded.append(enrichment)
    return folded


def fold_llm(
    report: RunReport, enrichments: Sequence[Enrichment], settings: Settings, use_llm: bool, run_key: str,
    logger: Any = log,
) -> None:  # fmt: skip
    """Every model item into the report, the run's service released and its usage counted. A run that
    streams its rows to the store (``report.extractions`` is its :class:`RunExtractions`) stores the
    records still in hand (the announcements', a batch's) there too and reads them all back from it."""
    llm = {t.name: [r for e in enrichments for r in e.results.get(t.name, [])] for t in TASKS.values()}
    report.llm = llm
    if isinstance(report.extractions, RunExtractions):
        rows = report.extractions
        try:
            if any(llm.values()):
                rows.store.add(rows.run, llm=llm)
            report.llm = RunLLM(rows.path, rows.run, list(llm), rows.order)
        except Exception as exc:  # the store is the data: say so, keep what is in hand for the workbook
            logger.error("store %s: model records not written: %s", rows.path, exc)
            report.failures.append(failure(f"{report.flow}:llm", Stage.STORE, exc, logger))
    report.failures += [f for e in enrichments for f in e.failures]
    service = release_service(service_key(run_key, use_llm))
    report.llm_backend = service.label if service else model_label(llm_settings(settings, use_llm))
    report.llm_usage = usage_totals([u for e in enrichments for u in e.usage])
    logger.info("LLM %s: %s", report.llm_backend, report.llm_usage)
    if service is not None and service.limiter.waited_s:
        logger.info("LLM rate limits (rpm %s, tpm %s) held calls back %.1f s in all", settings.llm_rpm,
                    settings.llm_tpm, service.limiter.waited_s)  # fmt: skip
    if cancel.requested():
        report.warnings.append(f"cancelled ({cancel.reason()}): LLM items not started were skipped")


def judge(report: RunReport, flow_name: str, attempted: int) -> tuple[Status, str]:
    """Everything worked: completed. Some items failed: partial, with the counts. Nothing matched
    (ad-hoc), the query failed, or every document failed: failed. A daily window with nothing new is
    completed. A run asked to stop is cancelled, with what it finished."""
    docs_ok = len(report.extractions)
    if cancel.requested():
        return "cancelled", (
            f"cancelled ({cancel.reason()}): {docs_ok} of {attempted} documents extracted before it stopped; "
            "the rest are retried by the next run"
        )
    query_failed = [f for f in report.failures if f.stage == Stage.QUERY]
    if query_failed:
        return "failed", f"the query failed: {query_failed[0].text[:300]}"
    if not report.announcements and flow_name != "extract":  # a local run has documents, not announcements
        if flow_name == "daily":
            return "completed", "no new announcements in the window"
        return "failed", report.warnings[-1] if report.warnings else "nothing matched the query"
    if attempted and docs_ok == 0:
        return "failed", f"all {attempted} documents failed ({len(report.failures)} failures)"
    counts = f"{docs_ok} of {attempted} documents extracted" + (
        f", {len(report.announcements)} announcements" if flow_name != "extract" else ""
    )
    if report.failures:
        failed_keys = {f.key for f in report.failures}
        return "partial", f"{counts}; {len(failed_keys)} items failed ({len(report.failures)} failures)"
    return "completed", counts


def write_outputs(report: RunReport, outputs_dir: Path, formats: Collection[str] = FORMATS) -> tuple[Path, list[str]]:
    """The workbook, its CSV and its parquet copies (``formats``); the workbook is written first, and
    when a copy cannot be written after it, the workbook is kept and the failure is the second value
    (a workbook that cannot be written raises)."""
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ConfigError(f"formats are xlsx, csv and parquet; got {sorted(formats)}")
    outputs_dir.mkdir(parents=True, exist_ok=True)
    path = workbook_path(report, outputs_dir)
    try:  # all at once: the parquet copy is written in its own process while the workbook is
        write_workbook(report, outputs_dir, name=path.name, formats=formats)
        return path, []
    except Exception as exc:  # whatever it was: the workbook is kept (or written alone) and the rest said
        if "xlsx" not in formats:
            raise
        problems = [f"{type(exc).__name__}: {exc} (the CSV or parquet copies may be missing)"]
        log.error("outputs of %s not all written: %s: %s", path.name, type(exc).__name__, exc)
    if not path.is_file():  # it failed before the workbook: the workbook alone, then its CSV
        write_workbook(report, outputs_dir, name=path.name, formats=("xlsx",))
        if "csv" in formats:
            try:
                write_workbook(report, outputs_dir, name=path.name, formats=("csv",))
            except Exception as exc:
                problems.append(f"csv not written: {type(exc).__name__}: {exc}")
    return path, problems


def stream_to_store(report: RunReport, settings: Settings, run: str, order: Sequence[str]) -> RunExtractions:
    """The report's extractions read back from the store, where the run's documents put them as each
    was extracted (``DocumentContext.store_run``), in the order of ``order`` (the documents' keys)."""
    report.extractions = RunExtractions(settings.store_path, run, order)
    return report.extractions


def store_run(report: RunReport, settings: Settings, run: str, logger: Any = log) -> list[str]:
    """Mark in the report what the cumulative store had not seen (before the workbook is written); a
    run that streamed its documents there: those it stored first."""
    try:
        store = Store(settings.store_path)
        known_anns = store.known("announcement", [(a.key, "") for a in report.announcements])
        if isinstance(report.extractions, RunExtractions):
            stored = store.known("document", [(d.key, d.sha256) for d in report.documents])
            known_docs = stored - store.first_stored_by(run, "document")
        else:
            known_docs = store.known("document", [(d.key, d.sha256) for d in report.documents])
    except Exception as exc:  # the store is the data: say so loudly, keep the workbook
        logger.error("store %s cannot be read: %s; nothing is marked new", settings.store_path, exc)
        return [f"store not read: {type(exc).__name__}: {exc}"]
    report.new_keys = {a.key for a in report.announcements if (a.key, "") not in known_anns} | {
        d.key for d in report.documents if (d.key, d.sha256) not in known_docs
    }
    return []


def add_to_store(report: RunReport, settings: Settings, run: str, logger: Any = log) -> list[str]:
    """The run's records into the cumulative store (after the workbook); a run that streamed its
    documents' rows there adds its announcements."""
    streamed = isinstance(report.extractions, RunExtractions)
    try:
        new = Store(settings.store_path).add(
            run,
            announcements=report.announcements,
            documents=report.documents,
            extractions=[] if streamed else list(report.extractions.values()),
            llm={} if streamed else report.llm,
        )
    except Exception as exc:  # the store is the data: say so loudly, keep the workbook
        logger.error("store %s not written: %s", settings.store_path, exc)
        return [f"store not written: {type(exc).__name__}: {exc}"]
    logger.info("store: %d records added (%s)", new, settings.store_path)
    return []


def publish(
    report: RunReport, settings: Settings, flow_name: str, attempted: int, run: str, logger: Any = log,
    *, write_empty: bool = True,
) -> Outcome:  # fmt: skip
    """Judge the run, then write: the store's view (what is new), the workbook, its copies, the store.
    What could not be written after the workbook makes a completed run partial, and is said. A daily
    window with nothing new writes no workbook unless ``write_empty``."""
    report.finished = dt.datetime.now(dt.UTC)
    status, message = judge(report, flow_name, attempted)
    report.parameters["run state"] = f"{status}: {message}"
    if not write_empty and flow_name == "daily" and status == "completed" and not report.announcements:
        logger.info("%s: %s — no workbook written (--workbook-when-empty writes one)", status, message)
        return Outcome(None, status, message)
    problems = store_run(report, settings, run, logger)
    path, more = write_outputs(report, settings.outputs_dir)
    problems += more + add_to_store(report, settings, run, logger)
    if problems:
        status = "partial" if status == "completed" else status
        message = f"{message}; {'; '.join(problems)}"
    logger.info("workbook: %s (%d announcements, %d documents, %d failures) — %s: %s", path,
                len(report.announcements), len(report.documents), len(report.failures), status, message)  # fmt: skip
    return Outcome(path, status, message, tuple(problems))
