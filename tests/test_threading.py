"""Regression: the thread-pool task runner ran text passes in parallel and PDFium segfaulted.

PDFium is not thread-safe, not even across documents; every pdfium call goes through one lock.
Without it this test crashes the interpreter within a few rounds.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from extractors.document import extract_document
from extractors.pdftext import read_text
from tests.conftest import PDF, spawned_since, wait_for

#: real PDFs in worker processes and threads: minutes on two cores, left out of make test-fast
pytestmark = pytest.mark.slow

DOCS = sorted((PDF / "prospectus").glob("*.pdf"))


def test_concurrent_text_passes_do_not_crash_pdfium() -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(read_text, DOCS * 3))
    expected = {d: read_text(d).page_count for d in DOCS}
    assert [r.page_count for r in results] == [expected[d] for d in DOCS * 3]


def test_concurrent_document_extractions_match_serial_ones() -> None:
    serial = [extract_document(d, d.name) for d in DOCS]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda d: extract_document(d, d.name), DOCS))
    assert [r.model_copy(update={"seconds": 0}) for r in parallel] == [
        r.model_copy(update={"seconds": 0}) for r in serial
    ]


# --- extraction in worker processes (flows/processes.py) ------------------------------------------


def _die() -> None:
    import os

    os._exit(1)


def test_worker_process_extraction_matches_in_thread_and_a_dead_worker_fails_one_document() -> None:
    import time
    from pathlib import Path

    import pytest

    from core.errors import DeadlineExceededError, WorkerCrashedError
    from extractors.document import extract_document
    from flows import processes

    pdf = Path(__file__).resolve().parents[1].parent / "shared/corpus/pdf/prospectus_full"
    (path,) = sorted(pdf.glob("300626*.pdf"))
    inline = processes.run(extract_document, path, "k")  # no pool: in this thread
    with processes.extraction_pool(2):
        assert processes._POOL is not None
        in_worker = processes.run(extract_document, path, "k")
        assert in_worker.model_copy(update={"seconds": inline.seconds}) == inline  # all but the timing
        with pytest.raises(WorkerCrashedError):
            processes.run(_die)
        # the pool was replaced: the next document still gets a worker
        assert processes.run(extract_document, path, "k").patents == inline.patents
        with pytest.raises(DeadlineExceededError):
            processes.run(time.sleep, 30, timeout_s=0.5)
    assert processes._POOL is None
    assert processes.pool_size(0, 1) == 1 and processes.pool_size(3, 10) == 3


def test_a_warm_pool_loads_pdfium_in_every_worker_before_the_first_document_and_a_cold_one_starts_none() -> None:
    """The trap: a spawned pool starts one process per submitted call, so a pool that is only created
    starts nothing, and its first documents wait for the workers' start and imports (~1 s)."""
    import os

    from core import procs
    from flows import processes

    before = {p.pid for p in procs.children(os.getpid())}
    with processes.extraction_pool(2):  # a rerun with everything cached: nothing to extract
        time.sleep(0.5)
        assert spawned_since(before) == {}
    with processes.extraction_pool(2, warm=True):
        loaded = lambda: [m for m in spawned_since(before).values() if "pdfium" in m]  # noqa: E731
        assert wait_for(lambda: len(loaded()) == 2, 60), f"{len(loaded())} of 2 workers loaded PDFium"
