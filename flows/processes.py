"""CPU-bound extraction in worker processes, one PDFium per process.

PDFium is not thread-safe (every pypdfium2 call takes one process-wide lock) and pdfminer is pure
Python under the GIL, so the thread pool's extract tasks gave exactly 1.0×. The flow opens one pool of
*spawned* processes for its run (spawned, not forked: the flow process holds threads and PDFium state);
Prefect still schedules, names, times out and records every document task in its thread pool, and
each task hands its document's CPU work to the pool and waits for it. Nothing talks to Prefect from a
worker, so this works in the default embedded mode with no extra server. With ``--task-runner dask``
the same calls go to a Dask cluster instead (:func:`dask_pool`). Without a pool (one CPU, one document,
``PP_EXTRACT_PROCESSES=1``) the work runs in a thread of the flow process.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from core import cancel
from core.errors import DeadlineExceededError, WorkerCrashedError

log = logging.getLogger(__name__)
T = TypeVar("T")
_POOL: Executor | None = None
_SIZE = 0
_LOCK = threading.Lock()


def pool_size(setting: int, documents: int) -> int:
    """``setting`` (0 = the CPU count), never more than the documents to extract."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(setting or cpus, documents))


def task_threads(setting: int, extract_processes: int, llm_concurrency: int) -> int:
    """Documents in flight (the thread runner's threads): ``setting``, or (0) one per extraction process
    plus one per LLM call in flight, so that documents waiting on a download or on the model never
    leave an extraction process idle."""
    return setting or pool_size(extract_processes, 1 << 16) + max(1, llm_concurrency)


@contextlib.contextmanager
def extraction_pool(
    workers: int, dask: bool = False, dask_address: str | None = None, *, warm: bool = False
) -> Iterator[None]:
    """Open the run's pool of ``workers`` processes (none for 1) and close it when the run ends;
    ``dask``: a Dask cluster instead (``dask_address``, or ``workers`` local worker processes).

    ``warm``: the run has documents to download, so it will extract: the workers start (and import the
    extractors) now, in the background, while the first documents download, instead of at the first
    document to extract. Without it they start at the first document to extract, so a rerun with
    everything cached starts none."""
    global _POOL, _SIZE
    if dask and _POOL is None:
        with dask_pool(workers, dask_address, warm=warm):
            yield
        return
    if workers <= 1 or _POOL is not None:
        yield
        return
    _SIZE = workers
    _POOL = _new_pool(workers)
    log.info("extraction in %d worker processes%s", workers, ", starting now" if warm else "")
    if warm:  # a spawned pool starts one process per submit, up to its size
        for _ in range(workers):
            _POOL.submit(load_extractors)
    try:
        yield
    finally:
        pool, _POOL = _POOL, None
        assert isinstance(pool, ProcessPoolExecutor)
        procs = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
        pool.shutdown(wait=False, cancel_futures=True)
        if cancel.requested():
            _terminate(procs)


@contextlib.contextmanager
def dask_pool(workers: int, address: str | None, *, warm: bool = False) -> Iterator[None]:
    """The extraction calls go to a Dask cluster: an existing one (``address``; its workers must read
    the run's ``PP_DATA_DIR``) or ``workers`` local processes of one thread each, started while the
    first documents download (``warm``), else at the first document to extract (a rerun with everything
    cached starts none). Only the pure extraction runs there — no Prefect in the workers, so no API to
    reach and no server per worker; the flow's document tasks, downloads and model calls stay in the
    flow, under its one Prefect API and its LLM limits."""
    global _POOL
    pool = _DaskOnDemand(workers, address)
    _POOL = pool
    if warm:
        pool.start_in_background()
    try:
        yield
    finally:
        _POOL = None
        pool.shutdown()


# How the local cluster this run starts is tuned for its work: a few long (seconds), uneven, CPU-bound
# extractions and no dashboard. Dask's defaults serve interactive, dashboard-watched clusters, and on
# two cores they cost the extraction (`python benchmarks/flow_bench.py --docs 200 --processes 0 --runner
# dask`: 169.7 s → 159.8 s, flow CPU 40.4 → 32.7 s, workers' 238.0 → 230.8 s). An existing cluster
# (``--dask-address``) keeps its owner's configuration.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    # the statistical profiler samples each worker's task thread every 10 ms for a dashboard nobody
    # starts here: ~7% of a worker's CPU over an extraction
    "distributed.worker.profile.enabled": False,
    # one extraction at a time per worker thread, the rest queued on the scheduler, handed to whichever
    # worker frees first (as a process pool does); Dask's 1.1 holds a second one behind each running
    # one, so a large prospectus can wait behind another while a worker is idle
    "distributed.scheduler.worker-saturation": 1.0,
    # periodic bookkeeping of an idle cluster (event-loop health every 20 ms, system metrics every
    # 500 ms for the dashboard, work stealing every 100 ms, the nannies' memory checks every 100 ms):
    # ~13% of one core idle, ~1% at these intervals (a nanny still stops a worker over its memory limit
    # within half a second)
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.scheduler.work-stealing-interval": "1s",
    "distributed.worker.memory.monitor-interval": "500ms",
    # no web endpoints: without a dashboard the scheduler still serves the cluster's state (/info,
    # /json), a proxy route and metrics on 127.0.0.1:8787, and each worker its metrics on a port of its
    # own; nothing here reads them (distributed still binds the ports, serving nothing)
    "distributed.scheduler.http.routes": [],
    "distributed.worker.http.routes": [],
}


