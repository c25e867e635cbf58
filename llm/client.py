"""The model protocol and its two backends.

A :class:`Model` takes one :class:`Prompt` and returns one :class:`RawAnswer`; validation, re-asks,
caching and usage accounting live in :mod:`llm.service`, so a fake model in tests is ten lines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from core.errors import ConfigError, LLMError, LLMRateLimitedError
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
                self._client = openai.OpenAI(api_key=self._key, base_url=base_url, timeout=timeout, max_retries=retries)
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
        import openai

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
                return self.complete(prompt, history)
            raise LLMError(f"{self.model_id}: request rejected: {self._redact(exc)}") from None
        except openai.RateLimitError as exc:
            raise LLMRateLimitedError(
                f"{self.model_id}: rate limited after retries: {self._redact(exc)}",
                retry_after=_retry_after(exc.response.headers.get("retry-after")),
            ) from None
        except openai.APIError as exc:
            raise LLMError(f"{self.model_id}: {type(exc).__name__}: {self._redact(exc)}") from None
        if not resp.choices:
            raise LLMError(f"{self.model_id}: empty choices in the response")
        choice = resp.choices[0]
        usage = resp.usage
        return RawAnswer(
            text=choice.message.content or "",
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            finish_reason=choice.finish_reason,
        )


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
