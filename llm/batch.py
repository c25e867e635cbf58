"""The batch path for bulk runs: a run's model items as one JSONL file through the OpenAI Batch API.

A backfill of thousands of documents asks tens of thousands of questions; online they are paced by
the endpoint's rate limits, and the Batch API answers the same requests for half the price within
its completion window, with no rate limit to stall on. The path (``--llm-batch``):

1. every item answered from the cache is answered there, as online;
2. the others become one JSONL file, a line per distinct request (``custom_id`` = the item's cache
   key, ``body`` = exactly the chat request the online path sends), uploaded with
   ``files.create(purpose="batch")`` and submitted with ``batches.create``;
3. the batch is polled until it ends (``PP_LLM_BATCH_POLL_S``, at most ``PP_LLM_BATCH_DEADLINE_S``);
4. each answer is validated and cached as an online answer would be; an answer that is missing,
   failed or invalid is asked again online (with the online path's bounded re-asks), so the batch
   never loses an item.

An endpoint without batches (a 404 or a refusal on ``files.create`` / ``batches.create``, as vLLM,
Ollama and several hosted providers answer) falls back to the online path with one log line, and
so does the offline backend.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError

from core import cancel
from core.errors import LLMError, PipelineError
from core.records import LLMUsage
from llm.client import OpenAICompatibleModel, Prompt, redact, strict_json_schema, with_schema
from llm.service import LLMService, cache_key, parse_answer
from llm.tasks import Task

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

#: a batch's states after which it changes no more (OpenAI's Batch object)
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
ENDPOINT: Final = "/v1/chat/completions"


@dataclass
class BatchReport:
    """What the batch path did, for Run info and the benchmarks."""

    items: int = 0
    cached: int = 0
    submitted: int = 0
    answered: int = 0
    online: int = 0
    batch_id: str | None = None
    status: str | None = None
    notes: list[str] = field(default_factory=list)


def chat_body(model: OpenAICompatibleModel, prompt: Prompt) -> dict[str, Any]:
    """The chat request the online path sends for ``prompt`` (no re-ask history), as a batch line's body."""
    return {
        "model": model.model_id,
        "messages": [
            {"role": "system", "content": with_schema(prompt.system, strict_json_schema(prompt.schema))},
            {"role": "user", "content": prompt.user},
        ],
        "temperature": 0,
        "max_tokens": max(model.max_tokens, prompt.max_tokens or 0),
        "response_format": model._response_format(prompt),
    }


