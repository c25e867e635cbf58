"""The Prefect flows: ``adhoc`` (parameters) and ``daily`` (incremental since the last good run).

scrape → per document, as soon as each is ready: download → extract (worker processes) → LLM; the
announcements' LLM classification alongside → Excel workbook + Prefect artifacts.
Bad inputs never sink a run: a document that fails is recorded (manifest, ``Run info`` sheet) and
the rest carry on. Reruns reuse the manifest: nothing is downloaded or processed twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
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
from core.errors import DeadlineExceededError, PipelineError, UnexpectedError
from core.manifest import Manifest, server_children
from core.params import RunParams, check_daily_window
from core.records import Announcement, DocumentExtraction, Exchange
from core.settings import Settings, current_settings
from extractors.recipes import TableRecipe
from flows import processes, server
from flows.progress import run_progress
from report import RunReport
from report.artifacts import document_rows, extraction_counts, summary_markdown
from run.document import DocumentContext, DocumentRun, process
from run.enrich import Enrichment, batch_enrich, enrich
from run.outcome import (
    Outcome,
    apply_plan,
    ensure_writable,
    fold_llm,
    fold_streamed,
    judge,
    new_report,
    publish,
)
from run.plan import Plan, plan, query_of, recipes_for, recipes_key
from run.stages import Stage, failure
from scrapers.base import BEIJING, ScrapeResult
from scrapers.http import HttpClient
from scrapers.registry import adapter_for

T = TypeVar("T")
#: One thread per document in flight: each waits on its download, on its extraction in the run's
#: worker processes (pdfplumber is CPU-bound Python and PDFium is serialised per process, so threads
#: alone gave 1.0x), then on the model. The CLI sizes it from PP_MAX_WORKERS (0: extraction processes
#: + PP_LLM_CONCURRENCY) or swaps in Dask (--task-runner dask).
RUNNER: Any = ThreadPoolTaskRunner(max_workers=processes.task_threads(0, 0, 4))


#: the market choices the UI form offers (English aliases are accepted too: sh-sz, bj, neeq)
MarketChoice = Literal["沪深", "京", "三板", "all", "sh-sz", "bj", "neeq"]

__all__ = ["Outcome", "adhoc_flow", "daily_flow", "ensure_writable", "judge", "recipes_key", "run_pipeline"]


# --- tasks ------------------------------------------------------------------------------------------


#: No task-level retries for scrape and download: HttpClient already retries transient failures with
#: backoff, and retrying the task on top multiplied an unreachable endpoint's wait (98 s measured).
@task(name="scrape", cache_policy=NO_CACHE)
def scrape_task(params: RunParams, settings: Settings) -> ScrapeResult:
    with HttpClient(settings) as http:
        result = adapter_for(params.exchange, http, settings).search(query_of(params))
    get_run_logger().info(
        "%s: %d announcements (%d rows fetched of %d reported, %d pages)",
        params.exchange,
        len(result.announcements),
        result.fetched_rows,
        result.reported_total,
        result.pages_fetched,
    )
    return result


def extract_in_pool(*args: Any, **kwargs: Any) -> DocumentExtraction:
    """The executor of :func:`run.document.process`: the run's worker processes (or Dask)."""
    return processes.run(processes.extract_document, *args, **kwargs)


#: One Prefect task per document, not one per stage: every task run costs Prefect's own work
#: (benchmarks/task_overhead.py), and the stages of one document follow each other anyway.
#: The task's state is Failed when the download or the extraction failed (the record is its data).
#: Its result is the document's counts (its rows are in the store) and is never persisted: Prefect 3.8
#: keeps, per finished task run, only a copy of its state without the data (``FlowRunContext.run_results``)
#: and the future that the flow lets go once it has read it.
@task(name="document", task_run_name="{name}", cache_policy=NO_CACHE, persist_result=False)
def document_task(
    ann: Announcement,
    settings: Settings,
    recipes: Sequence[TableRecipe],
    use_llm: bool,
    run_key: str,
    name: str = "document",
    defer_llm: bool = False,
    store_run: str = "",
) -> DocumentRun | State:
    """:func:`run.document.process` as a Prefect task: download → extract → model items (``defer_llm``:
    the model items are left to the run's batch, and the task ends with the extraction). With
    ``store_run`` the document's rows go to the store as soon as they are known and the task's result
    is the document's counts: the flow holds no document's rows (nor does Prefect's result)."""
    ctx = DocumentContext(
        settings, recipes, use_llm, run_key, extract_in_pool, get_run_logger(), name, defer_llm, queue_llm=True,
        store_run=store_run,
    )  # fmt: skip
    out = process(ann, ctx)
    if out.failed:
        last = out.failures[-1] if out.failures else None
        return Failed(message=f"{last.stage if last else 'document'} failed: {last.text if last else ''}", data=out)
    return out


