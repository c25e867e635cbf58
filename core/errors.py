"""One error hierarchy for the whole pipeline.

Every failure the pipeline can meet on real inputs (a firewall page instead of JSON, a truncated PDF,
an LLM answer that does not validate) is a subclass of :class:`PipelineError`, so callers can catch the
family and report it without losing the rest of a run.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error raised on purpose by this project."""


class ConfigError(PipelineError):
    """A setting is missing or inconsistent."""


# --- exchanges -----------------------------------------------------------------------------------


class WorkerCrashedError(PipelineError):
    """The worker process extracting this document died (out of memory, a crash in native code)."""


class RunCancelledError(PipelineError):
    """The run was asked to stop (SIGTERM, Ctrl-C): the item was not finished and is retried next run."""


class DeadlineExceededError(PipelineError):
    """A stage ran past its deadline (settings ``*_timeout_s``): the item is recorded, the run goes on."""


class ScrapeError(PipelineError):
    """An exchange could not be queried."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        self.url = url
        self.status = status
        where = f" [{status} {url}]" if status is not None else (f" [{url}]" if url else "")
        super().__init__(message + where)


class ExchangeResponseError(ScrapeError):
    """The exchange answered, but not with the payload we expect: HTML firewall page, garbage, an
    application-level error such as SSE's ``{"success":"false","error":"系统繁忙"}``."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None, snippet: str = "") -> None:
        self.snippet = snippet
        super().__init__(message + (f": {snippet!r}" if snippet else ""), url=url, status=status)


class BlockedError(ScrapeError):
    """HTTP 403 (or a firewall/WAF page): retrying will not help, back off and investigate."""


class RateLimitedError(ScrapeError):
    """HTTP 429 that persisted after every retry."""


class TransientHTTPError(ScrapeError):
    """5xx or connection failure that persisted after every retry."""


class ExchangeBusyError(TransientHTTPError):
    """The exchange answered 200 but says it is busy (SSE: ``系统繁忙，请稍后再试``): retry later."""


# --- documents ----------------------------------------------------------------------------------


class DownloadError(PipelineError):
    """A document could not be downloaded."""


class InvalidPDFError(DownloadError):
    """The bytes are not a complete PDF (HTML page saved as .pdf, truncated body, wrong size)."""


class PDFError(PipelineError):
    """A PDF cannot be read for extraction."""


class EncryptedPDFError(PDFError):
    """The PDF needs a password."""


class ScannedPDFError(PDFError):
    """The PDF has no usable text layer (image-only scan); OCR is needed."""


class EngineUnavailableError(PipelineError):
    """An optional extraction engine (tabula-py / Java) is not installed."""


# --- LLM ------------------------------------------------------------------------------------------


class LLMError(PipelineError):
    """The LLM endpoint failed (after retries)."""


class LLMUnavailableError(LLMError):
    """The circuit breaker is open: the endpoint failed too many times in a row, so the remaining
    items are skipped at once instead of each waiting out its own timeouts and retries."""


class LLMRateLimitedError(LLMError):
    """The endpoint still answered 429 after the client's retries; ``retry_after`` (seconds, from the
    ``Retry-After`` header) pauses every in-flight call, not only this one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class LLMInvalidOutputError(LLMError):
    """The model's answer did not validate against the expected schema after every re-ask."""

    def __init__(self, message: str, *, raw: str = "") -> None:
        self.raw = raw
        super().__init__(message)


class LLMTruncatedError(LLMInvalidOutputError):
    """The model stopped because of the token limit (``finish_reason == 'length'``)."""


class LLMDeadlineError(LLMError):
    """One model call ran past its total deadline (``llm_call_deadline_s``), however the endpoint
    trickled its answer: the read timeout alone applies per read, not per call."""


class LLMResponseShapeError(LLMError):
    """The endpoint answered 200 with a body that is not a chat completion (empty body, ``choices``
    not a list, ``message`` null, content not a string, usage not numbers)."""


# --- state on disk ----------------------------------------------------------------------------------


class StoreError(PipelineError):
    """A store, cache or manifest on disk cannot be used (newer schema, unreadable, not writable)."""


class StoreSchemaError(StoreError):
    """The store was written by a newer version of this project: refused before any work, since
    writing it with an older schema could lose what the newer version recorded."""


# --- bugs -----------------------------------------------------------------------------------------


class UnexpectedError(PipelineError):
    """Something that is not a :class:`PipelineError` went wrong with one item: a bug, or a library
    exception nothing translated. The item is recorded with this type (its traceback goes to the log),
    the other items are kept, and the run ends Partial, never Completed, so the bug stays loud."""

    @classmethod
    def of(cls, exc: BaseException) -> UnexpectedError:
        return cls(f"{type(exc).__name__}: {exc}")