def requests_jsonl(lines: Sequence[tuple[str, dict[str, Any]]]) -> bytes:
    """The Batch API's input file: one request a line, ``custom_id`` unique in the file."""
    return "".join(
        json.dumps({"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}, ensure_ascii=False) + "\n"
        for key, body in lines
    ).encode("utf-8")


@dataclass(frozen=True)
class BatchAnswer:
    text: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    error: str | None = None


def parse_output(text: str) -> dict[str, BatchAnswer]:
    """The Batch API's output (or error) file, by ``custom_id``; a line of any other shape is an error
    for its id, or skipped when it has none (the item is then asked online)."""
    out: dict[str, BatchAnswer] = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            key = str(line["custom_id"])
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
        try:
            response = line.get("response") or {}
            if line.get("error") or int(response.get("status_code", 0)) != 200:
                message = (line.get("error") or {}).get("message") or f"status {response.get('status_code')}"
                out[key] = BatchAnswer(None, error=str(message)[:300])
                continue
            body = response["body"]
            choice = body["choices"][0]
            usage = body.get("usage") or {}
            out[key] = BatchAnswer(
                text=choice["message"]["content"],
                prompt_tokens=int(usage.get("prompt_tokens") or 0),
                completion_tokens=int(usage.get("completion_tokens") or 0),
                finish_reason=choice.get("finish_reason"),
            )
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            out[key] = BatchAnswer(None, error=f"malformed answer line ({type(exc).__name__})")
    return out


class BatchUnsupportedError(LLMError):
    """The endpoint has no Batch API (or refused this batch): the items go online."""


def _submit(client: openai.OpenAI, data: bytes, key: str) -> str:
    import openai

    try:
        upload = client.files.create(file=("requests.jsonl", data, "application/jsonl"), purpose="batch")
        batch = client.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h")
    except (openai.NotFoundError, openai.BadRequestError, openai.PermissionDeniedError) as exc:
        raise BatchUnsupportedError(f"the endpoint takes no batch: {redact(str(exc), key)}") from None
    except openai.APIError as exc:
        raise LLMError(f"the batch could not be submitted: {type(exc).__name__}: {redact(str(exc), key)}") from None
    return str(batch.id)


def _wait(
    client: openai.OpenAI, batch_id: str, poll_s: float, deadline_s: float, sleep: Callable[[float], None]
) -> Any:
    import openai

    ends = time.monotonic() + deadline_s
    while True:
        cancel.check("the batch")
        try:
            batch = client.batches.retrieve(batch_id)
        except openai.APIError as exc:
            raise LLMError(f"batch {batch_id}: cannot read its state: {type(exc).__name__}") from None
        if batch.status in ENDED or time.monotonic() >= ends:
            return batch
        sleep(poll_s)


def _results(client: openai.OpenAI, batch: Any) -> dict[str, BatchAnswer]:
    import openai

    out: dict[str, BatchAnswer] = {}
    for file_id in (getattr(batch, "error_file_id", None), getattr(batch, "output_file_id", None)):
        if not file_id:
            continue
        try:
            out.update(parse_output(client.files.content(file_id).text))
        except openai.APIError as exc:
            log.warning("batch %s: file %s unreadable (%s); its items go online", batch.id, file_id, type(exc).__name__)
    return out


def run_batch(
    service: LLMService,
    work: Sequence[tuple[Task[Any, Any, Any], Any]],
    *,
    poll_s: float = 10.0,
    deadline_s: float = 24 * 3600,
    sleep: Callable[[float], None] = time.sleep,
    report: BatchReport | None = None,
) -> list[Any]:
    """:meth:`LLMService.run_all`'s contract (one record or :class:`PipelineError` per item, in order)
    through the Batch API; the items it cannot answer are asked online."""
    report = report if report is not None else BatchReport()
    report.items = len(work)
    results: list[Any] = [None] * len(work)
    misses: list[int] = []
    for i, (task, item) in enumerate(work):
        try:
            results[i] = service._cached_task(task, item) if service.cache is not None else None
        except PipelineError as exc:
            results[i] = exc
        if results[i] is None:
            misses.append(i)
    report.cached = len(work) - len(misses)
    model = service.model
    if not misses:
        return results
    if not isinstance(model, OpenAICompatibleModel):
        report.notes.append(f"{model.backend}: no batch path; asked online")
        return _online(service, work, misses, results, report)
    prompts = {i: service._prompt(work[i][0], work[i][1]) for i in misses}
    keys = {i: cache_key(model.model_id, p.task, p.payload) for i, p in prompts.items()}
    lines = {keys[i]: chat_body(model, prompts[i]) for i in misses}  # one line per distinct request
    try:
        report.batch_id = _submit(model.client, requests_jsonl(list(lines.items())), model._key)
    except BatchUnsupportedError as exc:
        log.warning("%s; asking its %d items online", exc, len(misses))
        report.notes.append(str(exc))
        return _online(service, work, misses, results, report)
    except LLMError as exc:
        log.warning("%s; asking its %d items online", exc, len(misses))
        report.notes.append(str(exc))
        return _online(service, work, misses, results, report)
    report.submitted = len(lines)
    log.info("batch %s: %d requests submitted for %d items", report.batch_id, len(lines), len(misses))
    try:
        batch = _wait(model.client, report.batch_id, poll_s, deadline_s, sleep)
    except LLMError as exc:
        report.notes.append(str(exc))
        return _online(service, work, misses, results, report)
    report.status = str(batch.status)
    answers = _results(model.client, batch) if batch.status in ENDED else {}
    if batch.status != "completed":
        report.notes.append(f"batch {report.batch_id} ended {batch.status}; the rest asked online")
    retry: list[int] = []
    usage_done: set[str] = set()
    for i in misses:
        task, item = work[i]
        prompt, key = prompts[i], keys[i]
        answer = answers.get(key)
        record = _accept(service, task, item, prompt, key, answer, account=key not in usage_done)
        usage_done.add(key)
        if record is None:
            retry.append(i)
        else:
            results[i] = record
            report.answered += 1
    if retry:
        log.info("batch %s: %d item(s) without a valid answer asked online", report.batch_id, len(retry))
    return _online(service, work, retry, results, report)


def _accept(
    service: LLMService,
    task: Task[Any, Any, Any],
    item: Any,
    prompt: Prompt,
    key: str,
    answer: BatchAnswer | None,
    *,
    account: bool,
) -> Any | None:
    """The item's record from its batch answer, validated and cached; None when it must go online."""
    if answer is None or answer.text is None or answer.finish_reason == "length":
        return None
    try:
        out = parse_answer(answer.text, task.schema)
    except (ValidationError, ValueError):
        return None
    if account:
        usage = LLMUsage(
            task=prompt.task,
            model=service.model.model_id,
            backend=f"{service.model.backend} batch",
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
        )
        service.usage.append(usage)
        if service.cache is not None:
            service.cache.put(key, prompt.task, service.model.model_id, out.model_dump_json(), usage)
            service.cache.log_usage(usage)
    return task.record(item, out, service._info())


def _online(
    service: LLMService, work: Sequence[tuple[Task[Any, Any, Any], Any]], todo: list[int], results: list[Any],
    report: BatchReport,
) -> list[Any]:  # fmt: skip
    if todo:
        report.online += len(todo)
        for i, result in zip(todo, service.run_all([work[i] for i in todo]), strict=True):
            results[i] = result
    return results
