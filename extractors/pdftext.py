"""The fast pass: pypdfium2 text of every page plus the outline (bookmarks).

Encrypted PDFs raise :class:`EncryptedPDFError`; PDFs with no text layer raise
:class:`ScannedPDFError`. A broken file raises :class:`PDFError`. Nothing here crashes on bad input.
"""

from __future__ import annotations

import logging
import re
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

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
#: More drawing objects than this on one page (the busiest real prospectus page here has ~17,000):
#: pdfplumber would hold each as a Python object, gigabytes for a flate bomb. Skipped with a warning.
MAX_OBJECTS_PER_PAGE = 200_000
#: A page whose content streams inflate past this (the largest real page here: 0.9 MB) is never
#: handed to PDFium or pdfplumber, both of which parse the whole stream into objects.
MAX_CONTENT_BYTES_PER_PAGE = 32 << 20
#: A stream whose first 4 KiB inflate past 1 MiB (a ratio over 256; real pages here stay under 160)
#: makes the whole file's content streams measured page by page before PDFium opens any page.
_PROBE_IN, _PROBE_OUT = 4096, 1 << 20
_STREAM = re.compile(rb"stream\r?\n")


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
    #: pages no table engine may read, with why: a content stream inflating past the cap, too many
    #: drawing objects, more than MAX_CHARS_PER_PAGE characters (that page's text is blanked too)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def skipped(self) -> set[int]:
        """Pages no table engine may read."""
        return {n for n, _ in self.refused}

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


def _inflated_size(raw: bytes, cap: int) -> int:
    """Bytes a FlateDecode stream inflates to, counted in 1 MiB steps and stopped past ``cap``."""
    d, n, buf = zlib.decompressobj(), 0, raw
    try:
        while buf and n <= cap:
            n += len(d.decompress(buf, 1 << 20))
            buf = d.unconsumed_tail
    except zlib.error:
        pass
    return n


def looks_like_a_bomb(data: bytes) -> bool:
    """Whether any stream of the file inflates at a ratio no real page content reaches (cheap: a
    4 KiB probe per stream, a few ms for a 600-page prospectus)."""
    for m in _STREAM.finditer(data):
        try:
            out = zlib.decompressobj().decompress(data[m.end() : m.end() + _PROBE_IN], _PROBE_OUT + 1)
        except zlib.error:
            continue
        if len(out) > _PROBE_OUT:
            return True
    return False


def oversized_contents(path: Path | str, cap: int = MAX_CONTENT_BYTES_PER_PAGE) -> dict[int, int]:
    """Page → inflated content bytes, for pages past ``cap``, measured without parsing any content."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream, resolve1

    out: dict[int, int] = {}
    try:
        with open(path, "rb") as fh:
            for number, page in enumerate(PDFPage.create_pages(PDFDocument(PDFParser(fh))), start=1):
                total = 0
                for ref in page.contents:
                    stream = resolve1(ref)
                    if not isinstance(stream, PDFStream):
                        continue
                    raw = stream.get_rawdata() or b""
                    flate = any(getattr(f, "name", f) == "FlateDecode" for f, _ in stream.get_filters())
                    total += _inflated_size(raw, cap - total) if flate else len(raw)
                    if total > cap:
                        out[number] = total
                        break
    except Exception as exc:  # pdfminer raises several unrelated types for bad files
        log.warning("%s: cannot measure the page contents (%s); no page skipped", Path(path).name, exc)
    return out


def read_text(path: Path | str, *, require_text: bool = True) -> PdfText:
    refused: list[tuple[int, str]] = []
    try:
        bomb = looks_like_a_bomb(Path(path).read_bytes())
    except OSError as exc:
        raise PDFError(f"{Path(path).name}: cannot read the file ({exc})") from exc
    if bomb:
        for n, size in sorted(oversized_contents(path).items()):
            refused.append((n, f"content inflates past {MAX_CONTENT_BYTES_PER_PAGE >> 20} MiB ({size >> 20} MiB read)"))
    with PDFIUM_LOCK:
        pages, outline, crowded = _read_locked(path, skip={n for n, _ in refused})
    refused += [(n, f"{count} drawing objects, over {MAX_OBJECTS_PER_PAGE}") for n, count in crowded]
    if require_text and pages:
        chars = sum(len(p.strip()) for p in pages)
        if chars < MIN_CHARS_PER_PAGE * len(pages):
            raise ScannedPDFError(
                f"{Path(path).name}: {chars} text characters on {len(pages)} pages; "
                "looks scanned (image-only), OCR is needed"
            )
    for n, page in enumerate(pages, start=1):
        if len(page) > MAX_CHARS_PER_PAGE:
            refused.append((n, f"{len(page)} characters, over the per-page limit"))
            pages[n - 1] = ""
    for n, why in refused:
        log.warning("%s: page %d: %s; skipped", Path(path).name, n, why)
    return PdfText(strip_running_lines(pages), outline, sorted(refused))


def _read_locked(path: Path | str, skip: set[int]) -> tuple[list[str], list[OutlineEntry], list[tuple[int, int]]]:
    """Page texts, the outline, and the pages with more than MAX_OBJECTS_PER_PAGE objects (their
    text is kept for locating; no table engine reads them)."""
    pdf = open_pdf(path)
    crowded: list[tuple[int, int]] = []
    try:
        pages: list[str] = []
        for i in range(len(pdf)):
            if i + 1 in skip:
                pages.append("")
                continue
            page = pdf[i]
            objects = pdfium_c.FPDFPage_CountObjects(page.raw)
            if objects > MAX_OBJECTS_PER_PAGE:
                crowded.append((i + 1, objects))
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
    return pages, outline, crowded
