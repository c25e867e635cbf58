"""The model protocol and its two backends.

A :class:`Model` takes one :class:`Prompt` and returns one :class:`RawAnswer`; validation, re-asks,
caching and usage accounting live in :mod:`llm.service`, so a fake model in tests is ten lines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from core.errors import (
    ConfigError,
    LLMDeadlineError,
    LLMError,
    LLMRateLimitedError,
    LLMResponseShapeError,
)
from core.settings import Settings
from llm import offline
from llm.prompts import with_schema
from llm.schemas import strict_json_schema

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prompt:
    task: str
    system: str
    user: str
    schema: type[BaseModel]
    #: the structured input, for the offline backend and the cache key
    payload: dict[str, Any] = field(default_factory=dict)
    #: the task's own answer budget (``Task.max_tokens``), asked for when above PP_LLM_MAX_TOKENS
    max_tokens: int | None = None


@dataclass(frozen=True)
class RawAnswer:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = "stop"


class Model(Protocol):
    model_id: str
    backend: str

    def complete(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer:
        """``history`` holds earlier assistant answers and re-ask messages, oldest first."""
        ...


class OfflineModel:
    """Rule-based stand-in used without an API key; labelled ``offline`` in every output."""

    model_id = offline.MODEL
    backend = offline.BACKEND

    def complete(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer:
        from llm.tasks import ALL_TASKS

        out = ALL_TASKS[prompt.task].offline(prompt.payload)
        return RawAnswer(out.model_dump_json(), 0, 0, "stop")


class OpenAICompatibleModel:
    """Any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Qwen/DashScope, vLLM, Ollama).

    Uses ``json_schema`` structured output and falls back, once and for the rest of the run, to
    ``json_object`` mode when the provider rejects it. 429 and 5xx are retried by the ``openai``
    client itself (exponential backoff, ``Retry-After`` honoured).

    The ``openai`` package (~0.65 s to import) and its client are loaded at the first call, so a run
    whose every item is a cache hit never loads them.
    """

    backend = "openai-compatible"

    def __init__(self, settings: Settings, client: openai.OpenAI | None = None) -> None:
        if settings.llm_api_key is None:
            raise ConfigError("PP_LLM_API_KEY is not set")
        self.model_id = settings.llm_model
        self._key = settings.llm_api_key.get_secret_value()
        self.mode = settings.llm_response_format
        self.max_tokens = settings.llm_max_tokens
        self._endpoint = (settings.llm_base_url, settings.llm_timeout_s, settings.llm_max_retries)
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> openai.OpenAI:
        with self._client_lock:
            if self._client is None:
                import openai

                base_url, timeout, retries = self._endpoint
                self._client = openai.OpenAI(
                    api_key=self._key,
                    base_url=base_url,
                    timeout=timeout,
                    max_retries=retries,
                    http_client=deadline_http_client(timeout),
                )
            return self._client

    def _redact(self, exc: BaseException) -> str:
        """An endpoint may echo the key in its error: it never reaches a log, a workbook or Prefect."""
        return redact(str(exc), self._key)

    def _response_format(self, prompt: Prompt) -> dict[str, Any]:
        if self.mode == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {
                    "name": prompt.schema.__name__,
                    "strict": True,
                    "schema": strict_json_schema(prompt.schema),
                },
            }
        return {"type": "json_object"}

    def complete(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer:
        # json_schema refused: one more call in json_object mode (a loop of two, not a recursion)
        for _ in range(2):
            mode = self.mode
            answer = self._complete_once(prompt, history)
            if answer is not None or self.mode == mode:
                break
        if answer is None:
            raise LLMError(f"{self.model_id}: no answer")
        return answer

    def _complete_once(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer | None:
        import openai

        httpx = _http_module()

        messages: list[Any] = [
            {"role": "system", "content": with_schema(prompt.system, strict_json_schema(prompt.schema))},
            {"role": "user", "content": prompt.user},
            *history,
        ]
        request: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max(self.max_tokens, prompt.max_tokens or 0),
            "response_format": self._response_format(prompt),
        }
        try:
            resp = self.client.chat.completions.create(**request)
        except openai.BadRequestError as exc:
            if self.mode == "json_schema" and _about_response_format(exc):
                log.warning(
                    "%s rejected json_schema (%s); falling back to json_object mode", self.model_id, self._redact(exc)
                )
                self.mode = "json_object"
                return None
            raise LLMError(f"{self.model_id}: request rejected: {self._redact(exc)}") from None
        except openai.RateLimitError as exc:
            raise LLMRateLimitedError(
                f"{self.model_id}: rate limited after retries: {self._redact(exc)}",
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            ) from None
        except openai.APITimeoutError as exc:
            raise LLMDeadlineError(
                f"{self.model_id}: no complete answer within {self._endpoint[1]:g} s per attempt "
                f"(read timeout or total deadline): {type(exc).__name__}: {self._redact(exc)}"
            ) from None
        except openai.APIError as exc:
            raise LLMError(f"{self.model_id}: {type(exc).__name__}: {self._redact(exc)}") from None
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise LLMError(f"{self.model_id}: {type(exc).__name__}: {self._redact(exc)}") from None
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            # the body could not be read as a completion at all (an empty 200 body, 100k-deep JSON)
            raise LLMResponseShapeError(
                f"{self.model_id}: unreadable answer: {type(exc).__name__}: {self._redact(exc)[:200]}"
            ) from None
        return read_completion(resp, self.model_id)


def _field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]``: the client builds its objects without validating them, so a
    field of the wrong shape arrives as a dict, a list or a string."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None) if obj is not None and not isinstance(obj, str | int | float | list) else None


def _count(value: Any) -> int:
    """A token count as the endpoint sent it: a non-negative int, else 0 (strings, floats, null)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def read_completion(resp: Any, model_id: str) -> RawAnswer:
    """The answer in a chat completion, each field checked: ``choices`` not a non-empty list,
    ``message`` null or content that is not a string raise :class:`LLMResponseShapeError`; usage of
    the wrong type counts as 0; a finish reason that is not a string as none."""
    choices = _field(resp, "choices")
    if not isinstance(choices, list) or not choices:
        raise LLMResponseShapeError(f"{model_id}: no choices in the answer ({type(choices).__name__})")
    choice = choices[0]
    message = _field(choice, "message")
    if message is None:
        raise LLMResponseShapeError(f"{model_id}: the answer's message is null")
    content = _field(message, "content")
    if content is not None and not isinstance(content, str):
        raise LLMResponseShapeError(f"{model_id}: the answer's content is a {type(content).__name__}, not text")
    usage = _field(resp, "usage")
    finish = _field(choice, "finish_reason")
    return RawAnswer(
        text=content or "",
        prompt_tokens=_count(_field(usage, "prompt_tokens")),
        completion_tokens=_count(_field(usage, "completion_tokens")),
        finish_reason=finish if isinstance(finish, str) else None,
    )


