"""CPU-bound extraction in worker processes, one PDFium per process.

PDFium is not thread-safe (every pypdfium2 call takes one process-wide lock) and pdfminer is pure
Python under the GIL, so the thread pool's extract tasks gave exactly 1.0×. The flow opens one pool of
*spawned* processes for its run (spawned, not forked: the flow process holds threads and PDFium state);
Prefect still schedules, names, times out and records every extract task in its thread pool, and each
task hands its document's CPU work to the pool and waits for it. Nothing talks to Prefect from a worker,
so this works in the default embedded mode with no extra server. Without a pool (one CPU, one document,
``PP_EXTRACT_PROCESSES=1``, or a Dask worker) the work runs in the calling thread.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from core import cancel
from core.errors import DeadlineExceededError, WorkerCrashedError

log = logging.getLogger(__name__)
T = TypeVar("T")
_POOL: ProcessPoolExecutor | None = None
_SIZE = 0
_LOCK = threading.Lock()


def pool_size(setting: int, documents: int) -> int:
    """``setting`` (0 = the CPU count), never more than the documents to extract."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(setting or cpus, documents))


@contextlib.contextmanager
def extraction_pool(workers: int) -> Iterator[None]:
    """Open the run's pool of ``workers`` processes (none for 1) and close it when the run ends."""
    global _POOL, _SIZE
    if workers <= 1 or _POOL is not None:
        yield
        return
    _SIZE = workers
    _POOL = _new_pool(workers)
    log.info("extraction in %d worker processes", workers)
    try:
        yield
    finally:
        pool, _POOL = _POOL, None
        procs = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        if cancel.requested():
            _terminate(procs)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint)


def _ignore_sigint() -> None:
    """Ctrl-C reaches the whole process group: the flow process decides what stops, not each worker."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _terminate(workers: list[Any]) -> None:
    """A stopped run does not wait for documents nobody will read: the workers are ended."""
    for proc in workers:
        with contextlib.suppress(Exception):
            proc.terminate()


def run(fn: Callable[..., T], *args: Any, timeout_s: float | None = None, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the run's pool when there is one, else here. A worker that dies (out of
    memory, a crash inside PDFium) fails this document, not the run."""
    if _POOL is None:
        return fn(*args, **kwargs)
    cancel.check("extraction")
    future = _POOL.submit(fn, *args, **kwargs)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        while True:  # in short slices, so that a stop request is seen within a second
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise FutureTimeout
            try:
                return future.result(timeout=0.5 if left is None else min(0.5, left))
            except FutureTimeout:
                if cancel.requested():
                    future.cancel()
                    cancel.check("extraction")
                if left is not None and left <= 0.5:
                    raise
    except FutureTimeout:
        future.cancel()
        raise DeadlineExceededError(f"extraction ran past {timeout_s:.0f} s") from None
    except BrokenProcessPool as exc:
        _replace_broken_pool()
        raise WorkerCrashedError(f"the extraction worker process died: {exc}") from None


def _replace_broken_pool() -> None:
    """A dead worker breaks the whole pool: the documents after it get a fresh one."""
    global _POOL
    with _LOCK:
        broken = _POOL
        if broken is None or not getattr(broken, "_broken", False):
            return  # already replaced by another thread
        _POOL = _new_pool(_SIZE)
        broken.shutdown(wait=False, cancel_futures=True)
        log.warning("an extraction worker died; the pool was restarted")
