"""The fast pass: pypdfium2 text of every page plus the outline (bookmarks).

Encrypted PDFs raise :class:`EncryptedPDFError`; PDFs with no text layer raise
:class:`ScannedPDFError`. A broken file raises :class:`PDFError`. Nothing here crashes on bad input.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from core.errors import EncryptedPDFError, PDFError, ScannedPDFError
from extractors.text import strip_running_lines

log = logging.getLogger(__name__)

#: PDFium is not thread-safe, not even across different documents: two threads inside pdfium at once
#: crash the process (seen here as a segfault with the thread-pool task runner). Every pdfium call in
#: this project happens under this lock; the text pass is cheap, and pdfplumber (pdfminer, pure
#: Python) still runs in parallel. For parallel pdfium work use processes (the Dask task runner).
PDFIUM_LOCK = threading.RLock()

#: Fewer characters than this per page, on average, means there is no usable text layer.
MIN_CHARS_PER_PAGE = 25
#: More characters than this on one page is no prospectus page (a hostile or broken file): the page
#: is skipped with a warning instead of being located, matched and read by pdfplumber.
MAX_CHARS_PER_PAGE = 200_000


@dataclass(frozen=True)
class OutlineEntry:
    title: str
    page: int  # 1-based
    level: int


@dataclass(frozen=True)
class PdfText:
    """Page texts with running headers, footers and page labels removed."""

    pages: list[str]
    outline: list[OutlineEntry] = field(default_factory=list)
    #: pages skipped for holding more than MAX_CHARS_PER_PAGE characters: (page, characters)
    oversized: list[tuple[int, int]] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, number: int) -> str:
        return self.pages[number - 1]


def open_pdf(path: Path | str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise EncryptedPDFError(f"{Path(path).name}: the PDF is encrypted and needs a password") from exc
        raise PDFError(f"{Path(path).name}: pdfium cannot open the file ({exc})") from exc


def read_text(path: Path | str, *, require_text: bool = True) -> PdfText:
    with PDFIUM_LOCK:
        pages, outline = _read_locked(path)
    if require_text and pages:
        chars = sum(len(p.strip()) for p in pages)
        if chars < MIN_CHARS_PER_PAGE * len(pages):
            raise ScannedPDFError(
                f"{Path(path).name}: {chars} text characters on {len(pages)} pages; "
                "looks scanned (image-only), OCR is needed"
            )
    oversized = [(n, len(p)) for n, p in enumerate(pages, start=1) if len(p) > MAX_CHARS_PER_PAGE]
    for n, size in oversized:
        log.warning("%s: page %d has %d characters (over %d); skipped", Path(path).name, n, size, MAX_CHARS_PER_PAGE)
        pages[n - 1] = ""
    return PdfText(strip_running_lines(pages), outline, oversized)


def _read_locked(path: Path | str) -> tuple[list[str], list[OutlineEntry]]:
    pdf = open_pdf(path)
    try:
        pages: list[str] = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            try:
                pages.append(textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n"))
            finally:
                textpage.close()
                page.close()
        outline = [
            OutlineEntry(item.get_title().strip(), item.get_dest().get_index() + 1, item.level)
            for item in pdf.get_toc()
            if item.get_dest() is not None and item.get_dest().get_index() is not None
        ]
    finally:
        pdf.close()
    return pages, outline