@task(name="llm-announcements", cache_policy=NO_CACHE)
def announcements_llm_task(
    announcements: list[Announcement], settings: Settings, use_llm: bool, run_key: str
) -> Enrichment:
    """The announcements' own LLM items (classification), alongside the documents."""
    return enrich(announcements, [], settings, use_llm, run_key, get_run_logger())


def _result(future: PrefectFuture[T]) -> T | PipelineError:
    """The task's value (a task that returned a Failed state with its record: that record), or the
    error it failed with as a :class:`PipelineError`: a task past its deadline is a
    DeadlineExceededError, anything else not a PipelineError an UnexpectedError (logged with its
    traceback): that item fails, the others are kept."""
    value: Any = future.result(raise_on_failure=False)
    if isinstance(value, PipelineError):
        return value
    if isinstance(value, TimeoutError):
        return DeadlineExceededError(f"past its deadline ({value or 'task timeout'})")
    if isinstance(value, Exception):
        failure("task", Stage.DOCUMENT, value, get_run_logger())  # logs the traceback
        return UnexpectedError.of(value)
    if isinstance(value, BaseException):
        raise value
    return value


# --- the run ----------------------------------------------------------------------------------------


def run_pipeline(flow_name: str, params: RunParams, settings: Settings, *, write_empty: bool = True) -> Outcome:
    """The run; SIGTERM or Ctrl-C stops it within seconds (``core.cancel``): the stages not started
    are skipped, what is finished is written to the workbook, and the run ends Cancelled.
    ``write_empty`` off: a daily run with nothing new writes no workbook. Progress lines as they happen."""
    with cancel.on_signals(), run_progress(str(flow_run.get_id() or flow_name)):
        ensure_writable(settings.outputs_dir)  # found now, not after all the work
        manifest = Manifest(settings.manifest_path)
        run_id = manifest.start_run(flow_name, params.start, params.end)
        manifest.record_helpers(run_id, server_children())
        try:
            outcome, report = _run(flow_name, params, settings, manifest, str(flow_run.get_id() or run_id), write_empty)
            _artifacts(report, outcome.path)
        except BaseException:
            manifest.finish_run(run_id, "failed")
            raise
        manifest.finish_run(run_id, outcome.status, str(outcome.path) if outcome.path else "")
        return outcome


def _run(
    flow_name: str, params: RunParams, settings: Settings, manifest: Manifest, run_key: str, write_empty: bool = True
) -> tuple[Outcome, RunReport]:
    logger = get_run_logger()
    recipes = recipes_for(params, settings)
    report = new_report(flow_name, params.model_dump(mode="json"), recipes)
    try:
        scraped: ScrapeResult | PipelineError = scrape_task.with_options(timeout_seconds=settings.scrape_timeout_s)(
            params, settings
        )
    except Exception as exc:  # the query itself failed: the run fails, clearly, with its workbook
        scraped = _query_error(exc, logger)
        logger.error("the %s query failed: %s", params.exchange, scraped)
    stop = cancel.reason() if cancel.requested() else None
    chosen = plan(params, scraped, max_documents=settings.max_documents, cancelled=stop, daily=flow_name == "daily")
    apply_plan(report, chosen)
    if flow_name == "daily" and not chosen.announcements and not chosen.failures:  # a quiet day: nothing new
        logger.info("no new announcements in the window %s ~ %s", params.start, params.end)
    for warning in chosen.warnings[len(getattr(scraped, "warnings", ())) :]:  # the plan's own (the adapter logs its)
        logger.warning(warning)
    if chosen.skipped:
        logger.info("%d prospectus-family announcements not read (summaries, notices, older versions); "
                    "--all-versions reads them", len(chosen.skipped))  # fmt: skip
    run = f"{flow_name} run {run_key}"  # its name in the cumulative store, where its rows go as they come
    enrichments = _documents(chosen, report, settings, recipes, params, run_key, manifest, run)
    server.tasks_ended()  # (no Prefect task after this point: the run's own server need not wait for them)
    fold_llm(report, enrichments, settings, params.llm, run_key, logger)
    return publish(report, settings, flow_name, len(chosen.wanted), run, logger, write_empty=write_empty), report


