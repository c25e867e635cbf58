"""The model items of a run: every registered LLM task over announcements and extractions, through
the run's one shared service (its concurrency and rate limits hold across every document)."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from core import progress
from core.errors import PipelineError
from core.records import Announcement, DocumentExtraction, Failure, LLMUsage
from core.settings import Settings
from llm.client import model_from_settings
from llm.limits import RateLimiter
from llm.service import Cache, LLMService, shared_service
from llm.tasks import EXTRACTION_TASKS, TASKS
from report.run import RunReport
from run.stages import failure, llm_stage

log = logging.getLogger(__name__)


@dataclass
class Enrichment:
    """What the LLM step adds for some items: each registered task's output records, the usage of
    their calls, and each item that failed (the rest are kept)."""

    results: dict[str, list[Any]] = field(default_factory=dict)
    usage: list[LLMUsage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


#: what a queued document's model work gives back: its refined extraction and model records, or (the
#: flows, which stream them to the store) no extraction and only the calls' usage and the failures
Asked = tuple[DocumentExtraction | None, Enrichment]


def llm_settings(settings: Settings, use_llm: bool) -> Settings:
    """The run's settings, or with ``llm`` off, the labelled offline backend's."""
    return settings if use_llm else settings.model_copy(update={"llm_offline": True})


def service_key(run_key: str, use_llm: bool) -> str:
    return f"{run_key}:{use_llm}"


def llm_service(settings: Settings, use_llm: bool, run_key: str) -> LLMService:
    """The run's LLM service in this process, shared by every document (see
    :func:`llm.service.shared_service`): PP_LLM_CONCURRENCY calls in flight in all, under the run's
    rate limits."""

    def make() -> LLMService:
        model = model_from_settings(llm_settings(settings, use_llm))
        return LLMService(
            model,
            Cache(settings.llm_cache_path),
            max_reasks=settings.llm_max_reasks,
            max_input_chars=settings.llm_max_input_chars,
            breaker_threshold=settings.llm_breaker_threshold,
            concurrency=settings.llm_concurrency,
            limiter=RateLimiter(settings.llm_rpm, settings.llm_tpm),
            concurrency_max=settings.llm_concurrency_max or None,
        )

    return shared_service(service_key(run_key, use_llm), make)


class ModelQueue:
    """The run's model work, apart from its documents: each document's model items are handed over
    as a job when its extraction is stored, and a few threads of the run's own ask them (every call
    still under the run's service: its in-flight limit, rate limits and breaker), so a slow model
    holds no document's task and no extraction waits on it. :meth:`drain` gives each document's
    results once every job has ended."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="model-queue")
        self._jobs: dict[str, Future[Asked]] = {}
        self._lock = threading.Lock()

    def submit(self, doc_key: str, job: Callable[[], Asked]) -> None:
        """Queue ``job``; it runs in a copy of the caller's context variables (the flows': Prefect's
        settings and the document's task run). A queue thread left with none sees Prefect's settings
        as they were when Prefect was imported, without the run's API: its first log line then
        started temporary Prefect servers of its own, which outlived the run and kept a benchmark's
        output pipe open, so the benchmark hung after the flows had ended."""
        context = contextvars.copy_context()
        with self._lock:
            self._jobs[doc_key] = self._pool.submit(context.run, job)

    def drain(self) -> dict[str, Asked | BaseException]:
        """Every job's result (its refined extraction and model records) or what it raised, by document."""
        with self._lock:
            jobs = dict(self._jobs)
        out: dict[str, Asked | BaseException] = {}
        for key, job in jobs.items():
            try:
                out[key] = job.result()
            except BaseException as exc:  # ask_model records its own failures: this is a bug, kept loud
                out[key] = exc
        self._pool.shutdown(wait=True)
        return out


_QUEUES: dict[str, ModelQueue] = {}
_QUEUES_LOCK = threading.Lock()


def model_queue(run_key: str, settings: Settings) -> ModelQueue:
    """The run's model queue in this process (made at its first job): as many workers as documents
    can usefully have calls in flight at once."""
    with _QUEUES_LOCK:
        if run_key not in _QUEUES:
            _QUEUES[run_key] = ModelQueue(max(settings.llm_concurrency, settings.llm_concurrency_max))
        return _QUEUES[run_key]


def drain_queue(run_key: str) -> dict[str, Asked | BaseException]:
    """The run's queued model work, waited for, and the queue gone (nothing queued: empty)."""
    with _QUEUES_LOCK:
        queue = _QUEUES.pop(run_key, None)
    return queue.drain() if queue is not None else {}


