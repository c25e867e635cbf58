"""How many bytes a PDF stream decodes to through its whole filter chain, counted without keeping them.

A flate bomb need not start with a compressible block, and need not be Flate alone: ``[/ASCIIHexDecode
/FlateDecode]`` hides the deflate data from a probe that inflates raw bytes, and LZW or RunLength
expand on their own. So the size is measured on the decoded output of the *whole* chain, streaming:
each stage is a generator of bounded chunks, and the count stops as soon as it passes its cap, so the
memory used is a few chunks and the work is bounded by the cap, whatever the stream holds.

Every decoder here is a loop over its input (no recursion) and stops at its own end-of-data marker
(zlib's end, ``>``, ``~>``, RunLength's 128, LZW's 257) or at the first byte it cannot decode: the
stream's ``/Length`` is not trusted.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterable, Iterator

#: Output chunks of every stage stay under this (a stage never holds more than a chunk or two).
CHUNK = 1 << 16

_ABBREVIATIONS = {
    "Fl": "FlateDecode",
    "AHx": "ASCIIHexDecode",
    "A85": "ASCII85Decode",
    "LZW": "LZWDecode",
    "RL": "RunLengthDecode",
}
_FILTER = re.compile(rb"/Filter\s*(\[[^\[\]]{0,512}\]|/[A-Za-z0-9]{1,40})")
_NAME = re.compile(rb"/([A-Za-z0-9]{1,40})")
_WHITESPACE = b"\x00\t\n\x0c\r "


def stream_filters(stream_dict: bytes) -> list[str]:
    """The filter names of a stream dictionary's ``/Filter`` (a name or an array), abbreviations
    spelled out; ``[]`` when there is none (or it is an indirect reference, not followed here)."""
    m = _FILTER.search(stream_dict)
    if not m:
        return []
    return [full_name(n.decode()) for n in _NAME.findall(m.group(1))]


def full_name(name: str) -> str:
    """``Fl`` → ``FlateDecode``: a filter's name, abbreviations (allowed in inline images, and
    accepted by readers everywhere) spelled out."""
    return _ABBREVIATIONS.get(name, name)


def _flate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    d = zlib.decompressobj()
    try:
        for chunk in chunks:
            buf = chunk
            while buf:
                out = d.decompress(buf, CHUNK)
                if out:
                    yield out
                if d.eof:
                    return
                buf = d.unconsumed_tail
    except zlib.error:
        return


def _ascii_hex(chunks: Iterable[bytes]) -> Iterator[bytes]:
    odd = b""
    for chunk in chunks:
        end = chunk.find(b">")
        data = odd + (chunk if end < 0 else chunk[:end]).translate(None, _WHITESPACE)
        keep = len(data) - len(data) % 2
        try:
            out = binascii.unhexlify(data[:keep])
        except (binascii.Error, ValueError):
            return
        odd = data[keep:]
        if out:
            yield out
        if end >= 0:
            if odd:
                yield binascii.unhexlify(odd + b"0")
            return


def _ascii85(chunks: Iterable[bytes]) -> Iterator[bytes]:
    buf = b""
    for chunk in chunks:
        end = chunk.find(b"~>")
        buf += (chunk if end < 0 else chunk[:end]).translate(None, _WHITESPACE)
        if buf.startswith(b"<~"):
            buf = buf[2:]
        cut = 0
        while cut < len(buf):  # complete groups only: 'z' is one character, any other group five
            step = 1 if buf[cut] == 0x7A else 5
            if cut + step > len(buf):
                break
            cut += step
        if end >= 0:
            cut = len(buf)
        try:
            out = base64.a85decode(buf[:cut])
        except ValueError:
            return
        buf = buf[cut:]
        if out:
            yield out
        if end >= 0:
            return


def _run_length(chunks: Iterable[bytes]) -> Iterator[bytes]:
    pending = b""
    out = bytearray()
    for chunk in chunks:
        data = pending + chunk
        i = 0
        while i < len(data):
            n = data[i]
            if n == 128:
                if out:
                    yield bytes(out)
                return
            if n < 128:
                if i + 1 + n + 1 > len(data):
                    break
                out += data[i + 1 : i + 2 + n]
                i += n + 2
            else:
                if i + 1 >= len(data):
                    break
                out += data[i + 1 : i + 2] * (257 - n)
                i += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out.clear()
        pending = data[i:]
    if out:
        yield bytes(out)


def _lzw(chunks: Iterable[bytes], early_change: int = 1) -> Iterator[bytes]:
    table: list[bytes] = [bytes([i]) for i in range(256)] + [b"", b""]
    bits, width, acc = 0, 9, 0
    prev: bytes | None = None
    out = bytearray()
    for chunk in chunks:
        for byte in chunk:
            acc = (acc << 8) | byte
            bits += 8
            while bits >= width:
                bits -= width
                code = (acc >> bits) & ((1 << width) - 1)
                acc &= (1 << bits) - 1
                if code == 256:
                    table, width, prev = table[:258], 9, None
                    continue
                if code == 257:
                    if out:
                        yield bytes(out)
                    return
                if prev is None:
                    if code >= len(table):
                        return
                    entry = table[code]
                else:
                    if code < len(table):
                        entry = table[code]
                    elif code == len(table):
                        entry = prev + prev[:1]
                    else:
                        return
                    if len(table) < 4096:
                        table.append(prev + entry[:1])
                out += entry
                prev = entry
                size = len(table) + early_change
                width = 12 if size >= 2048 else 11 if size >= 1024 else 10 if size >= 512 else 9
                if len(out) >= CHUNK:
                    yield bytes(out)
                    out.clear()
    if out:
        yield bytes(out)


DECODERS = {
    "FlateDecode": _flate,
    "ASCIIHexDecode": _ascii_hex,
    "ASCII85Decode": _ascii85,
    "LZWDecode": _lzw,
    "RunLengthDecode": _run_length,
}


def _pieces(data: bytes | memoryview) -> Iterator[bytes]:
    view = memoryview(data)
    for i in range(0, len(view), CHUNK):  # small pieces: most streams end within the first one
        yield bytes(view[i : i + CHUNK])


def decoded_size(raw: bytes | memoryview, filters: list[str], cap: int) -> int:
    """Bytes ``raw`` decodes to through ``filters`` (applied in order), counted up to just past
    ``cap``. A filter this module does not decode (an image codec, Crypt) ends the chain: what
    reaches it is counted as its size, since no text or table engine decodes image data."""
    stage: Iterable[bytes] = _pieces(raw)
    for name in filters:
        decoder = DECODERS.get(name)
        if decoder is None:
            break
        stage = decoder(stage)
    n = 0
    for chunk in stage:
        n += len(chunk)
        if n > cap:
            break
    return n
