"""The fast pass: pypdfium2 text of every page plus the outline (bookmarks).

Encrypted PDFs raise :class:`EncryptedPDFError`; PDFs with no text layer raise
:class:`ScannedPDFError`. A broken file raises :class:`PDFError`. Nothing here crashes on bad input.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pdfminer.pdfexceptions import PDFException
from pdfminer.psexceptions import PSException

from core.errors import EncryptedPDFError, PDFError, ScannedPDFError
from extractors.filters import decoded_size, full_name, stream_filters
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
#: A stream that decodes past ``max(1 MiB, 256 x its encoded size)`` (real pages here stay under a
#: ratio of 160) makes the whole file's page contents measured before PDFium opens any page.
_PROBE_OUT, _PROBE_RATIO = 1 << 20, 256
_STREAM = re.compile(rb"stream\r?\n")
_ENDSTREAM = re.compile(rb"endstream")
_IMAGE = re.compile(rb"/Subtype\s*/Image")
#: All streams of a file together decode to no more than this (or 64 x the file's size): past it,
#: the file is measured page by page like a bomb.
_PROBE_BUDGET = 256 << 20
#: How far before ``stream`` its dictionary is looked for.
_DICT_WINDOW = 4096


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


def _plumber_errors() -> tuple[type[BaseException], ...]:
    try:
        from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
    except ImportError:  # pragma: no cover - older pdfplumber
        return ()
    return (MalformedPDFException, PdfminerException)


#: What the PDF libraries raise on a broken or hostile file (docs/reliability.md lists where):
#: PDFium's ``PdfiumError`` (a page tree whose count lies, a page that fails to load); pdfminer's
#: ``PSException``/``PDFException`` family; pdfplumber's wrappers ``PdfminerException`` and
#: ``MalformedPDFException``; ``RecursionError`` from a deep chain of indirect references; and the
#: plain types pdfminer's object model raises on objects of the wrong type or length (``KeyError``,
#: ``TypeError``, ``ValueError``, ``IndexError``, ``AttributeError``, ``AssertionError``,
#: ``ZeroDivisionError``, ``OverflowError``, ``struct.error``, ``zlib.error``, ``UnicodeError``,
#: ``EOFError``, ``NotImplementedError``) and ``MemoryError``. Each becomes a :class:`PDFError`.
PDF_LIBRARY_ERRORS: tuple[type[BaseException], ...] = (
    pdfium.PdfiumError,
    PSException,
    PDFException,
    *_plumber_errors(),
    RecursionError,
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    AssertionError,
    ZeroDivisionError,
    OverflowError,
    struct.error,
    zlib.error,
    UnicodeError,
    EOFError,
    NotImplementedError,
    MemoryError,
    OSError,
)


def translate_pdf_error(path: Path | str, what: str, exc: BaseException) -> PDFError:
    """The :class:`PDFError` (or :class:`EncryptedPDFError`) for a library exception, cause kept."""
    name = type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    text = f"{name}: {str(exc)[:300]}"
    if cause is not None and not str(exc):
        text += f" ({type(cause).__name__}: {str(cause)[:200]})"
    if "password" in text.lower() or "Encrypt" in name or "Password" in name:
        return EncryptedPDFError(f"{Path(path).name}: {what}: the PDF is encrypted ({text})")
    return PDFError(f"{Path(path).name}: {what}: {text}")


@contextlib.contextmanager
def pdf_boundary(path: Path | str, what: str) -> Iterator[None]:
    """Every PDF-library call runs inside this: what the library raises leaves it as a PDFError."""
    try:
        yield
    except PDF_LIBRARY_ERRORS as exc:
        raise translate_pdf_error(path, what, exc) from exc


def open_pdf(path: Path | str) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise EncryptedPDFError(f"{Path(path).name}: the PDF is encrypted and needs a password") from exc
        raise PDFError(f"{Path(path).name}: pdfium cannot open the file ({exc})") from exc


def looks_like_a_bomb(data: bytes) -> bool:
    """Whether any stream of the file decodes, through its whole filter chain, past
    ``max(_PROBE_OUT, _PROBE_RATIO x its encoded size)``: a ratio no real page content reaches.

    Measured on the decoded output, so neither an incompressible first block nor a chain such as
    ``[/ASCIIHexDecode /FlateDecode]`` hides a bomb; image streams are not measured (no text or
    table engine decodes their data). Each stream's count stops at its threshold."""
    ends = [m.start() for m in _ENDSTREAM.finditer(data)]
    budget = max(_PROBE_BUDGET, _PROBE_RATIO * len(data) // 4)
    for m in _STREAM.finditer(data):
        if data[max(0, m.start() - 3) : m.start()] == b"end":
            continue
        head = data[max(0, m.start() - _DICT_WINDOW) : m.start()]
        head = head[head.rfind(b" obj") + 1 :] if b" obj" in head else head
        if _IMAGE.search(head):
            continue
        filters = stream_filters(head)
        if not filters:
            continue
        i = bisect.bisect_left(ends, m.end())
        encoded = (ends[i] if i < len(ends) else len(data)) - m.end()
        limit = min(max(_PROBE_OUT, _PROBE_RATIO * encoded), MAX_CONTENT_BYTES_PER_PAGE)
        size = decoded_size(memoryview(data)[m.end() :], filters, limit)
        budget -= size
        if size > limit or budget < 0:  # one stream, or all of them together, past any real file
            return True
    return False


def _filter_names(stream: object) -> list[str]:
    names: list[str] = []
    for f, _ in stream.get_filters():  # type: ignore[attr-defined]
        name = getattr(f, "name", f)
        names.append(full_name(name.decode() if isinstance(name, bytes) else str(name)))
    return names


#: Streams (contents and forms) measured per page at most.
MAX_STREAMS_PER_PAGE = 10_000


def _page_streams(page: object) -> Iterator[object]:
    """A page's content streams and the Form XObjects its resources reach (nested forms too),
    walked with an explicit stack and a visited set: a loop, bounded by the file's objects."""
    from pdfminer.pdftypes import PDFStream, resolve1

    stack: list[object] = list(getattr(page, "contents", None) or [])
    resources = resolve1(getattr(page, "resources", None))
    seen: set[int] = set()

    def forms(res: object) -> list[object]:
        res = resolve1(res)
        xobjects = resolve1(res.get("XObject")) if isinstance(res, dict) else None
        return list(xobjects.values()) if isinstance(xobjects, dict) else []

    stack += forms(resources)
    walked = 0
    while stack and walked < MAX_STREAMS_PER_PAGE:
        walked += 1
        obj = resolve1(stack.pop())
        if not isinstance(obj, PDFStream) or id(obj) in seen:
            continue
        seen.add(id(obj))
        subtype = resolve1(obj.get("Subtype"))
        if getattr(subtype, "name", None) == "Image":
            continue
        yield obj
        stack += forms(obj.get("Resources"))


def oversized_contents(path: Path | str, cap: int = MAX_CONTENT_BYTES_PER_PAGE) -> dict[int, int]:
    """Page → decoded content bytes (its content streams and the forms it draws, through each
    stream's whole filter chain), for pages past ``cap``, measured without parsing any content."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser

    out: dict[int, int] = {}
    try:
        with open(path, "rb") as fh:
            for number, page in enumerate(PDFPage.create_pages(PDFDocument(PDFParser(fh))), start=1):
                total = 0
                for stream in _page_streams(page):
                    raw = stream.get_rawdata() or b""  # type: ignore[attr-defined]
                    total += decoded_size(raw, _filter_names(stream), cap - total)
                    if total > cap:
                        out[number] = total
                        break
    except PDF_LIBRARY_ERRORS as exc:
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
        pages, outline, unusable = _read_locked(path, skip={n for n, _ in refused})
    refused += unusable
    unreadable = {n for n, why in unusable if why.startswith("unreadable")}
    loaded = len(pages) - len(unreadable)  # a page tree whose count lies: only the pages that load count
    if require_text and pages:
        chars = sum(len(p.strip()) for p in pages)
        if chars < MIN_CHARS_PER_PAGE * loaded:
            raise ScannedPDFError(
                f"{Path(path).name}: {chars} text characters on {loaded} pages; "
                "looks scanned (image-only), OCR is needed"
            )
    for n, page in enumerate(pages, start=1):
        if len(page) > MAX_CHARS_PER_PAGE:
            refused.append((n, f"{len(page)} characters, over the per-page limit"))
            pages[n - 1] = ""
    for n, why in refused:
        log.warning("%s: page %d: %s; skipped", Path(path).name, n, why)
    return PdfText(strip_running_lines(pages), outline, sorted(refused))


#: More pages than this is no prospectus (the longest here: ~700): a page tree whose count lies.
MAX_PAGES = 5000


def _read_locked(path: Path | str, skip: set[int]) -> tuple[list[str], list[OutlineEntry], list[tuple[int, str]]]:
    """Page texts, the outline, and the pages no table engine may read, with why: more than
    MAX_OBJECTS_PER_PAGE objects (their text is kept for locating) or a page PDFium cannot load
    (its text is blank). Every PDFium call is inside :func:`pdf_boundary`."""
    pdf = open_pdf(path)
    refused: list[tuple[int, str]] = []
    name = Path(path).name
    try:
        with pdf_boundary(path, "counting pages"):
            count = len(pdf)
        if count > MAX_PAGES:
            raise PDFError(f"{name}: {count} pages, over the {MAX_PAGES}-page limit (a page tree whose count lies?)")
        pages: list[str] = []
        for i in range(count):
            if i + 1 in skip:
                pages.append("")
                continue
            try:
                with pdf_boundary(path, f"page {i + 1}"):
                    pages.append(_page_text(pdf, i, refused))
            except PDFError as exc:
                refused.append((i + 1, f"unreadable ({exc})"))
                pages.append("")
        bad = {n for n, why in refused if why.startswith("unreadable")}
        if pages and len(pages) == len(bad):
            raise PDFError(f"{name}: no page can be loaded ({refused[0][1]})")
        last = max(n for n in range(1, len(pages) + 1) if n not in bad) if pages else 0
        if len(pages) - last > 1:  # a page tree whose count lies: the pages past the last real one
            log.warning(
                "%s: pages %d-%d of the %d declared cannot be loaded; read as %d pages",
                name,
                last + 1,
                len(pages),
                len(pages),
                last,
            )
            pages = pages[:last]
            refused = [(n, why) for n, why in refused if n <= last]
        try:
            with pdf_boundary(path, "reading the outline"):
                outline = _outline(pdf)
        except PDFError as exc:
            log.warning("%s; read without its outline", exc)
            outline = []
    finally:
        with contextlib.suppress(*PDF_LIBRARY_ERRORS):
            pdf.close()
    return pages, outline, refused


def _page_text(pdf: pdfium.PdfDocument, i: int, refused: list[tuple[int, str]]) -> str:
    page = pdf[i]
    try:
        objects = pdfium_c.FPDFPage_CountObjects(page.raw)
        if objects > MAX_OBJECTS_PER_PAGE:
            refused.append((i + 1, f"{objects} drawing objects, over {MAX_OBJECTS_PER_PAGE}"))
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range()).replace("\r\n", "\n").replace("\r", "\n")
        finally:
            textpage.close()
    finally:
        page.close()


#: Outline entries read at most (PDFium walks the bookmark tree itself and stops at cycles).
MAX_OUTLINE = 10_000


def _outline(pdf: pdfium.PdfDocument) -> list[OutlineEntry]:
    out: list[OutlineEntry] = []
    for n, item in enumerate(pdf.get_toc()):
        if n >= MAX_OUTLINE:
            break
        dest = item.get_dest()
        index = dest.get_index() if dest is not None else None
        if index is not None:
            out.append(OutlineEntry(item.get_title().strip(), index + 1, item.level))
    return out