class _DaskOnDemand(Executor):
    """A Dask client's executor, connected (and a local cluster started) at the first submit, or ahead
    of it (:meth:`start_in_background`)."""

    def __init__(self, workers: int, address: str | None) -> None:
        self.workers, self.address = workers, address
        self._lock = threading.Lock()
        self._client: Any = None
        self._cluster: Any = None
        self._executor: Executor | None = None
        self._closed = False

    def start_in_background(self) -> None:
        """Connect (start the local cluster) and load the extractors in every worker, in a thread: the
        first submit waits for it, and an error there is raised by that submit's own attempt."""

        def start() -> None:
            try:
                self._connect().run(load_extractors)
            except Exception as exc:  # the documents' own submits try again and report it per document
                if not self._closed:  # not the run's end closing it meanwhile
                    log.warning("could not start the Dask workers ahead of the first document: %s", exc)

        threading.Thread(target=start, name="dask-start", daemon=True).start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        self._connect()
        assert self._executor is not None
        return self._executor.submit(fn, *args, **kwargs)

    def _connect(self) -> Any:
        """The client, connected (and the local cluster started) on the first call."""
        with self._lock:
            if self._closed:  # the run ended before the background start got here: start nothing
                raise RuntimeError("the run's Dask pool is closed")
            if self._executor is None:
                from distributed import Client, LocalCluster

                if self.address is None and self._cluster is None:
                    import dask

                    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies hand it to their workers
                        self._cluster = LocalCluster(
                            n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None
                        )
                # results straight from the local workers (Dask's default for a client outside the
                # cluster routes each one through the scheduler: a second hop, in this process); an
                # existing cluster's workers may not be reachable from here, so it keeps the default
                self._client = Client(self.address or self._cluster, direct_to_workers=self.address is None)
                self._executor = self._client.get_executor(pure=False)
                log.info(
                    "extraction on Dask: %s", self.address or f"a local cluster of {self.workers} worker processes"
                )
            return self._client

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if self._client is not None:
                self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = self._executor = None


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


def load_extractors() -> None:
    """Run in a worker ahead of its first document: the extractors' imports (pdfplumber, PDFium: ~1 s)."""
    import extractors.document  # noqa: F401


def extract_document(*args: Any, **kwargs: Any) -> Any:
    """:func:`extractors.document.extract_document`, imported where it runs: the flow process hands
    documents to its workers and never loads pdfplumber or PDFium itself (~40 MB less)."""
    from extractors.document import extract_document as extract

    return extract(*args, **kwargs)


def run(fn: Callable[..., T], *args: Any, timeout_s: float | None = None, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the run's pool when there is one, else here. A worker that dies (out of
    memory, a crash inside PDFium) fails this document, not the run."""
    if _POOL is None:
        return _here(fn, args, kwargs, timeout_s)
    cancel.check("extraction")
    future = _POOL.submit(fn, *args, **kwargs)
    try:
        return _wait(future, None if timeout_s is None else time.monotonic() + timeout_s)
    except FutureTimeout:
        future.cancel()
        raise DeadlineExceededError(f"extraction ran past {timeout_s:.0f} s") from None
    except BrokenProcessPool as exc:
        _replace_broken_pool()
        raise WorkerCrashedError(f"the extraction worker process died: {exc}") from None
    except Exception as exc:
        if type(exc).__name__ == "KilledWorker":  # Dask gave up on a document that kills its workers
            raise WorkerCrashedError(f"the extraction worker process died: {exc}") from None
        raise


def _wait(future: Future[T], deadline: float | None) -> T:
    """The future's result, waited on in short slices so that a stop request is seen within a second;
    past ``deadline`` (monotonic) a FutureTimeout."""
    while True:
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


def _here(fn: Callable[..., T], args: Any, kwargs: Any, timeout_s: float | None) -> T:
    """No pool: the work in a thread of this process, waited on with the same deadline and stop checks
    as pool work. A thread cannot be interrupted: one past its deadline is left to finish, unread."""
    if timeout_s is None:
        return fn(*args, **kwargs)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the waiting thread as it is
            box["error"] = exc

    worker = threading.Thread(target=contextvars.copy_context().run, args=(work,), name="extract", daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout_s
    while worker.is_alive():
        worker.join(min(0.5, max(0.0, deadline - time.monotonic())))
        cancel.check("extraction")
        if worker.is_alive() and time.monotonic() >= deadline:
            raise DeadlineExceededError(f"extraction ran past {timeout_s:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


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
