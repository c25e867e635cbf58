"""Resumable, verified, atomic downloads of announcement PDFs.

* bytes stream into ``<name>.pdf.part``; an interrupted download resumes with ``Range``;
* the result must start with ``%PDF-``, end with ``%%EOF`` and match ``Content-Length``: an HTML
  page saved as ``.pdf`` or a truncated body raises :class:`~core.errors.InvalidPDFError`, and the
  rejected bytes are kept under ``rejected/`` for inspection;
* sha256 is recorded; the file appears under its final name only by ``os.replace``;
* the manifest makes reruns skip finished documents (and identical content under another key).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import unicodedata
from pathlib import Path

from core.errors import DownloadError, InvalidPDFError
from core.manifest import Manifest
from core.records import Announcement, Document
from core.settings import Settings
from scrapers.http import HttpClient

log = logging.getLogger(__name__)

CHUNK = 1 << 16
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_filename(ann: Announcement, max_bytes: int = 150) -> str:
    """``{code}_{date}_{title}_{id}.pdf``, safe on Windows and POSIX whatever the title holds
    (``/``, ``..``, ``:``, control characters); the title is shortened to fit ``max_bytes``."""
    title = unicodedata.normalize("NFKC", ann.title)
    title = _UNSAFE.sub("_", title).replace("..", "_").strip(" ._") or "untitled"
    ident = _UNSAFE.sub("_", ann.announcement_id).replace("..", "_").strip(" ._")
    prefix = f"{ann.sec_code or 'na'}_{ann.published:%Y%m%d}_"
    suffix = f"_{ident}.pdf"
    budget = max_bytes - len((prefix + suffix).encode())
    while len(title.encode()) > budget and title:
        title = title[:-1]
    return prefix + title + suffix


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_pdf_bytes(head: bytes, tail: bytes, size: int, expected_size: int | None = None) -> None:
    """Raise InvalidPDFError unless the file looks like one complete PDF."""
    if size == 0:
        raise InvalidPDFError("empty file")
    stripped = head.lstrip(b"\xef\xbb\xbf\r\n\t ")
    if not stripped.startswith(b"%PDF-"):
        low = stripped[:512].lower()
        if low.startswith((b"<!doctype", b"<html", b"<head", b"<?xml", b"<script")) or b"<html" in low:
            raise InvalidPDFError("got an HTML page, not a PDF (error or firewall page saved as .pdf)")
        raise InvalidPDFError(f"missing %PDF magic; file starts with {stripped[:16]!r}")
    if expected_size is not None and size != expected_size:
        raise InvalidPDFError(f"size {size} does not match the announced {expected_size} bytes")
    if b"%%EOF" not in tail:
        raise InvalidPDFError(f"no %%EOF marker in the last {len(tail)} bytes: truncated download ({size} bytes)")


def verify_pdf_file(path: Path, expected_size: int | None = None) -> None:
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(1024)
        f.seek(max(0, size - 2048))
        tail = f.read()
    verify_pdf_bytes(head, tail, size, expected_size)


class Downloader:
    def __init__(self, http: HttpClient, settings: Settings, manifest: Manifest) -> None:
        self.http = http
        self.settings = settings
        self.manifest = manifest
        self.dir = settings.pdf_dir
        self.rejected_dir = settings.data_dir / "rejected"
        self.dir.mkdir(parents=True, exist_ok=True)

    def fetch(self, ann: Announcement) -> Document:
        """Download ``ann``'s PDF, or return the manifest's Document when it is already here."""
        if not ann.pdf_url:
            raise DownloadError(f"{ann.key}: announcement has no attachment URL yet")
        known = self.manifest.get_document(ann.key)
        if known and Path(known.path).is_file() and Path(known.path).stat().st_size == known.size:
            log.info("skip %s: already downloaded (%s)", ann.key, known.sha256[:12])
            return known

        dest = self.dir / safe_filename(ann)
        part = dest.with_name(dest.name + ".part")
        expected = self._download(ann.pdf_url, part)
        try:
            verify_pdf_file(part, expected)
        except InvalidPDFError as exc:
            self.rejected_dir.mkdir(parents=True, exist_ok=True)
            kept = self.rejected_dir / (dest.name + ".rejected")
            shutil.move(str(part), kept)
            raise InvalidPDFError(f"{ann.key} ({ann.pdf_url}): {exc}; bytes kept at {kept}") from exc

        digest = sha256_file(part)
        same = self.manifest.find_by_sha(digest)
        if same and Path(same.path).is_file():
            part.unlink()
            dest = Path(same.path)
            log.info("%s has the same content as %s; reusing %s", ann.key, same.key, dest.name)
        else:
            with open(part, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(part, dest)
        doc = Document(
            key=ann.key,
            sec_code=ann.sec_code,
            sec_name=ann.sec_name,
            title=ann.title,
            published=ann.published,
            url=ann.pdf_url,
            path=str(dest),
            sha256=digest,
            size=dest.stat().st_size,
        )
        self.manifest.put_document(doc)
        log.info("downloaded %s -> %s (%d bytes, sha256 %s)", ann.key, dest.name, doc.size, digest[:12])
        return doc

    def _download(self, url: str, part: Path) -> int | None:
        """Stream ``url`` into ``part``, resuming what is there. Returns the expected total size."""
        have = part.stat().st_size if part.exists() else 0
        headers = {"Accept": "application/pdf,*/*"}
        if have:
            headers["Range"] = f"bytes={have}-"
        resp = self.http.request("GET", url, stream=True, headers=headers, allow_redirects=True)
        with resp:
            if resp.status_code == 206 and have:
                start = _content_range_start(resp.headers.get("Content-Range"))
                if start != have:
                    log.warning("server resumed at %s, not %d; restarting %s", start, have, url)
                    return self._restart(url, part)
                mode = "ab"
                log.info("resuming %s at byte %d", url, have)
            else:
                mode, have = "wb", 0
            length = resp.headers.get("Content-Length")
            expected = have + int(length) if length and length.isdigit() else None
            if resp.headers.get("Content-Encoding"):
                expected = None  # length is of the compressed body
            with open(part, mode) as f:
                for chunk in resp.iter_content(CHUNK):
                    f.write(chunk)
        return expected

    def _restart(self, url: str, part: Path) -> int | None:
        part.unlink(missing_ok=True)
        return self._download(url, part)


def _content_range_start(value: str | None) -> int | None:
    m = re.match(r"bytes (\d+)-", value or "")
    return int(m.group(1)) if m else None
