"""Validated, cached, accounted LLM calls for any registered task (llm.tasks)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core import cancel
from core.errors import (
    LLMError,
    LLMInvalidOutputError,
    LLMRateLimitedError,
    LLMTruncatedError,
    LLMUnavailableError,
    PipelineError,
)
from core.records import DocumentExtraction, Failure, LLMUsage
from core.sqlite import connect, open_store
from llm import prompts
from llm.client import Model, OfflineModel, Prompt, RawAnswer
from llm.limits import AdaptiveSlots, RateLimiter
from llm.tasks import ALL_TASKS, EXTRACTION_TASKS, ModelInfo, Task
from llm.tasks.base import GROUP_ANSWERS, GROUP_ID, group_schema

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


#: Cache hits' usage rows held before one write: a cached rerun's documents each had a write of
#: their own, contended by every busy thread of the run (README, "Where a cached rerun's time goes")
HITS_HELD = 256


class Cache:
    """SQLite cache: sha256(model, prompt version, task, input) → validated JSON answer; it also keeps
    the token usage of every call (table ``usage``), cache hits included. A model call's usage is
    written at once (it was paid for); cache hits' rows, which cost nothing, are held and written
    :data:`HITS_HELD` at a time, by :meth:`flush` (the run's end) and when the cache is collected or
    the interpreter exits."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._hits: list[tuple[str, LLMUsage]] = []
        weakref.finalize(self, _write_usage, self.path, self._lock, self._hits)
        open_store(
            self.path,
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, task TEXT, model TEXT, "
            "answer TEXT NOT NULL, prompt_tokens INT, completion_tokens INT);"
            "CREATE TABLE IF NOT EXISTS usage (at TEXT NOT NULL, task TEXT, model TEXT, backend TEXT, "
            "prompt_tokens INT, completion_tokens INT, attempts INT, cached INT);",
            wal=True,  # many documents' threads read and write it at once
        )

    def _conn(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    def get(self, key: str) -> str | None:
        with self._conn() as c:
            row = c.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def log_usage(self, *rows: LLMUsage) -> None:
        """Usage rows, stamped now: the calls' in one transaction, the cache hits' held (see the class)."""
        at = _utc_now()
        paid = [(at, u) for u in rows if not u.cached]
        with self._lock:
            self._hits.extend((at, u) for u in rows if u.cached)
            if len(self._hits) >= HITS_HELD:
                paid += self._hits
                self._hits.clear()
        if paid:
            _write_usage(self.path, self._lock, paid)

    def flush(self) -> None:
        """Write the cache hits' rows held so far."""
        with self._lock:
            held = list(self._hits)
            self._hits.clear()
        _write_usage(self.path, self._lock, held)

    def usage_log(self) -> list[LLMUsage]:
        """Every usage row, the held ones included, oldest first."""
        self.flush()
        with self._conn() as c:
            rows = c.execute(
                "SELECT task, model, backend, prompt_tokens, completion_tokens, attempts, cached "
                "FROM usage ORDER BY at, rowid"
            ).fetchall()
        return [
            LLMUsage(
                task=r[0],
                model=r[1],
                backend=r[2],
                prompt_tokens=r[3],
                completion_tokens=r[4],
                attempts=r[5],
                cached=bool(r[6]),
            )
            for r in rows
        ]

    def put(self, key: str, task: str, model: str, answer: str, usage: LLMUsage) -> None:
        with self._lock, self._conn() as c:
            c.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                (key, task, model, answer, usage.prompt_tokens, usage.completion_tokens),
            )


def _utc_now() -> str:
    """SQLite's ``datetime('now')``, taken when the row is accounted rather than when it is written."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _write_usage(path: Path, lock: threading.Lock, rows: Sequence[tuple[str, LLMUsage]]) -> None:
    """Usage rows, in one transaction (a commit per row cost ~15 ms on disk)."""
    if not rows:
        return
    with lock, connect(path) as c:
        c.executemany(
            "INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(at, u.task, u.model, u.backend, u.prompt_tokens, u.completion_tokens, u.attempts, int(u.cached))
             for at, u in rows],
        )  # fmt: skip


def cache_key(model_id: str, task: str, payload: dict[str, object]) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    raw = "\x1f".join([model_id, ALL_TASKS[task].version, task, canonical])
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_answer(text: str, schema: type[T]) -> T:
    """Validate a model's text as ``schema``; tolerates code fences, nothing else."""
    m = _FENCE.match(text)
    return schema.model_validate_json(m.group(1) if m else text.strip())


class LLMService:
    def __init__(
        self,
        model: Model,
        cache: Cache | None = None,
        *,
        max_reasks: int = 2,
        max_input_chars: int = 6000,
        breaker_threshold: int = 3,
        concurrency: int = 1,
        limiter: RateLimiter | None = None,
        concurrency_max: int | None = None,
    ) -> None:
        self.model = model
        self.limiter = limiter or RateLimiter()
        self.cache = cache
        self.max_reasks = max_reasks
        self.max_input_chars = max_input_chars
        self.breaker_threshold = breaker_threshold
        self._failures_in_a_row = 0
        self.usage: list[LLMUsage] = []
        self._lock = threading.Lock()
        self.concurrency = concurrency
        self._sink = threading.local()  # the usage list of the run_all call this thread works for
        self._asking: dict[str, threading.Event] = {}  # cache keys whose call is in flight
        #: how far the in-flight limit may grow while the endpoint keeps up (None: it stays at concurrency)
        self.concurrency_max = concurrency_max
        self._slots = AdaptiveSlots(self._concurrency, concurrency_max)

    @property
    def concurrency(self) -> int:
        return self._concurrency

    @concurrency.setter
    def concurrency(self, value: int) -> None:
        """At most this many model calls in flight however many callers share the service (each
        document's task calls it from its own thread); cache hits take no slot."""
        self._concurrency = max(1, value)
        self._slots = AdaptiveSlots(self._concurrency, getattr(self, "concurrency_max", None))

    @property
    def label(self) -> str:
        return f"{self.model.backend}:{self.model.model_id}"

    def _account(
        self,
        task: str,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        attempts: int = 1,
        cached: bool = False,
        backend: str | None = None,
    ) -> LLMUsage:
        usage = LLMUsage(
            task=task,
            model=self.model.model_id,
            backend=backend or self.model.backend,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            attempts=attempts,
            cached=cached,
        )
        with self._lock:
            self.usage.append(usage)
        sink: list[LLMUsage] | None = getattr(self._sink, "rows", None)
        if sink is not None:  # run_all logs its items' usage in one go when they are done
            sink.append(usage)
        elif self.cache is not None:
            self.cache.log_usage(usage)
        return usage

    def run(self, prompt: Prompt, schema: type[T]) -> tuple[T, LLMUsage]:
        """One validated answer: from the cache, or from the model with bounded re-asks. Usage of every
        call is recorded, failed ones included."""
        key = cache_key(self.model.model_id, prompt.task, prompt.payload)
        if (cached := self._cached(prompt, schema, key)) is not None:
            return cached
        # the same item asked by two documents at once (versions of one prospectus share sections):
        # the second waits for the first's answer instead of paying for the call again
        with self._lock:
            asking = self._asking.get(key)
            if asking is None:
                self._asking[key] = threading.Event()
        if asking is not None:
            asking.wait()  # no cached answer after it: the first one failed, this one tries for itself
            return self._cached(prompt, schema, key) or self._ask(prompt, schema, key)
        try:
            return self._ask(prompt, schema, key)
        finally:
            with self._lock:
                self._asking.pop(key).set()

    def _cached(self, prompt: Prompt, schema: type[T], key: str) -> tuple[T, LLMUsage] | None:
        """The cached answer under ``key``, accounted as a cache hit; None when there is none."""
        if self.cache is None or (hit := self.cache.get(key)) is None:
            return None
        try:
            answer = schema.model_validate_json(hit)
        except (ValueError, TypeError, RecursionError) as exc:  # a row that no longer validates: a miss
            log.warning("llm cache: the answer cached for %s no longer validates (%s); asked again", prompt.task, exc)
            return None
        return answer, self._account(prompt.task, attempts=0, cached=True)

    def _ask(self, prompt: Prompt, schema: type[T], key: str) -> tuple[T, LLMUsage]:
        """The model's validated answer, with bounded re-asks; a valid one is cached under ``key``."""
        history: list[dict[str, str]] = []
        prompt_tokens = completion_tokens = 0
        last_error = last_text = ""
        for attempt in range(1, self.max_reasks + 2):
            raw = self._complete(prompt, history)
            prompt_tokens += raw.prompt_tokens
            completion_tokens += raw.completion_tokens
            last_text = raw.text
            if raw.finish_reason == "length":
                self._account(prompt.task, prompt_tokens, completion_tokens, attempt)
                raise LLMTruncatedError(
                    f"{prompt.task}: the answer was cut at the token limit (finish_reason=length); "
                    "raise PP_LLM_MAX_TOKENS or shorten the input",
                    raw=raw.text,
                )
            try:
                out = parse_answer(raw.text, schema)
            except (ValidationError, ValueError) as exc:
                last_error = _short_error(exc)
                log.warning(
                    "%s: invalid answer (attempt %d/%d): %s", prompt.task, attempt, self.max_reasks + 1, last_error
                )
                history += [
                    {"role": "assistant", "content": raw.text[:2000]},
                    {
                        "role": "user",
                        "content": f"That answer is invalid: {last_error}. "
                        "Reply again with one JSON object that matches the schema.",
                    },
                ]
                continue
            usage = self._account(prompt.task, prompt_tokens, completion_tokens, attempt)
            if self.cache is not None:
                self.cache.put(key, prompt.task, self.model.model_id, out.model_dump_json(), usage)
            return out, usage
        self._account(prompt.task, prompt_tokens, completion_tokens, self.max_reasks + 1)
        raise LLMInvalidOutputError(
            f"{prompt.task}: no valid answer after {self.max_reasks + 1} attempts: {last_error}", raw=last_text
        )

    def _complete(self, prompt: Prompt, history: list[dict[str, str]]) -> Any:
        """One call through the circuit breaker: after ``breaker_threshold`` endpoint failures in a
        row (timeouts, 5xx, refused), the endpoint is not called again in this run."""
        cancel.check(f"the {prompt.task} call")
        with self._lock:
            if self.breaker_threshold and self._failures_in_a_row >= self.breaker_threshold:
                raise LLMUnavailableError(
                    f"{prompt.task}: skipped, the endpoint failed {self._failures_in_a_row} times in a row"
                )
        # tokens are estimated as characters (about right for Chinese, high for English) until the
        # endpoint reports the real count
        sent = len(prompt.system) + len(prompt.user) + sum(len(m.get("content", "")) for m in history)
        self._slots.acquire()
        throttled = False
        try:
            ticket = self.limiter.acquire(sent)
            try:
                raw = self.model.complete(prompt, history)
            except LLMError as exc:
                text = str(exc).lower()  # a 429, or the endpoint too slow to answer: fewer in flight
                throttled = isinstance(exc, LLMRateLimitedError) or "timeout" in text or "timed out" in text
                if isinstance(exc, LLMRateLimitedError) and exc.retry_after:
                    self.limiter.hold(exc.retry_after)
                with self._lock:
                    self._failures_in_a_row += 1
                raise
        finally:
            self._slots.release(throttled=throttled)
        self.limiter.settle(ticket, (raw.prompt_tokens + raw.completion_tokens) or sent)
        with self._lock:
            self._failures_in_a_row = 0
        return raw

    def run_task(self, task: Task[Any, Any, R], item: Any) -> R:
        """Any registered task on one item: payload (long text cut to ``max_input_chars``), prompt,
        a validated answer (cached, re-asked, accounted), then the task's output record."""
        prompt = self._prompt(task, item)
        out, _ = self.run(prompt, task.schema)
        return task.record(item, out, self._info())

    def _prompt(self, task: Task[Any, Any, Any], item: Any) -> Prompt:
        payload = task.payload(item)
        if isinstance(payload.get("text"), str):
            payload = {**payload, "text": payload["text"][: self.max_input_chars]}
        return Prompt(task.name, prompts.SYSTEM, task.prompt(payload), task.schema, payload, task.max_tokens)

    def _info(self) -> ModelInfo:
        return ModelInfo(self.model.backend, self.model.model_id)

    def _cached_task(self, task: Task[Any, Any, R], item: Any) -> R | None:
        """The item's record from a cached answer (accounted as a hit), without a model call; None on a miss."""
        prompt = self._prompt(task, item)
        hit = self._cached(prompt, task.schema, cache_key(self.model.model_id, prompt.task, prompt.payload))
        return None if hit is None else task.record(item, hit[0], self._info())

    def run_many(self, task: Task[Any, Any, R], items: Sequence[Any]) -> list[R | PipelineError]:
        """:meth:`run_task` on every item with up to ``concurrency`` model calls in flight (the calls
        wait on the network, so threads overlap them; the rate limiter paces them). One result per
        item, in order: the record, or the :class:`PipelineError` that item failed with."""
        return self.run_all([(task, item) for item in items])

    def run_all(
        self, work: Sequence[tuple[Task[Any, Any, Any], Any]], usage: list[LLMUsage] | None = None
    ) -> list[Any]:
        """Items of several tasks through one pool: the slots freed by one task's last calls go to the
        next task's first, instead of each task draining its own pool before the next starts. Results
        in order, a record or the :class:`PipelineError` of each item. ``usage``: a list that gets the
        usage of these items' calls (cache hits included), apart from other callers of the service.

        The misses of a grouped task (``Task.group_size``) are asked ``group_size`` at a time, one call
        per group (:meth:`_run_group`); a lone miss is asked alone."""

        rows: list[LLMUsage] = []

        def one(pair: tuple[Task[Any, Any, Any], Any]) -> Any:
            self._sink.rows = rows
            try:
                return self.run_task(pair[0], pair[1])
            except PipelineError as exc:
                return exc
            finally:
                self._sink.rows = None

        def group(job: list[int]) -> list[Any]:
            self._sink.rows = rows
            try:
                return self._run_group(work[job[0]][0], [work[i][1] for i in job])
            finally:
                self._sink.rows = None

        try:
            results: list[Any] = [None] * len(work)
            asks: list[int] = []  # the items with no cached answer
            self._sink.rows = rows
            try:  # cache hits answered here: no thread, no slot (a cached rerun starts no pool)
                for i, (task, item) in enumerate(work):
                    try:
                        results[i] = None if self.cache is None else self._cached_task(task, item)
                    except PipelineError as exc:
                        results[i] = exc
                    if results[i] is None:
                        asks.append(i)
            finally:
                self._sink.rows = None
            groups, alone = _groups(work, asks)
            if self.concurrency == 1 or len(groups) + len(alone) < 2:
                for job in groups:
                    for i, result in zip(job, group(job), strict=True):
                        results[i] = result
                for i in alone:
                    results[i] = one(work[i])
            else:
                calls = len(groups) + len(alone)
                with ThreadPoolExecutor(min(self.concurrency, calls), thread_name_prefix="llm") as pool:
                    grouped = [pool.submit(group, job) for job in groups]  # the larger calls first
                    for i, result in zip(alone, pool.map(one, [work[i] for i in alone]), strict=True):
                        results[i] = result
                    for job, future in zip(groups, grouped, strict=True):
                        for i, result in zip(job, future.result(), strict=True):
                            results[i] = result
            return results
        finally:
            if self.cache is not None:
                self.cache.log_usage(*rows)
            if usage is not None:
                usage += rows

    def _run_group(self, task: Task[Any, Any, R], items: Sequence[Any]) -> list[R | PipelineError]:
        """Several items of one grouped task in one call; a record or a :class:`PipelineError` each.

        Each item's answer is validated against ``task.schema`` on its own and cached under the
        item's own key (a later run asking it alone, in a group or not, finds it). An item the
        answer leaves out, or answers invalidly, is asked alone (:meth:`run`, with its bounded
        re-asks), and so are all of them when the answer as a whole is unusable (cut at the token
        limit, not JSON). A failed call (the endpoint's error, a cancelled run) is every item's
        failure: asked alone, each would fail the same way, one call each. An item whose key another
        caller is asking already waits for that answer instead (:meth:`run`)."""
        prompts_ = [self._prompt(task, item) for item in items]
        keys = [cache_key(self.model.model_id, p.task, p.payload) for p in prompts_]
        results: list[Any] = [None] * len(items)
        with self._lock:  # the keys no other caller is asking: this call asks them
            mine = list(dict.fromkeys(k for k in keys if k not in self._asking))
            for k in mine:
                self._asking[k] = threading.Event()
        answers: dict[str, BaseModel] = {}
        try:
            ask = [k for k in mine if not self._hit(task, k, answers)]
            if len(ask) > 1:
                first = {k: keys.index(k) for k in ask}
                got = self._ask_group(task, [prompts_[first[k]].payload for k in ask])
                if isinstance(got, PipelineError):
                    for i, k in enumerate(keys):
                        if k in first:
                            results[i] = got
                else:
                    outs, usage = got
                    share = usage.model_copy(  # the answers table keeps each item's share of the call
                        update={"prompt_tokens": usage.prompt_tokens // len(ask),
                                "completion_tokens": usage.completion_tokens // len(ask)}
                    )  # fmt: skip
                    for n, k in enumerate(ask):
                        if (out := outs.get(n)) is not None:
                            answers[k] = out
                            if self.cache is not None:
                                self.cache.put(k, task.name, self.model.model_id, out.model_dump_json(), share)
        finally:
            with self._lock:
                for k in mine:
                    self._asking.pop(k).set()
        for i, item in enumerate(items):
            if results[i] is not None:
                continue
            if (out := answers.get(keys[i])) is not None:
                results[i] = task.record(item, out, self._info())
                continue
            try:  # left out, invalid, or asked by another caller: alone
                results[i] = self.run_task(task, item)
            except PipelineError as exc:
                results[i] = exc
        return results

    def _hit(self, task: Task[Any, Any, Any], key: str, answers: dict[str, BaseModel]) -> bool:
        """Whether ``key`` was answered (by another caller) since the cache was first read; its answer
        then goes into ``answers``, accounted as a hit."""
        if self.cache is None or (hit := self.cache.get(key)) is None:
            return False
        answers[key] = task.schema.model_validate_json(hit)
        self._account(task.name, attempts=0, cached=True)
        return True

    def _ask_group(
        self, task: Task[Any, Any, Any], payloads: Sequence[dict[str, Any]]
    ) -> tuple[dict[int, Any], LLMUsage] | PipelineError:
        """One call for ``payloads`` (ids 0..n-1): the valid answers by id and the call's usage, or the
        call's error. Its usage is one row (one call, its tokens, backend ``<backend> group``), not a
        row per item."""
        assert task.group_prompt is not None
        listed = [{GROUP_ID: n, **p} for n, p in enumerate(payloads)]
        prompt = Prompt(
            task.name,
            prompts.SYSTEM,
            task.group_prompt(listed),
            group_schema(task.schema),
            {GROUP_ANSWERS: listed},
            max(task.max_tokens or 0, task.group_item_tokens * len(payloads)),
        )
        try:
            if isinstance(self.model, OfflineModel):  # its rules answer each item, as alone
                cancel.check(f"the {task.name} call")
                out = [{GROUP_ID: n, **task.offline(p).model_dump()} for n, p in enumerate(payloads)]
                raw = RawAnswer(json.dumps({GROUP_ANSWERS: out}, ensure_ascii=False))
            else:
                raw = self._complete(prompt, [])
        except PipelineError as exc:  # no usage row, as for a single call that raised: no tokens reported
            log.warning("%s: a group of %d items failed: %s", task.name, len(payloads), exc)
            return exc
        usage = self._account(
            task.name, raw.prompt_tokens, raw.completion_tokens, backend=f"{self.model.backend} group"
        )
        if raw.finish_reason == "length":
            log.warning("%s: a group answer of %d items was cut at the token limit; asking them alone",
                        task.name, len(payloads))  # fmt: skip
            return {}, usage
        got = split_group(raw.text, task.schema, len(payloads))
        if len(got) < len(payloads):
            log.warning("%s: %d of %d items of a group answer missing or invalid; asking them alone",
                        task.name, len(payloads) - len(got), len(payloads))  # fmt: skip
        return got, usage

    def fold(
        self, extraction: DocumentExtraction, usage: list[LLMUsage] | None = None
    ) -> tuple[DocumentExtraction, list[Failure]]:
        """The document's extraction refined by every extraction task (``EXTRACTION_TASKS``: the
        model's competitor names merged with the rules'), before the other tasks run on it. An item
        that fails is recorded (stage ``llm-<task>``) and the extraction kept without it; ``usage``
        gets the calls' usage as in :meth:`run_all`."""
        failures: list[Failure] = []
        for task in EXTRACTION_TASKS.values():
            if task.fold is None:
                continue
            items = list(task.inputs([], [extraction]))
            results = self.run_all([(task, item) for _, item in items], usage=usage)
            records = []
            for (key, _), result in zip(items, results, strict=True):
                if isinstance(result, PipelineError):
                    log.warning("llm-%s failed for %s: %s", task.name, key, result)
                    failures.append(Failure.of(key, f"llm-{task.name}", result))
                else:
                    records.append(result)
            extraction = task.fold(extraction, records)
        return extraction, failures

    def usage_totals(self) -> dict[str, int]:
        with self._lock:
            return usage_totals(list(self.usage))


def usage_totals(rows: Sequence[LLMUsage]) -> dict[str, int]:
    """Calls, cache hits and tokens, in all and per task."""
    totals = {
        "calls": sum(1 for u in rows if not u.cached),
        "cached": sum(1 for u in rows if u.cached),
        "prompt_tokens": sum(u.prompt_tokens for u in rows),
        "completion_tokens": sum(u.completion_tokens for u in rows),
    }
    for task in sorted({u.task for u in rows}):
        mine = [u for u in rows if u.task == task]
        totals[f"{task} calls"] = sum(1 for u in mine if not u.cached)
        totals[f"{task} tokens"] = sum(u.total_tokens for u in mine)
    return totals


def split_group(text: str, schema: type[T], n: int) -> dict[int, T]:
    """A group answer's valid items by id (0..n-1), each validated against ``schema`` on its own. An
    id out of range, given twice, or whose answer does not validate is left out (its item is then
    asked alone); an answer that is not a JSON object with a list of answers leaves out every item."""
    m = _FENCE.match(text)
    try:
        data = json.loads(m.group(1) if m else text.strip())
    except (ValueError, RecursionError):
        return {}
    answers = data.get(GROUP_ANSWERS) if isinstance(data, dict) else None
    if not isinstance(answers, list):
        return {}
    seen: dict[int, int] = {}
    for a in answers:
        if isinstance(a, dict) and type(n_ := a.get(GROUP_ID)) is int and 0 <= n_ < n:
            seen[n_] = seen.get(n_, 0) + 1
    out: dict[int, T] = {}
    for a in answers:
        if not isinstance(a, dict) or type(a.get(GROUP_ID)) is not int or seen.get(a[GROUP_ID]) != 1:
            continue
        try:
            out[a[GROUP_ID]] = schema.model_validate({k: v for k, v in a.items() if k != GROUP_ID})
        except ValidationError as exc:
            log.warning("group answer item %s invalid: %s", a[GROUP_ID], _short_error(exc))
    return out


def _groups(work: Sequence[tuple[Task[Any, Any, Any], Any]], asks: Sequence[int]) -> tuple[list[list[int]], list[int]]:
    """The items ``asks`` of ``work`` as calls: groups of up to ``group_size`` items of a grouped task
    (a task's misses split into even groups: 25 with a size of 20 are 12 + 13), and the items asked
    alone (a task not grouped, or a grouped task's lone miss)."""
    by_task: dict[int, list[int]] = {}
    alone: list[int] = []
    for i in asks:
        task = work[i][0]
        if task.grouped:
            by_task.setdefault(id(task), []).append(i)
        else:
            alone.append(i)
    groups: list[list[int]] = []
    for items in by_task.values():
        if len(items) == 1:
            alone += items
            continue
        count = -(-len(items) // (work[items[0]][0].group_size or 1))
        groups += [items[g * len(items) // count : (g + 1) * len(items) // count] for g in range(count)]
    return groups, sorted(alone)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)[:300]


_SHARED: dict[str, LLMService] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_KEPT = 4


def shared_service(key: str, make: Callable[[], LLMService]) -> LLMService:
    """One service per ``key`` (a run) in this process: every document's LLM work in the run shares its
    ``concurrency`` slots, its rate limits, its 429 pauses and its circuit breaker. The few newest
    runs' services are kept (a long-lived Dask worker serves run after run)."""
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = make()
            while len(_SHARED) > _SHARED_KEPT:
                old = _SHARED.pop(next(iter(_SHARED)))
                if old.cache is not None:
                    old.cache.flush()
        return _SHARED[key]


def release_service(key: str) -> LLMService | None:
    """The run's service, no longer shared; its cache hits' usage rows written."""
    with _SHARED_LOCK:
        service = _SHARED.pop(key, None)
    if service is not None and service.cache is not None:
        service.cache.flush()
    return service