def enrich(
    announcements: list[Announcement],
    extractions: list[DocumentExtraction],
    settings: Settings,
    use_llm: bool,
    run_key: str,
    logger: Any = log,
) -> Enrichment:
    """Every registered LLM task's items for these announcements and extractions; an item that fails
    (whatever it raised) is recorded and the rest are kept."""
    service = llm_service(settings, use_llm, run_key)
    out = Enrichment(results={t.name: [] for t in TASKS.values()})
    work = [(t, key, item) for t in TASKS.values() for key, item in t.inputs(announcements, extractions)]
    progress.current().expect("llm", len(work))
    try:
        results: list[Any] = service.run_all([(t, item) for t, _, item in work], usage=out.usage)
    except Exception as exc:  # a bug in the service: these items fail, the documents are kept
        results = [exc] * len(work)
    if work:
        what = extractions[0].doc_key if extractions else f"{len(announcements)} announcements"
        progress.current().step("llm", what, n=len(work), tokens=sum(u.total_tokens for u in out.usage))
    for (llm_task, key, _), result in zip(work, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, PipelineError):
                logger.warning("llm-%s failed for %s: %s", llm_task.name, key, result)
            out.failures.append(failure(key, llm_stage(llm_task.name), result, logger))
        else:
            out.results[llm_task.name].append(result)
    return out


def batch_enrich(report: RunReport, settings: Settings, use_llm: bool, run_key: str, logger: Any = log) -> Enrichment:
    """``--llm-batch``: every extracted document's model items, and the announcements', asked at once
    through the OpenAI Batch API (:func:`llm.batch.run_batch`) after the extractions, so no extraction
    waits on the model. The extraction tasks go first (their answers change the documents: the model's
    competitor names), then every other task over the refined documents. What the batch cannot answer
    is asked online; an endpoint without batches is asked online from the start."""
    from llm.batch import BatchReport, run_batch

    service = llm_service(settings, use_llm, run_key)
    out = Enrichment(results={t.name: [] for t in TASKS.values()})
    before = len(service.usage)
    poll_s, deadline_s = settings.llm_batch_poll_s, settings.llm_batch_deadline_s
    batches: list[BatchReport] = []
    for task in EXTRACTION_TASKS.values():
        if task.fold is None:
            continue
        per_doc = {key: list(task.inputs([], [ex])) for key, ex in report.extractions.items()}
        asked = [(task, item) for items in per_doc.values() for _, item in items]
        batches.append(BatchReport())
        found = iter(
            run_batch(service, asked, report=batches[-1], poll_s=poll_s, deadline_s=deadline_s) if asked else []
        )
        for doc_key, items in per_doc.items():
            records = []
            for item_key, _ in items:
                result = next(found)
                if isinstance(result, BaseException):
                    out.failures.append(failure(item_key, llm_stage(task.name), result, logger))
                else:
                    records.append(result)
            report.extractions[doc_key] = task.fold(report.extractions[doc_key], records)
    extractions = list(report.extractions.values())
    work = [(t, key, item) for t in TASKS.values() for key, item in t.inputs(report.announcements, extractions)]
    progress.current().expect("llm", len(work))
    batches.append(BatchReport())
    results = (
        run_batch(service, [(t, item) for t, _, item in work], report=batches[-1], poll_s=poll_s, deadline_s=deadline_s)
        if work
        else []
    )
    for (llm_task, key, _), result in zip(work, results, strict=True):
        if isinstance(result, BaseException):
            out.failures.append(failure(key, llm_stage(llm_task.name), result, logger))
        else:
            out.results[llm_task.name].append(result)
    out.usage = list(service.usage[before:])
    progress.current().step("llm", "batch", n=len(work), tokens=sum(u.total_tokens for u in out.usage))
    done = [b for b in batches if b.items]
    report.parameters["llm batch"] = "; ".join(
        f"{b.batch_id or '(not submitted)'} {b.status or ''}: {b.items} items, {b.cached} cached, "
        f"{b.answered} answered by the batch, {b.online} online"
        for b in done
    )
    for b in batches:
        if b.items:
            logger.info("llm batch %s: %d items, %d cached, %d submitted, %d answered by the batch, %d online (%s)",
                        b.batch_id or "-", b.items, b.cached, b.submitted, b.answered, b.online,
                        b.status or "not submitted")  # fmt: skip
        report.warnings += b.notes
    return out
