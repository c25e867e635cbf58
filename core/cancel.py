"""A run's cooperative cancellation: SIGTERM (or Ctrl-C) sets one flag, and every loop that waits
checks it: the HTTP client before each request and between body chunks, the downloader between
chunks, the extraction pool while it waits for a worker, the LLM stage before each call. What was
finished is kept and written to the workbook; what was not is recorded as ``RunCancelledError`` and
retried by the next run. A second signal stops the process at once.

Plain ``threading``/``signal``: no Prefect here (only ``flows/`` imports it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from core.errors import RunCancelledError

log = logging.getLogger(__name__)

_EVENT = threading.Event()
_REASON: list[str] = []


def request(reason: str) -> None:
    """Ask the run to stop (idempotent; the first reason is kept)."""
    if not _EVENT.is_set():
        _REASON.append(reason)
        _EVENT.set()


def requested() -> bool:
    return _EVENT.is_set()


def reason() -> str:
    return _REASON[0] if _REASON else ""


def check(what: str) -> None:
    """Raise :class:`RunCancelledError` if the run was asked to stop before ``what``."""
    if _EVENT.is_set():
        raise RunCancelledError(f"cancelled ({reason()}) before {what} finished")


def reset() -> None:
    _EVENT.clear()
    _REASON.clear()


def _handler(signum: int, _frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    if _EVENT.is_set():  # a second signal: stop now
        log.error("%s again: stopping at once", name)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    log.warning("%s: stopping; what is finished is kept and written to the workbook", name)
    request(name)


@contextlib.contextmanager
def on_signals(*signums: int) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT (by default) ask the run to stop instead of killing it.
    Only the main thread can set handlers; elsewhere (a worker thread, a Dask worker) this does nothing."""
    wanted = signums or (signal.SIGTERM, signal.SIGINT)
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reset()
    previous = {s: signal.signal(s, _handler) for s in wanted}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def sleep(seconds: float) -> None:
    """``time.sleep`` that a stop request cuts short (with :class:`RunCancelledError`)."""
    if _EVENT.wait(max(0.0, seconds)):
        check("a pause")
