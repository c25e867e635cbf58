"""The model items of a run: every registered LLM task over announcements and extractions, through
the run's one shared service (its concurrency and rate limits hold across every document)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core import progress
from core.errors import PipelineError
from core.records import Announcement, DocumentExtraction, Failure, LLMUsage
from core.settings import Settings
from llm.client import model_from_settings
from llm.limits import RateLimiter
from llm.service import Cache, LLMService, shared_service
from llm.tasks import TASKS
from run.stages import failure, llm_stage

log = logging.getLogger(__name__)


@dataclass
class Enrichment:
    """What the LLM step adds for some items: each registered task's output records, the usage of
    their calls, and each item that failed (the rest are kept)."""

    results: dict[str, list[Any]] = field(default_factory=dict)
    usage: list[LLMUsage] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


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
