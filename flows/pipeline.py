"""The Prefect flows: ``adhoc`` (parameters) and ``daily`` (incremental since the last good run).

scrape → per document, as soon as each is ready: download → extract (worker processes) → LLM; the
announcements' LLM classification alongside → Excel workbook + Prefect artifacts.
Bad inputs never sink a run: a document that fails is recorded (manifest, ``Run info`` sheet) and
the rest carry on. Reruns reuse the manifest: nothing is downloaded or processed twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Cancelled, Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner

from core import cancel
from core import progress as live
from core.categories import DAILY_DEFAULT
from core.errors import ConfigError, DeadlineExceededError, PipelineError, RunCancelledError
from core.manifest import Manifest, server_children
from core.params import RunParams
from core.prospectus import choose
from core.records import (
    Announcement,
    Document,
    DocumentExtraction,
    Exchange,
    Failure,
    LLMUsage,
)
from core.settings import Settings, current_settings
from core.store import Store
from extractors.recipes import TableRecipe, load_recipes, select
from flows import processes
from flows.progress import run_progress
from llm.client import model_from_settings, model_label
from llm.limits import RateLimiter
from llm.service import Cache, LLMService, release_service, shared_service, usage_totals
from llm.tasks import TASKS
from report import RunReport, write_workbook
from report.artifacts import document_rows, summary_markdown
from scrapers.base import BEIJING, Query, ScrapeResult
from scrapers.download import Downloader
from scrapers.http import HttpClient
from scrapers.registry import adapter_for

EXTRACT_STAGE = "extract-v2"
T = TypeVar("T")
#: One thread per document in flight: each waits on its download, on its extraction in the run's
#: worker processes (pdfplumber is CPU-bound Python and PDFium is serialised per process, so threads
#: alone gave 1.0x), then on the model. The CLI sizes it from PP_MAX_WORKERS (0: extraction processes
#: + PP_LLM_CONCURRENCY) or swaps in Dask (--task-runner dask).
RUNNER: Any = ThreadPoolTaskRunner(max_workers=processes.task_threads(0, 0, 4))


def _query(params: RunParams) -> Query:
    return Query(
        codes=tuple(params.codes),
        keyword=params.keyword,
        categories=tuple(params.categories),
        start=params.start,
        end=params.end,
    )


# --- tasks ------------------------------------------------------------------------------------------


#: No task-level retries for scrape and download: HttpClient already retries transient failures with
#: backoff, and retrying the task on top multiplied an unreachable endpoint's wait (98 s measured).
@task(name="scrape", cache_policy=NO_CACHE)
def scrape_task(params: RunParams, settings: Settings) -> ScrapeResult:
    with HttpClient(settings) as http:
        result = adapter_for(params.exchange, http, settings).search(_query(params))
    get_run_logger().info(
        "%s: %d announcements (%d rows fetched of %d reported, %d pages)",
        params.exchange,
        len(result.announcements),
        result.fetched_rows,
        result.reported_total,
        result.pages_fetched,
    )
    return result


@dataclass
class Enrichment:
    """What the LLM step adds for some items: each registered task's output records, the usage of
    their calls, and each item that failed (the rest are kept)."""

    results: dict[str, list[Any]] = field(default_factory=dict)
    usage: list[LLMUsage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


@dataclass
class DocumentRun:
    """One document's way through the run (the document task's result): the downloaded file, its
    extraction (``reused``: from the manifest), its LLM records, and what failed on the way."""

    key: str
    document: Document | None = None
    extraction: DocumentExtraction | None = None
    reused: bool = False
    llm: Enrichment = field(default_factory=Enrichment)
    failures: list[Failure] = field(default_factory=list)


#: One Prefect task per document, not one per stage: every task run costs Prefect's own work
#: (benchmarks/task_overhead.py), and the stages of one document follow each other anyway.
#: The task's state is Failed when the download or the extraction failed (the record is its data).
@task(name="document", task_run_name="{name}", cache_policy=NO_CACHE)
def document_task(
    ann: Announcement,
    settings: Settings,
    recipes: Sequence[TableRecipe],
    use_llm: bool,
    run_key: str,
    name: str = "document",
) -> DocumentRun | State:
    """Download → extract (in the run's worker processes) → this document's LLM items, as soon as the
    one before is done. Nothing is done twice: the download and the extraction are looked up by
    content hash first."""
    out = DocumentRun(key=ann.key)
    manifest = Manifest(settings.manifest_path)  # opened (and checked) once for both steps
    try:
        with HttpClient(settings) as http:
            out.document = Downloader(http, settings, manifest).fetch(ann)
    except PipelineError as exc:
        out.failures.append(Failure.of(ann.key, "download", exc))
        live.current().step("download", f"{name} failed: {exc}", failed=True)  # progress
        live.current().expect("extract", -1)  # progress
        return Failed(message=f"download failed: {exc}", data=out)
    live.current().step("download", name, nbytes=out.document.size)  # progress
    try:
        out.extraction, out.reused = _extract(out.document, settings, recipes, manifest)
    except PipelineError as exc:
        out.failures.append(Failure.of(out.document.key, "extract", exc))
        live.current().step("extract", f"{name} failed: {exc}", failed=True)  # progress
        return Failed(message=f"extraction failed: {exc}", data=out)
    live.current().step("extract", f"{name}: {len(out.extraction.patents)} patents, "  # progress
                        f"{len(out.extraction.competitors)} competitors")  # fmt: skip
    if not cancel.requested():
        out.llm = _enrich([], [out.extraction], settings, use_llm, run_key)  # its line: core.progress "llm n/N"
    return out


@task(name="llm-announcements", cache_policy=NO_CACHE)
def announcements_llm_task(
    announcements: list[Announcement], settings: Settings, use_llm: bool, run_key: str
) -> Enrichment:
    """The announcements' own LLM items (classification), alongside the documents."""
    return _enrich(announcements, [], settings, use_llm, run_key)


def _extract(
    doc: Document, settings: Settings, recipes: Sequence[TableRecipe], manifest: Manifest
) -> tuple[DocumentExtraction, bool]:
    """Extract once per content hash and set of recipes: a rerun gets the stored result (``True`` =
    from the manifest)."""
    stage = (
        EXTRACT_STAGE + recipes_key(recipes, settings.recipe_engine) + (":tabula" if settings.tabula_enabled else "")
    )
    stored = manifest.stage_result(doc.sha256, stage)
    if stored is not None:
        get_run_logger().info("skip %s: already extracted (sha256 %s)", doc.key, doc.sha256[:12])
        return DocumentExtraction.model_validate(stored).model_copy(update={"doc_key": doc.key}), True
    result = processes.run(
        processes.extract_document,
        doc.path,
        doc.key,
        issuer=doc.sec_name,
        use_tabula=settings.tabula_enabled,
        recipes=recipes,
        recipe_engine=settings.recipe_engine,
        timeout_s=settings.extract_timeout_s,
    )
    manifest.put_stage(doc.sha256, stage, result.model_dump(mode="json"))
    return result, False


def recipes_key(recipes: Sequence[TableRecipe], engine: str = "pdfplumber") -> str:
    """A stage-name suffix that changes when the recipes or their engine change (cached results stay honest)."""
    if not recipes:
        return ""
    return ":" + hashlib.sha256(repr([engine, *sorted(repr(r) for r in recipes)]).encode()).hexdigest()[:12]


def _llm_settings(settings: Settings, use_llm: bool) -> Settings:
    """The run's settings, or with ``llm`` off, the labelled offline backend's."""
    return settings if use_llm else settings.model_copy(update={"llm_offline": True})


def llm_service(settings: Settings, use_llm: bool, run_key: str) -> LLMService:
    """The run's LLM service in this process, shared by every document's task (see
    :func:`llm.service.shared_service`): PP_LLM_CONCURRENCY calls in flight in all, under the run's
    rate limits."""

    def make() -> LLMService:
        model = model_from_settings(_llm_settings(settings, use_llm))
        return LLMService(
            model,
            Cache(settings.llm_cache_path),
            max_reasks=settings.llm_max_reasks,
            max_input_chars=settings.llm_max_input_chars,
            breaker_threshold=settings.llm_breaker_threshold,
            concurrency=settings.llm_concurrency,
            limiter=RateLimiter(settings.llm_rpm, settings.llm_tpm),
        )

    return shared_service(f"{run_key}:{use_llm}", make)


def _enrich(
    announcements: list[Announcement],
    extractions: list[DocumentExtraction],
    settings: Settings,
    use_llm: bool,
    run_key: str,
) -> Enrichment:
    """Every registered LLM task's items for these announcements and extractions, through the run's
    shared service; an item that fails is recorded and the rest are kept."""
    service = llm_service(settings, use_llm, run_key)
    out = Enrichment(results={t.name: [] for t in TASKS.values()})
    work = [(t, key, item) for t in TASKS.values() for key, item in t.inputs(announcements, extractions)]
    live.current().expect("llm", len(work))  # progress
    results = service.run_all([(t, item) for t, _, item in work], usage=out.usage)
    if work:  # progress
        what = extractions[0].doc_key if extractions else f"{len(announcements)} announcements"
        live.current().step("llm", what, n=len(work), tokens=sum(u.total_tokens for u in out.usage))
    for (llm_task, key, _), result in zip(work, results, strict=True):
        if isinstance(result, PipelineError):
            get_run_logger().warning("llm-%s failed for %s: %s", llm_task.name, key, result)
            out.failures.append(Failure.of(key, f"llm-{llm_task.name}", result))
        else:
            out.results[llm_task.name].append(result)
    return out


# --- the shared body ------------------------------------------------------------------------------------


def _result(future: PrefectFuture[T]) -> T | PipelineError:
    """The task's value (a task that returned a Failed state with its record: that record), or the
    :class:`PipelineError` it failed with: bad input, recorded by the caller while the other documents
    carry on; a task past its deadline is one too. Any other exception is a bug and fails the run."""
    value: Any = future.result(raise_on_failure=False)
    if isinstance(value, PipelineError):
        return value
    if isinstance(value, TimeoutError):
        return DeadlineExceededError(f"past its deadline ({value or 'task timeout'})")
    if isinstance(value, BaseException):
        raise value
    return value


def ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to the outputs folder {folder}: {exc}") from exc


@dataclass(frozen=True)
class Outcome:
    """How a run ended, for the Prefect state, the manifest and the CLI's exit code."""

    path: Path | None  # None: a quiet day's run wrote no workbook
    status: Literal["completed", "partial", "failed", "cancelled"]
    message: str


def judge(
    report: RunReport, flow_name: str, attempted: int
) -> tuple[Literal["completed", "partial", "failed", "cancelled"], str]:
    """Everything worked: completed. Some items failed: partial, with the counts. Nothing matched
    (ad-hoc), or every document failed: failed. A daily window with nothing new is completed. A run
    asked to stop is cancelled, with what it finished."""
    docs_ok = len(report.extractions)
    if cancel.requested():
        return "cancelled", (
            f"cancelled ({cancel.reason()}): {docs_ok} of {attempted} documents extracted before it stopped; "
            "the rest are retried by the next run"
        )
    failed_keys = {f.key for f in report.failures}
    query_failed = [f for f in report.failures if f.stage == "scrape" and f.key.endswith(":query")]
    if query_failed:
        return "failed", f"the query failed: {query_failed[0].text[:300]}"
    if not report.announcements:
        if flow_name == "daily":
            return "completed", "no new announcements in the window"
        return "failed", report.warnings[-1] if report.warnings else "nothing matched the query"
    if attempted and docs_ok == 0:
        return "failed", f"all {attempted} documents failed ({len(report.failures)} failures)"
    counts = f"{docs_ok} of {attempted} documents extracted, {len(report.announcements)} announcements"
    if report.failures:
        return "partial", f"{counts}; {len(failed_keys)} items failed ({len(report.failures)} failures)"
    return "completed", counts


def _no_match_hint(params: RunParams) -> str:
    parts = [
        f"codes {', '.join(params.codes)} (listed on {params.exchange}?)" if params.codes else "",
        f"categories {', '.join(params.categories)}" if params.categories else "",
        f"keyword {params.keyword!r}" if params.keyword else "",
        f"dates {params.start or '…'} ~ {params.end or '…'}",
    ]
    return "nothing matched: check " + ", ".join(p for p in parts if p)


def run_pipeline(flow_name: str, params: RunParams, settings: Settings, *, write_empty: bool = True) -> Outcome:
    """The run; SIGTERM or Ctrl-C stops it within seconds (``core.cancel``): the stages not started
    are skipped, what is finished is written to the workbook, and the run ends Cancelled.
    ``write_empty`` off: a daily run with nothing new writes no workbook. Progress lines as they happen."""
    with cancel.on_signals(), run_progress(str(flow_run.get_id() or flow_name)):
        return _run_pipeline(flow_name, params, settings, write_empty)


def _stopped(report: RunReport, keys: Sequence[str], stage: str) -> bool:
    """True when the run was asked to stop: each item of a stage that will not run is recorded."""
    if not cancel.requested():
        return False
    for key in keys:
        report.failures.append(Failure.of(key, stage, RunCancelledError(f"not started: cancelled ({cancel.reason()})")))
    return True


def _run_pipeline(flow_name: str, params: RunParams, settings: Settings, write_empty: bool = True) -> Outcome:
    logger = get_run_logger()
    ensure_writable(settings.outputs_dir)  # found now, not after all the work
    manifest = Manifest(settings.manifest_path)
    run_id = manifest.start_run(flow_name, params.start, params.end)
    manifest.record_helpers(run_id, server_children())
    recipes = select(load_recipes(settings.recipes_file), params.tables) if params.tables else []
    report = RunReport(
        flow=flow_name, parameters=params.model_dump(mode="json"), started=dt.datetime.now(dt.UTC), recipes=recipes
    )
    try:
        try:
            scraped = scrape_task.with_options(timeout_seconds=settings.scrape_timeout_s)(params, settings)
        except PipelineError as exc:  # the query itself failed: the run fails, clearly, with its workbook
            report.failures.append(Failure.of(f"{params.exchange}:query", "scrape", exc))
            logger.error("the %s query failed: %s", params.exchange, exc)
            scraped = ScrapeResult(source=params.exchange)
        announcements = scraped.announcements
        report.announcements = announcements
        report.warnings += scraped.warnings
        report.parameters["rows fetched / reported"] = f"{scraped.fetched_rows} / {scraped.reported_total}"
        for why, raw in scraped.rejected:
            report.failures.append(
                Failure(
                    key=f"{params.exchange}:row",
                    stage="scrape",
                    error_type="ExchangeResponseError",
                    message=f"{why}; row: {raw}",
                )
            )
        if not announcements and not report.failures and flow_name == "daily":  # a quiet day: nothing new
            logger.info("no new announcements in the window %s ~ %s", params.start, params.end)
        elif not announcements and not report.failures:
            report.warnings.append(_no_match_hint(params))
            logger.warning(report.warnings[-1])

        choice = choose([a for a in announcements if a.pdf_url], keep_all=params.all_versions)
        wanted = choice.kept
        report.skipped = {a.key: why for a, why in choice.skipped}
        if choice.skipped:
            logger.info(
                "%d prospectus-family announcements not read (summaries, notices, older versions); "
                "--all-versions reads them",
                len(choice.skipped),
            )
        cap = params.max_documents or settings.max_documents
        if cap and len(wanted) > cap:
            report.warnings.append(f"{len(wanted)} documents found; only the newest {cap} processed")
            wanted = wanted[:cap]
        for a in announcements:
            if not a.pdf_url:
                report.failures.append(
                    Failure(key=a.key, stage="download", error_type="", message="no attachment posted yet")
                )

        if _stopped(report, [a.key for a in wanted], "download"):
            wanted = []
        live.current().expect("download", len(wanted))  # progress
        live.current().expect("extract", len(wanted))  # progress
        run_key = str(flow_run.get_id() or run_id)
        use_llm = params.llm
        # streaming, one task per document: download → extract → that document's LLM items, each
        # document as soon as it is ready (per-host intervals kept by the shared limiter); largest
        # first (by the size the exchange announces), so no worker is left alone with a 600-page
        # prospectus at the end. The announcements' classification runs alongside.
        announced = (
            None
            if cancel.requested() or not announcements
            else announcements_llm_task.submit(announcements, settings, use_llm, run_key)
        )
        # no Prefect timeout on tasks that run in threads: it cannot interrupt them (Prefect warns so on
        # every task) and would only discard finished work; the deadlines that work are inside: the
        # download's, the extraction pool's, the model call's
        per_doc = document_task
        order = sorted(range(len(wanted)), key=lambda i: -(wanted[i].size_kb or 0))
        enrichments: list[Enrichment] = []
        size = processes.pool_size(settings.extract_processes, len(wanted))
        # a document not downloaded yet will be extracted: the workers start while it downloads
        new = bool(wanted) and bool(manifest.unknown([a.key for a in wanted]))
        with processes.extraction_pool(
            size, settings.extract_on_dask and bool(wanted), settings.dask_address, warm=new
        ):
            futures: dict[int, PrefectFuture[Any]] = {}
            for i in order:
                a = wanted[i]
                name = f"{a.sec_code} {a.title}"[:120]
                futures[i] = per_doc.submit(a, settings, recipes, use_llm, run_key, name)
            runs: list[tuple[Announcement, DocumentRun | PipelineError]] = [
                (a, _result(futures[i])) for i, a in enumerate(wanted)
            ]
            if announced is not None:
                got = _result(announced)
                if isinstance(got, PipelineError):
                    report.failures.append(Failure.of(f"{params.exchange}:announcements", "llm-announcement", got))
                else:
                    enrichments.append(got)
        for n, (a, run) in enumerate(runs, start=1):
            if isinstance(run, PipelineError):  # the task itself failed: past its deadline
                report.failures.append(Failure.of(a.key, "document", run))
                manifest.record_failure(report.failures[-1])
                logger.warning("document %d/%d failed: %s %s: %s", n, len(wanted), a.sec_code, a.title, run)
                continue
            for failure in run.failures:  # each was logged (core.progress) as it happened
                report.failures.append(failure)
                manifest.record_failure(failure)
            if run.document is None:
                continue
            report.documents.append(run.document)
            if run.extraction is not None:  # an extraction always has its document
                report.extractions[run.document.key] = run.extraction
                report.skipped_documents += int(run.reused)
                enrichments.append(run.llm)
        usage = [u for e in enrichments for u in e.usage]
        report.llm = {t.name: [r for e in enrichments for r in e.results.get(t.name, [])] for t in TASKS.values()}
        report.failures += [f for e in enrichments for f in e.failures]
        service = release_service(f"{run_key}:{use_llm}")
        report.llm_backend = service.label if service else model_label(_llm_settings(settings, use_llm))
        report.llm_usage = usage_totals(usage)
        logger.info("LLM %s: %s", report.llm_backend, report.llm_usage)
        if service is not None and service.limiter.waited_s:
            logger.info(
                "LLM rate limits (rpm %s, tpm %s) held calls back %.1f s in all",
                settings.llm_rpm,
                settings.llm_tpm,
                service.limiter.waited_s,
            )
        if cancel.requested():
            report.warnings.append(f"cancelled ({cancel.reason()}): LLM items not started were skipped")

        report.finished = dt.datetime.now(dt.UTC)
        status, message = judge(report, flow_name, len(wanted))
        report.parameters["run state"] = f"{status}: {message}"
        _store(report, settings, f"{flow_name} run {run_id}")
        if not write_empty and flow_name == "daily" and status == "completed" and not report.announcements:
            # a quiet day: no empty workbook (the manifest and the run's state record that nothing was new)
            create_markdown_artifact(summary_markdown(report), key="prospectus-summary", description="run summary")
            manifest.finish_run(run_id, status, "")
            logger.info("%s: %s — no workbook written (--workbook-when-empty writes one)", status, message)
            return Outcome(None, status, message)
        path = write_workbook(report, settings.outputs_dir)
        _artifacts(report, path)
        manifest.finish_run(run_id, status, str(path))
        logger.info(
            "workbook: %s (%d announcements, %d documents, %d failures) — %s: %s",
            path,
            len(report.announcements),
            len(report.documents),
            len(report.failures),
            status,
            message,
        )
        return Outcome(path, status, message)
    except BaseException:
        manifest.finish_run(run_id, "failed")
        raise


def _store(report: RunReport, settings: Settings, run: str) -> None:
    """Add the run's records to the cumulative store, marking in the report what it had not seen."""
    store = Store(settings.store_path)
    known_anns = store.known("announcement", [(a.key, "") for a in report.announcements])
    known_docs = store.known("document", [(d.key, d.sha256) for d in report.documents])
    report.new_keys = {a.key for a in report.announcements if (a.key, "") not in known_anns} | {
        d.key for d in report.documents if (d.key, d.sha256) not in known_docs
    }
    new = store.add(
        run,
        announcements=report.announcements,
        documents=report.documents,
        extractions=list(report.extractions.values()),
        llm=report.llm,
    )
    get_run_logger().info("store: %d records added (%s)", new, settings.store_path)


def _artifacts(report: RunReport, path: Path) -> None:
    create_table_artifact(
        table=document_rows(report),
        key="prospectus-documents",
        description=f"{report.flow}: {len(report.documents)} documents, LLM {report.llm_backend}",
    )
    create_markdown_artifact(summary_markdown(report), key="prospectus-summary", description="run summary")
    # a file:// link is refused by browsers: the path to open, as text, and its CSV/parquet folders
    folder = path.resolve().parent
    create_markdown_artifact(
        f"**工作簿 / workbook**: `{path.name}`\n\n文件夹 / folder: `{folder}`\n\n"
        f"CSV: `{path.stem}_csv/` · parquet: `{path.stem}_parquet/`",
        key="prospectus-workbook",
        description="Excel workbook for review (open the path in Excel)",
    )


# --- flows ------------------------------------------------------------------------------------------


def state_of(outcome: Outcome) -> State:
    """Completed, Failed named 'Partial' (some items failed; the message has the counts: red in the
    UI, not green), Failed or Cancelled; the workbook path is the state's data either way ("" when a
    quiet day wrote none), so a failed run still leads to its report."""
    path = "" if outcome.path is None else str(outcome.path)
    if outcome.status == "failed":
        return Failed(message=outcome.message, data=path)
    if outcome.status == "cancelled":
        return Cancelled(message=outcome.message, data=path)
    if outcome.status == "partial":
        return Failed(message=outcome.message, name="Partial", data=path)
    return Completed(message=outcome.message, data=path)


def _adhoc_run_name() -> str:
    p = flow_run.parameters
    what = ",".join(p.get("codes") or []) or p.get("keyword") or ",".join(p.get("categories") or []) or "all"
    return f"adhoc {what} {p.get('start') or '…'}~{p.get('end') or '…'}"


def _daily_run_name() -> str:
    today = flow_run.parameters.get("today") or dt.datetime.now(BEIJING).date()
    return f"daily {today}"


@flow(name="prospectus-adhoc", task_runner=RUNNER, log_prints=False, flow_run_name=_adhoc_run_name)
def adhoc_flow(
    exchange: Exchange = "cninfo",
    codes: Sequence[str] = (),
    keyword: str | None = None,
    categories: Sequence[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_documents: int | None = None,
    llm: bool = True,
    all_versions: bool = False,
    tables: Sequence[str] = (),
    companies: Sequence[str] = (),
) -> State:
    """Ad-hoc run: scrape with filters, download, extract, summarise, write the workbook.

    Ends Completed, Failed named 'Partial' (some items failed: the counts are in its message) or
    Failed (nothing matched, or every document failed); the workbook path is the result in every case.

    Args:
        exchange: where to search: cninfo (SZSE, SSE and BSE), sse, szse, bse or neeq
        codes: six-digit stock codes, e.g. 001282; empty = every company
        keyword: text the title must contain, e.g. 招股说明书
        categories: names or cninfo codes, e.g. 年报, 半年报, 首发, category_ndbg_szsh
        start: first publication date, YYYY-MM-DD (Beijing time)
        end: last publication date, YYYY-MM-DD (Beijing time)
        max_documents: process at most this many documents (at least 1); empty = no cap
        llm: use the configured model; off = the labelled offline backend
        all_versions: read every prospectus version, summary and notice; off = per company only the latest
            full prospectus, the rest listed in Announcements with the reason
        tables: table recipes to extract and merge, e.g. 关联交易, 前五名客户
        companies: companies by short name or pinyin initials, e.g. 三联锻造 (added to codes)
    """
    if companies:  # the UI's form: names resolved as the CLI's --company is
        from flows.api import resolve_company

        codes = [*codes, *(resolve_company(name, current_settings()) for name in companies)]
    params = RunParams.checked(
        exchange=exchange,
        codes=list(codes),
        keyword=keyword,
        categories=list(categories),
        start=start,
        end=end,
        max_documents=max_documents,
        llm=llm,
        all_versions=all_versions,
        tables=list(tables),
    )
    return state_of(run_pipeline("adhoc", params, current_settings()))


@flow(name="prospectus-daily", task_runner=RUNNER, flow_run_name=_daily_run_name)
def daily_flow(
    exchange: Exchange = "cninfo",
    categories: Sequence[str] | None = None,
    keyword: str | None = None,
    lookback_days: int = 1,
    today: dt.date | None = None,
    all_versions: bool = False,
    tables: Sequence[str] = (),
    workbook_when_empty: bool = False,
) -> State:
    """Incremental run: from the end of the last successful daily window (or ``lookback_days`` ago)
    up to today, Beijing time. Overlap is harmless: announcements and documents are deduplicated.

    Args:
        exchange: where to search: cninfo (SZSE, SSE and BSE), sse, szse, bse or neeq
        categories: names or cninfo codes, e.g. 首发, 年报; empty = the exchange's default (cninfo: 首发;
            an exchange's own site: every announcement, since 首发 has no verified code there)
        keyword: text the title must contain
        lookback_days: first run only: how many days back the window starts
        today: the window's last day (default: today in Beijing)
        all_versions: read every prospectus version, summary and notice (off: the latest full one per company)
        tables: table recipes to extract and merge, e.g. 关联交易
        workbook_when_empty: write a workbook even when nothing in the window is new (off: a quiet day
            writes none; its run still records that nothing was new)
    """
    settings = current_settings()
    today = today or dt.datetime.now(BEIJING).date()
    last = Manifest(settings.manifest_path).last_successful_window_end("daily")
    start = last if last is not None else today - dt.timedelta(days=lookback_days)
    get_run_logger().info("daily window %s ~ %s (last successful end: %s)", start, today, last)
    params = RunParams.checked(
        exchange=exchange,
        categories=list(categories) if categories else list(DAILY_DEFAULT.get(exchange, ())),
        keyword=keyword,
        start=start,
        end=today,
        all_versions=all_versions,
        tables=list(tables),
    )
    return state_of(run_pipeline("daily", params, settings, write_empty=workbook_when_empty))


logging.getLogger("pdfminer").setLevel(logging.ERROR)
