"""A generator of hostile PDFs, written object by object so each trap is exactly the one named.

Every file has an ordinary text page (its text: :data:`GOOD_TEXT`) besides its trap, so a test can
tell "the trap was contained" from "the file was dropped".
"""

from __future__ import annotations

import base64
import binascii
import os
import zlib
from pathlib import Path

GOOD_TEXT = b"Patent list on the ordinary page. " * 8
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def text_stream(text: bytes = GOOD_TEXT) -> bytes:
    return b"BT /F1 6 Tf 20 712 Td (" + text + b") Tj ET"


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def build(objs: list[bytes], root: int = 1, xref: bool = True) -> bytes:
    """A PDF of ``objs`` (object 1 is ``objs[0]``) with a correct cross-reference table."""
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, root, start)
    return out


def two_pages(trap_contents: bytes, *, trap_page: bytes = b"", more: list[bytes] | None = None) -> bytes:
    """Page 1 draws ``trap_contents`` (object 4); page 2 is the ordinary text page."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 7 0 R >> >> " + trap_page + b">>",
        trap_contents,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R"
        b" /Resources << /Font << /F1 7 0 R >> >> >>",
        stream(text_stream()),
        _FONT,
        *(more or []),
    ]
    return build(objs)


def _operators(mb: int) -> bytes:
    return b"0 0 m 1 1 l S\n" * (mb * 1_000_000 // 14)


def _deflate(data: bytes) -> bytes:
    z = zlib.compressobj(9)
    step = 1 << 22
    return b"".join(z.compress(data[i : i + step]) for i in range(0, len(data), step)) + z.flush()


def flate_bomb_incompressible_start(path: Path, inflated_mb: int = 60) -> Path:
    """A Flate stream whose first 64 KiB are random (stored, ratio 1), then a bomb: a probe of the
    first 4 KiB saw nothing."""
    z = zlib.compressobj(9)
    data = z.compress(os.urandom(1 << 16)) + z.flush(zlib.Z_FULL_FLUSH)
    data += z.compress(_operators(inflated_mb)) + z.flush()
    path.write_bytes(two_pages(stream(data, b"/Filter /FlateDecode ")))
    return path


def flate_bomb_hex_chain(path: Path, inflated_mb: int = 60) -> Path:
    """``[/ASCIIHexDecode /FlateDecode]``: the raw bytes are hex digits, which zlib cannot inflate."""
    data = binascii.hexlify(_deflate(_operators(inflated_mb))) + b">"
    path.write_bytes(two_pages(stream(data, b"/Filter [/ASCIIHexDecode /FlateDecode] ")))
    return path


def flate_bomb_a85_chain(path: Path, inflated_mb: int = 60) -> Path:
    """``[/A85 /Fl]`` (abbreviated names) around a deflate bomb."""
    data = base64.a85encode(_deflate(_operators(inflated_mb))) + b"~>"
    path.write_bytes(two_pages(stream(data, b"/Filter [/A85 /Fl] ")))
    return path


def run_length_bomb(path: Path, inflated_mb: int = 60) -> Path:
    """RunLength alone: each two bytes repeat one byte 128 times (a 64 x expansion)."""
    one = b"\x81 "  # 257 - 0x81 = 128 spaces
    data = one * (inflated_mb * 1_000_000 // 128) + b"\x80"
    path.write_bytes(two_pages(stream(data, b"/Filter /RunLengthDecode ")))
    return path


def lying_page_count(path: Path) -> Path:
    """``/Count 1000`` over one real kid besides the text page."""
    pdf = two_pages(stream(text_stream(b"first page")))
    path.write_bytes(pdf.replace(b"/Count 2", b"/Count 1000"))
    return path


def deep_reference_chain(path: Path, depth: int = 5000) -> Path:
    """Page 1's /CropBox and /Annots are the first of ``depth`` objects, each only a reference to the
    next (pdfplumber resolves them recursively: a RecursionError inside MalformedPDFException)."""
    base = 8
    chain = [b"%d 0 R" % (base + i + 1) for i in range(depth)]
    chain.append(b"[0 0 595 842]")
    trap = b"/CropBox %d 0 R /Annots [%d 0 R] " % (base, base)
    path.write_bytes(two_pages(stream(text_stream(b"first page")), trap_page=trap, more=chain))
    return path


def deep_nested_arrays(path: Path, depth: int = 100_000) -> Path:
    """Page 1's /Resources holds an array nested ``depth`` deep."""
    trap = b"/Deep " + b"[" * depth + b"]" * depth + b" "
    path.write_bytes(two_pages(stream(text_stream(b"nested")), trap_page=trap))
    return path


def damaged_content_stream(path: Path) -> Path:
    """Page 1's Flate content stream: a valid header, then garbage."""
    data = _deflate(text_stream(b"damaged"))[:12] + os.urandom(400)
    path.write_bytes(two_pages(stream(data, b"/Filter /FlateDecode ")))
    return path


def broken_xref(path: Path) -> Path:
    """A file whose cross-reference table points at the wrong offsets."""
    pdf = two_pages(stream(text_stream(b"first page")))
    start = pdf.index(b"xref\n")
    body = pdf[start:].replace(b"0000000", b"0000099")  # every offset moved by 99 bytes
    path.write_bytes(pdf[:start] + body)
    return path


HOSTILE = {
    "flate_bomb_incompressible_start": flate_bomb_incompressible_start,
    "flate_bomb_hex_chain": flate_bomb_hex_chain,
    "flate_bomb_a85_chain": flate_bomb_a85_chain,
    "run_length_bomb": run_length_bomb,
    "lying_page_count": lying_page_count,
    "deep_reference_chain": deep_reference_chain,
    "deep_nested_arrays": deep_nested_arrays,
    "damaged_content_stream": damaged_content_stream,
    "broken_xref": broken_xref,
}
