"""Where an item failed: every :class:`core.records.Failure` row names one of these stages."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from core.errors import PipelineError, UnexpectedError
from core.records import Failure


class Stage(StrEnum):
    #: the exchange query itself (the run fails: there is nothing to read)
    QUERY = "query"
    #: one row of the exchange's answer was refused
    SCRAPE = "scrape"
    DOWNLOAD = "download"
    EXTRACT = "extract"
    #: a document's task as a whole (past its deadline)
    DOCUMENT = "document"
    #: a document's rows could not be written to the cumulative store (the run streams them there)
    STORE = "store"
    #: the announcements' own model items (classification)
    LLM_ANNOUNCEMENTS = "llm-announcement"


def llm_stage(task: str) -> str:
    """The stage of one model task's item: ``llm-<task>``."""
    return f"llm-{task}"


def failure(key: str, stage: str, exc: BaseException, log: Any = None) -> Failure:
    """The row for ``exc``: a :class:`PipelineError` as it is; anything else is an
    :class:`UnexpectedError` whose traceback goes to the log (a bug stays loud, the rest is kept)."""
    if isinstance(exc, PipelineError):
        return Failure.of(key, stage, exc)
    (log or logging.getLogger(__name__)).error(
        "unexpected %s in %s of %s:\n%s",
        type(exc).__name__,
        stage,
        key,
        "".join(traceback.format_exception(exc)),
    )
    return Failure.of(key, stage, UnexpectedError.of(exc))


@contextmanager
def isolated(failures: list[Failure], key: str, stage: str, log: Any = None) -> Iterator[None]:
    """Whatever is raised inside (but a stop: KeyboardInterrupt, SystemExit) fails this item alone:
    its row is appended to ``failures`` and the block ends."""
    try:
        yield
    except Exception as exc:
        failures.append(failure(key, stage, exc, log))