def _query_error(exc: Exception, logger: Any) -> PipelineError:
    """The query's failure as a PipelineError: a task past its deadline is a DeadlineExceededError, a
    bug an UnexpectedError (its traceback logged)."""
    if isinstance(exc, PipelineError):
        return exc
    if isinstance(exc, TimeoutError):
        return DeadlineExceededError(f"the query ran past its deadline ({exc or 'task timeout'})")
    failure("query", Stage.QUERY, exc, logger)  # logs the traceback
    return UnexpectedError.of(exc)


def _name(a: Announcement) -> str:
    return f"{a.sec_code} {a.title}"[:120]


def _documents(
    chosen: Plan, report: RunReport, settings: Settings, recipes: Sequence[TableRecipe], params: RunParams,
    run_key: str, manifest: Manifest, store_run: str,
) -> list[Enrichment]:  # fmt: skip
    """Streaming, one task per document: download → extract → that document's LLM items, each as soon
    as it is ready, largest first; the announcements' classification runs alongside. Each document's
    rows go to the store under ``store_run`` as it is extracted (then its model records); the flow
    keeps each document's counts and failures, and the report reads the rows back from the store."""
    wanted, use_llm = chosen.wanted, params.llm
    announced = None
    if not cancel.requested() and report.announcements and not params.llm_batch:
        announced = announcements_llm_task.submit(report.announcements, settings, use_llm, run_key)
    # no Prefect timeout on tasks that run in threads: it cannot interrupt them (Prefect warns so on every
    # task) and would only discard finished work; the deadlines that work are inside: the download's,
    # the extraction pool's, the model call's
    per_doc = document_task
    live.current().expect("download", len(wanted))
    live.current().expect("extract", len(wanted))
    size = processes.pool_size(settings.extract_processes, len(wanted))
    # a document not downloaded yet will be extracted: the workers start while it downloads
    new = bool(wanted) and bool(manifest.unknown([a.key for a in wanted]))
    extra: list[Enrichment] = []
    with processes.extraction_pool(size, settings.extract_on_dask and bool(wanted), settings.dask_address, warm=new):
        futures: dict[int, PrefectFuture[Any]] = {
            i: per_doc.submit(
                wanted[i], settings, recipes, use_llm, run_key, _name(wanted[i]), params.llm_batch, store_run
            )
            for i in chosen.order
        }
        # each future let go once read: a finished task's state (its result) is not kept by the flow
        runs = [(a, _result(futures.pop(i))) for i, a in enumerate(wanted)]
        if announced is not None:
            got = _result(announced)
            if isinstance(got, PipelineError):
                report.failures.append(failure(f"{params.exchange}:announcements", Stage.LLM_ANNOUNCEMENTS, got))
            else:
                extra.append(got)
    folded = fold_streamed(report, settings, store_run, run_key, runs, manifest, get_run_logger())
    del runs
    if params.llm_batch and not cancel.requested():  # every document's model items in one batch, now
        extra.append(batch_enrich(report, settings, use_llm, run_key, get_run_logger()))
    return [*extra, *folded]