def _http_module() -> Any:
    """The HTTP package the installed ``openai`` is built on (``httpx2`` in openai 3, ``httpx`` before)."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - older openai
        import httpx

        return httpx


def deadline_http_client(total_s: float) -> Any:
    """The openai client's HTTP client, with a total deadline per request: httpx's read timeout
    applies per read, so an endpoint sending one space a second would hold a call for ever. Each
    chunk of the answer is checked against ``total_s`` from the request's start; past it the read
    fails as a timeout (which the openai client retries, then reports as ``APITimeoutError``)."""
    import openai

    httpx = _http_module()

    class DeadlineStream(httpx.SyncByteStream):  # type: ignore[name-defined]
        def __init__(self, inner: Any, deadline: float) -> None:
            self._inner, self._deadline = inner, deadline

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                if time.monotonic() > self._deadline:
                    raise httpx.ReadTimeout(f"answer past its total deadline of {total_s:g} s")
                yield chunk

        def close(self) -> None:
            self._inner.close()

    class DeadlineTransport(httpx.BaseTransport):  # type: ignore[name-defined]
        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            deadline = time.monotonic() + total_s
            resp = self._inner.handle_request(request)
            if time.monotonic() > deadline:
                resp.close()
                raise httpx.ReadTimeout(f"headers past the total deadline of {total_s:g} s", request=request)
            if isinstance(resp.stream, httpx.SyncByteStream):
                resp.stream = DeadlineStream(resp.stream, deadline)
            return resp

        def close(self) -> None:
            self._inner.close()

    return openai.DefaultHttpxClient(transport=DeadlineTransport())


def redact(text: str, secret: str) -> str:
    """``text`` with ``secret`` replaced by ``***`` (and, for keys of 16 or more characters, their
    first and last 12 characters, which some endpoints echo alone)."""
    if not secret:
        return text
    text = text.replace(secret, "***")
    if len(secret) >= 16:  # partial echoes: the key's head or tail
        text = text.replace(secret[:12], "***").replace(secret[-12:], "***")
    return text


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given in seconds (an HTTP date is ignored), capped at 10 min."""
    try:
        return min(max(float(value), 0.0), 600.0) if value else None
    except ValueError:
        return None


def _about_response_format(exc: openai.BadRequestError) -> bool:
    text = str(exc).lower()
    with contextlib.suppress(TypeError, ValueError):
        text += json.dumps(exc.body).lower()
    return "response_format" in text or "json_schema" in text


def model_from_settings(settings: Settings) -> Model:
    """The configured endpoint, or the offline backend when no key is set (logged loudly)."""
    if settings.llm_configured:
        return OpenAICompatibleModel(settings)
    log.warning(
        "No LLM key configured (PP_LLM_API_KEY): using the OFFLINE rule-based backend; "
        "summaries are extractive and classifications keyword-based"
    )
    return OfflineModel()


def model_label(settings: Settings) -> str:
    """``backend:model`` of what :func:`model_from_settings` would use, without building it."""
    if settings.llm_configured:
        return f"{OpenAICompatibleModel.backend}:{settings.llm_model}"
    return f"{OfflineModel.backend}:{OfflineModel.model_id}"
