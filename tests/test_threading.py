"""Regression: the thread-pool task runner ran text passes in parallel and PDFium segfaulted.

PDFium is not thread-safe, not even across documents; every pdfium call goes through one lock.
Without it this test crashes the interpreter within a few rounds.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from extractors.document import extract_document
from extractors.pdftext import read_text
from tests.conftest import PDF

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