def _artifacts(report: RunReport, path: Path | None) -> None:
    counts = extraction_counts(report)  # the run's extractions read back once for both artifacts
    if path is None:  # a quiet day: no workbook, the summary says nothing was new
        create_markdown_artifact(summary_markdown(report, counts), key="prospectus-summary", description="run summary")
        return
    create_table_artifact(
        table=document_rows(report, counts),
        key="prospectus-documents",
        description=f"{report.flow}: {len(report.documents)} documents, LLM {report.llm_backend}",
    )
    create_markdown_artifact(summary_markdown(report, counts), key="prospectus-summary", description="run summary")
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
    market: MarketChoice | None = None,
    keyword: str | None = None,
    categories: Sequence[str] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
    max_documents: int | None = None,
    llm: bool = True,
    all_versions: bool = False,
    tables: Sequence[str] = (),
    llm_batch: bool = False,
    companies: Sequence[str] = (),
) -> State:
    """Ad-hoc run: scrape with filters, download, extract, summarise, write the workbook.

    Ends Completed, Failed named 'Partial' (some items failed: the counts are in its message) or
    Failed (nothing matched, or every document failed); the workbook path is the result in every case.

    Args:
        exchange: where to search, one of the registered exchanges (cninfo covers SZSE, SSE and BSE)
        codes: six-digit stock codes, e.g. 001282; empty = every company
        market: without codes, the market searched on cninfo: 沪深, 京, 三板 or all; empty = 沪深京
        keyword: text the title must contain, e.g. 招股说明书
        categories: names or cninfo codes, e.g. 年报, 半年报, 首发, category_ndbg_szsh
        start: first publication date, YYYY-MM-DD (Beijing time)
        end: last publication date, YYYY-MM-DD (Beijing time)
        max_documents: process at most this many documents (at least 1); empty = no cap
        llm: use the configured model; off = the labelled offline backend
        all_versions: read every prospectus version, summary and notice; off = per company only the latest
            full prospectus, the rest listed in Announcements with the reason
        tables: table recipes to extract and merge, e.g. 关联交易, 前五名客户
        llm_batch: ask the model through the OpenAI Batch API once every document is extracted (half the
            price; an endpoint without batches is asked online)
        companies: companies by short name or pinyin initials, e.g. 三联锻造 (added to codes)
    """
    params = RunParams.checked(**locals())  # the flow's parameters are RunParams' fields (a test holds it)
    if params.companies:  # the UI's form: names resolved as the CLI's --company is
        from flows.api import resolve_company

        codes = [*params.codes, *(resolve_company(name, current_settings()) for name in params.companies)]
        params = params.model_copy(update={"codes": codes, "companies": []})
    return state_of(run_pipeline("adhoc", params, current_settings()))


@flow(name="prospectus-daily", task_runner=RUNNER, flow_run_name=_daily_run_name)
def daily_flow(
    exchange: Exchange = "cninfo",
    categories: Sequence[str] | None = None,
    market: MarketChoice | None = None,
    keyword: str | None = None,
    lookback_days: int = 1,
    today: dt.date | None = None,
    all_versions: bool = False,
    tables: Sequence[str] = (),
    workbook_when_empty: bool = False,
    llm_batch: bool = False,
) -> State:
    """Incremental run: from the end of the last successful daily window (or ``lookback_days`` ago)
    up to today, Beijing time. Overlap is harmless: announcements and documents are deduplicated.

    Args:
        exchange: where to search, one of the registered exchanges (cninfo covers SZSE, SSE and BSE)
        categories: names or cninfo codes, e.g. 首发, 年报; empty = the exchange's default (cninfo: 首发;
            an exchange's own site: every announcement, since 首发 has no verified code there)
        keyword: text the title must contain
        market: the market searched on cninfo: 沪深, 京, 三板 or all; empty = 沪深京
        lookback_days: first run only: how many days back the window starts
        today: the window's last day (default: today in Beijing)
        all_versions: read every prospectus version, summary and notice (off: the latest full one per company)
        tables: table recipes to extract and merge, e.g. 关联交易
        workbook_when_empty: write a workbook even when nothing in the window is new (off: a quiet day
            writes none; its run still records that nothing was new)
        llm_batch: ask the model through the OpenAI Batch API once every document is extracted
    """
    settings = current_settings()
    today = check_daily_window(today, lookback_days, dt.datetime.now(BEIJING).date())
    last = Manifest(settings.manifest_path).last_successful_window_end("daily")
    start = last if last is not None else today - dt.timedelta(days=lookback_days)
    start = min(start, today)  # a window recorded under a clock set ahead never makes start > end
    get_run_logger().info("daily window %s ~ %s (last successful end: %s)", start, today, last)
    params = RunParams.checked(
        exchange=exchange,
        categories=list(categories) if categories else list(DAILY_DEFAULT.get(exchange, ())),
        market=market,
        keyword=keyword,
        start=start,
        end=today,
        all_versions=all_versions,
        tables=list(tables),
        llm_batch=llm_batch,
    )
    return state_of(run_pipeline("daily", params, settings, write_empty=workbook_when_empty))


logging.getLogger("pdfminer").setLevel(logging.ERROR)
