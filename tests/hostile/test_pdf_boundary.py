"""Hostile and broken PDFs through the PDF layer: each is contained (its trap page skipped, the rest read)
or fails as a :class:`~core.errors.PDFError`, within 400 MB of peak memory, and never stops a folder.

The files come from :mod:`tests.hostile.pdfs`; each runs in a fresh interpreter, whose peak resident
memory (VmHWM) is the figure checked.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pdfplumber
import pypdfium2 as pdfium
import pytest
from pdfminer.pdfparser import PDFSyntaxError
from pdfminer.psexceptions import PSEOF
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

from core.errors import PDFError
from tests.conftest import PDF
from tests.hostile.pdfs import HOSTILE

GOOD = PDF / "prospectus" / "001282_sanlian_forging_prospectus_section_p28-42.pdf"
#: The peak resident memory a worker may reach on any hostile PDF (the issue's bound).
PEAK_MB = 400

_PROBE = """
import json, sys
from core.errors import PDFError
from extractors.document import extract_document
from extractors.tables import extract_fragments
out = {}
try:
    ex = extract_document(sys.argv[1], "k")
    out.update(pages=ex.pages, warnings=list(ex.warnings), ordinary="ordinary page" in ex.lead_text)
except PDFError as exc:
    out.update(error=type(exc).__name__, message=str(exc))
try:  # pdfplumber on every page the text pass did not refuse: what the table pass does on target pages
    from extractors.pdftext import read_text

    skipped = read_text(sys.argv[1], require_text=False).skipped
    extract_fragments(sys.argv[1], [p for p in (1, 2) if p not in skipped])
except PDFError as exc:
    out.update(tables_error=type(exc).__name__)
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
out["peak_mb"] = int(hwm) // 1024
print(json.dumps(out))
"""


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_pdf_is_contained_or_a_pdf_error_under_400_mb(name: str, tmp_path: Path) -> None:
    path = HOSTILE[name](tmp_path / f"{name}.pdf")
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["peak_mb"] < PEAK_MB, out
    assert "error" in out or (out["pages"] == 2 and out["ordinary"]), out


def test_every_bomb_kind_is_found_by_the_probe(tmp_path: Path) -> None:
    # an incompressible first block, a hex or base-85 wrapper, RunLength alone: the old 4 KiB
    # FlateDecode probe saw none of them
    from extractors.pdftext import looks_like_a_bomb

    bombs = ["flate_bomb_incompressible_start", "flate_bomb_hex_chain", "flate_bomb_a85_chain", "run_length_bomb"]
    for name in bombs:
        assert looks_like_a_bomb(HOSTILE[name](tmp_path / f"{name}.pdf", 40).read_bytes()), name
    assert not looks_like_a_bomb(GOOD.read_bytes())


def test_extract_on_a_folder_of_hostile_pdfs_keeps_the_good_one(tmp_path: Path) -> None:
    # `flows extract FOLDER` stopped at the first file that raised a raw library exception
    from openpyxl import load_workbook

    from flows.local import extract_files
    from tests.conftest import make_settings

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("lying_page_count", "deep_reference_chain", "damaged_content_stream", "broken_xref"):
        HOSTILE[name](folder / f"{name}.pdf")
    (folder / "zz_good.pdf").write_bytes(GOOD.read_bytes())
    (folder / "not_a_pdf.pdf").write_bytes(b"<html>an error page saved as .pdf</html>")
    s = make_settings(tmp_path)
    book = extract_files([folder], tmp_path / "out", [], s).path
    assert book is not None and book.is_file()
    wb = load_workbook(book, read_only=True)
    info = "\n".join(str(c) for row in wb["Run info"].iter_rows(values_only=True) for c in row if c)
    assert "not_a_pdf.pdf" in info and "PDFError" in info
    assert any("001282" in str(c) for row in wb[wb.sheetnames[0]].iter_rows(values_only=True) for c in row) or (
        "zz_good" in info
    )


# --- the sweep: what the PDF libraries raise, at each call ------------------------------------------

PDF_EXCEPTIONS: list[BaseException] = [
    pdfium.PdfiumError("Failed to load page."),
    PDFSyntaxError("No /Root object! - Is this really a PDF?"),
    PSEOF("Unexpected EOF"),
    PdfminerException("damaged content stream"),
    MalformedPDFException("maximum recursion depth exceeded"),
    RecursionError("maximum recursion depth exceeded"),
    KeyError("Length"),
    TypeError("'PDFObjRef' object is not subscriptable"),
    ValueError("could not convert string to float"),
    IndexError("list index out of range"),
    AttributeError("'NoneType' object has no attribute 'get'"),
    AssertionError("bad xref"),
    ZeroDivisionError("division by zero"),
    OverflowError("cannot convert float infinity to integer"),
    struct.error("unpack requires a buffer of 4 bytes"),
    zlib.error("Error -3 while decompressing data"),
    UnicodeDecodeError("utf-16be", b"\xd8", 0, 1, "truncated data"),
    EOFError("Unexpected EOF"),
    NotImplementedError("unsupported filter"),
    MemoryError(),
]


def _raise(exc: BaseException) -> Any:
    def boom(*_a: Any, **_k: Any) -> Any:
        raise exc

    return boom


@pytest.mark.parametrize("exc", PDF_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_pdfium_exception_escapes_the_text_pass(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors.pdftext import read_text

    monkeypatch.setattr(pdfium.PdfDocument, "__getitem__", _raise(exc))  # every page load fails
    with pytest.raises(PDFError, match=type(exc).__name__):
        read_text(GOOD)


@pytest.mark.parametrize("exc", PDF_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_outline_exception_escapes_the_text_pass(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors.pdftext import read_text

    monkeypatch.setattr(pdfium.PdfDocument, "get_toc", _raise(exc))
    text = read_text(GOOD)
    assert text.page_count > 0 and text.outline == []


@pytest.mark.parametrize("exc", PDF_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_pdfplumber_page_exception_escapes_the_table_pass(
    exc: BaseException, monkeypatch: pytest.MonkeyPatch
) -> None:
    from extractors.tables import extract_fragments

    monkeypatch.setattr(pdfplumber.page.Page, "crop", _raise(exc))
    warnings: list[str] = []
    assert extract_fragments(GOOD, [1, 2], warnings) == []
    assert len(warnings) == 2 and all(type(exc).__name__ in w for w in warnings)


@pytest.mark.parametrize("exc", PDF_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_pdfplumber_open_exception_escapes(exc: BaseException, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors.tables import extract_fragments

    monkeypatch.setattr(pdfplumber, "open", _raise(exc))
    with pytest.raises(PDFError):
        extract_fragments(GOOD, [1])
