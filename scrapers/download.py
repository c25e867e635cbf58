"""Resumable, verified, atomic downloads of announcement PDFs.

* the file name is built from validated parts only: a six-digit code (else a hash), the date, the
  title made safe, and the id (hashed when unsafe or long); the path must lie inside the PDF folder;
* bytes stream into ``<name>.<version>.part`` (one per document and URL), under a per-document file
  lock so two processes never write the same file; an interrupted download resumes with ``Range``
  and ``If-Range`` (the validator saved beside the part), so a part of an older version restarts;
  a 416 on a complete part is finished by verification;
* the body is capped (``max_pdf_bytes``, decompressed bytes counted) and has a total deadline
  derived from its size (``download_min_rate_bps``, with a floor), so a slow or endless server
  cannot hold a run; connection drops are :class:`~core.errors.TransientHTTPError` (retried);
* the result must start with ``%PDF-``, end with ``%%EOF`` and match ``Content-Length``: an HTML
  page saved as ``.pdf`` or a truncated body raises :class:`~core.errors.InvalidPDFError`, and the
  first bytes of the rejected body are kept under ``rejected/`` for inspection;
* sha256 is recorded; the file appears under its final name only by ``os.replace``;
* the manifest makes reruns skip finished documents whose bytes still have their sha256.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import stat
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import requests

from core import cancel, urls
from core.errors import DeadlineExceededError, DownloadError, InvalidPDFError, TransientHTTPError
from core.manifest import Manifest
from core.records import Announcement, Document
from core.settings import Settings
from scrapers.http import NETWORK_ERRORS, HttpClient

log = logging.getLogger(__name__)

CHUNK = 1 << 16
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


#: Kept of a rejected body, for inspection (the rest is not written).
REJECTED_KEEP = 64 * 1024
#: Requests one download may make: a resume plus one restart (a 416, a server that resumed at the
#: wrong byte or with another validator). A server that answers 416 to everything stops here.
MAX_ATTEMPTS = 3
_DIGITS = re.compile(r"[0-9]{1,15}")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def safe_filename(ann: Announcement, max_bytes: int = 150) -> str:
    """``{code}_{date}_{title}_{id}.pdf`` from validated parts only: a code that is not six digits
    and an id that is not plain ``[A-Za-z0-9_-]`` (or is long) are replaced by a hash of
    themselves, so ``../../x``, ``/abs/x``, ``a/b`` and ``a:b`` never become paths and never share
    a name; the title is made safe (``/``, ``..``, ``:``, control characters) and shortened to fit
    ``max_bytes``."""
    title = unicodedata.normalize("NFKC", ann.title)
    title = _UNSAFE.sub("_", title).replace("..", "_").strip(" ._") or "untitled"
    raw_id = ann.announcement_id
    ident = raw_id if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", raw_id) else "h" + _short_hash(raw_id)
    code = ann.sec_code if re.fullmatch(r"[0-9]{6}", ann.sec_code) else "x" + _short_hash(ann.sec_code)
    prefix = f"{code}_{ann.published:%Y%m%d}_"
    suffix = f"_{ident}.pdf"
    budget = max_bytes - len((prefix + suffix).encode())
    while len(title.encode()) > budget and title:
        title = title[:-1]
    return prefix + title + suffix


def part_name(ann: Announcement) -> str:
    """The partial file of one document and URL: two documents (or two versions) never share one."""
    return f"{safe_filename(ann)}.{_short_hash(ann.key + (ann.pdf_url or ''))}.part"


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
        """Download ``ann``'s PDF, or return the manifest's Document when it is already here. A file
        system error (disk full, a folder planted at a file's name, permissions) is a DownloadError."""
        try:
            return self._fetch(ann)
        except OSError as exc:
            raise DownloadError(f"{ann.key}: cannot write the download: {type(exc).__name__}: {exc}") from exc

    def _fetch(self, ann: Announcement) -> Document:
        if not ann.pdf_url:
            raise DownloadError(f"{ann.key}: announcement has no attachment URL yet")
        known = self.manifest.get_document(ann.key)
        if known and Path(known.path).is_file():
            if sha256_file(Path(known.path)) == known.sha256:
                log.info("skip %s: already downloaded (%s)", ann.key, known.sha256[:12])
                return known
            log.warning("%s: %s changed on disk since it was downloaded; downloading again", ann.key, known.path)

        dest = self.dir / safe_filename(ann)
        if not dest.resolve().is_relative_to(self.dir.resolve()):
            raise DownloadError(f"{ann.key}: refusing a file name outside the data folder: {dest}")
        part = dest.with_name(part_name(ann))
        with _locked(part.with_name(part.name + ".lock")):
            _refuse_links(part)
            expected = self._download(ann.pdf_url, part)
            try:
                verify_pdf_file(part, expected)
            except InvalidPDFError as exc:
                kept = self._reject(part, dest)
                raise InvalidPDFError(f"{ann.key} ({ann.pdf_url}): {exc}; first bytes kept at {kept}") from exc
            digest = sha256_file(part)
            same = self.manifest.find_by_sha(digest)
            if same and Path(same.path).is_file() and sha256_file(Path(same.path)) == digest:
                part.unlink()
                dest = Path(same.path)
                log.info("%s has the same content as %s; reusing %s", ann.key, same.key, dest.name)
            else:
                with open(part, "rb+") as f:
                    os.fsync(f.fileno())
                os.replace(part, dest)
            _meta(part).unlink(missing_ok=True)
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

    def _reject(self, part: Path, dest: Path) -> Path:
        """Keep the first bytes of a rejected body for inspection; drop the rest."""
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        kept = self.rejected_dir / (dest.name + ".rejected")
        kept.unlink(missing_ok=True)  # never written through a link planted at its name
        with open(part, "rb") as src, open(kept, "xb") as out:
            out.write(src.read(REJECTED_KEEP))
        part.unlink(missing_ok=True)
        _meta(part).unlink(missing_ok=True)
        return kept

    def _download(self, url: str, part: Path) -> int | None:
        """Stream ``url`` into ``part``, resuming what is there. Returns the expected total size.

        A loop of at most :data:`MAX_ATTEMPTS` requests (never a recursion): a restart drops the part
        and asks again for the whole file."""
        for _ in range(MAX_ATTEMPTS):
            done, expected = self._attempt(url, part)
            if done:
                return expected
            _drop(part)
        raise DownloadError(
            f"{url}: no usable answer after {MAX_ATTEMPTS} requests (416 or a resume at the wrong byte)"
        )

    def _attempt(self, url: str, part: Path) -> tuple[bool, int | None]:
        """One request: (True, expected size) when the part is complete, (False, None) to restart."""
        have = part.stat().st_size if part.exists() else 0
        meta = _read_meta(part)
        headers = {"Accept": "application/pdf,*/*"}
        referer = urls.referer_for_pdf(self.settings, url)
        if referer:  # bse.cn / neeq.com.cn serve a PDF to a browser that comes from their page
            headers["Referer"] = referer
        if have:
            headers["Range"] = f"bytes={have}-"
            validator = meta.get("etag") or meta.get("last_modified")
            if isinstance(validator, str) and validator:
                headers["If-Range"] = validator  # a changed file comes back whole (200), not spliced
        resp = self.http.request("GET", url, stream=True, headers=headers, ok_statuses={416})
        with resp:
            total = _content_range_total(resp.headers.get("Content-Range"))
            if resp.status_code == 416:
                if have and total == have:
                    log.info("%s: the part is already complete (%d bytes); verifying it", url, have)
                    return True, have
                log.warning("%s: 416 for a part of %d bytes (server has %s); restarting", url, have, total)
                return False, None
            if resp.status_code == 206 and have:
                start = _content_range_start(resp.headers.get("Content-Range"))
                if start != have or (meta.get("total") and total != meta.get("total")):
                    log.warning(
                        "server resumed at %s of %s, not %d of %s; restarting %s",
                        start,
                        total,
                        have,
                        meta.get("total"),
                        url,
                    )
                    return False, None
                if not _same_version(meta, resp):
                    # a server that ignores If-Range but sends the new file's validator with its 206
                    log.warning("%s: the 206 names another version (ETag/Last-Modified changed); restarting", url)
                    return False, None
                mode = "ab"
                log.info("resuming %s at byte %d", url, have)
            else:
                mode, have = "wb", 0
            length = resp.headers.get("Content-Length")
            expected = have + int(length) if length and _DIGITS.fullmatch(length) else None
            if resp.headers.get("Content-Encoding"):
                expected = None  # length is of the compressed body
            cap = self.settings.max_pdf_bytes
            if expected is not None and expected > cap:
                raise DownloadError(f"{url}: {expected} bytes announced, over the {cap}-byte limit (max_pdf_bytes)")
            _write_meta(part, resp, expected)
            deadline = time.monotonic() + max(
                self.settings.download_floor_s, (expected or cap) / self.settings.download_min_rate_bps
            )
            written = have
            with _open_part(part, mode) as f:
                for chunk in _chunks(resp, url):
                    cancel.check(f"downloading {url} ({written} bytes kept for resuming)")
                    written += len(chunk)
                    if written > cap:
                        f.close()
                        _drop(part)
                        raise DownloadError(f"{url}: body over the {cap}-byte limit (max_pdf_bytes); stopped")
                    if time.monotonic() > deadline:
                        raise DeadlineExceededError(
                            f"{url}: download past its deadline ({written} bytes so far; "
                            f"download_min_rate_bps={self.settings.download_min_rate_bps})"
                        )
                    f.write(chunk)
        return True, expected


def _drop(part: Path) -> None:
    part.unlink(missing_ok=True)
    _meta(part).unlink(missing_ok=True)


def _same_version(meta: dict[str, object], resp: requests.Response) -> bool:
    """Whether a 206 comes from the version the part was started on: its ETag (else Last-Modified),
    when both the saved meta and the answer carry one, must be the same."""
    for saved_key, header in (("etag", "ETag"), ("last_modified", "Last-Modified")):
        saved, now = meta.get(saved_key), resp.headers.get(header)
        if saved and now:
            return saved == now
        if saved and not now and saved_key == "etag":
            return False  # the part's validator is not confirmed: never splice on a guess
    return True


def _refuse_links(part: Path) -> None:
    """A ``.part`` (or its meta) that is a symlink or not a regular file is removed, never written
    through: a link planted there would send the download into any file the user can write."""
    for p in (part, _meta(part)):
        try:
            st = p.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            raise DownloadError(f"{p.name}: a folder is in the way of the part file; not removed")
        if not stat.S_ISREG(st.st_mode):
            log.warning("%s is not a regular file (a link?); removed, not written through", p)
            p.unlink()


def _open_part(part: Path, mode: str) -> BinaryIO:
    """``part`` for writing (``wb``) or appending (``ab``), opened with O_NOFOLLOW: a symlink planted
    between the check and the open fails the open instead of being followed."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= os.O_APPEND if mode == "ab" else os.O_TRUNC
    try:
        fd = os.open(part, flags, 0o644)
    except OSError as exc:
        raise DownloadError(f"{part.name}: cannot open the part file ({exc})") from exc
    return os.fdopen(fd, "ab" if mode == "ab" else "wb")


def _chunks(resp: requests.Response, url: str) -> Iterator[bytes]:
    """What the server sends, as it arrives (``read1``: no waiting for a full buffer, so a
    one-byte-a-second server is seen by the deadline check), decompressed, drops made transient."""
    raw = resp.raw
    try:
        while True:
            chunk = raw.read1(CHUNK, decode_content=True) if hasattr(raw, "read1") else raw.read(CHUNK)
            if not chunk:
                return
            yield chunk
    except NETWORK_ERRORS as exc:
        raise TransientHTTPError(f"connection dropped mid-download: {type(exc).__name__}: {exc}", url=url) from exc


def _meta(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _read_meta(part: Path) -> dict[str, object]:
    try:
        data = json.loads(_meta(part).read_text("utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_meta(part: Path, resp: requests.Response, expected: int | None) -> None:
    meta = {
        "etag": resp.headers.get("ETag"),
        "last_modified": resp.headers.get("Last-Modified"),
        "total": _content_range_total(resp.headers.get("Content-Range")) or expected,
    }
    _meta(part).unlink(missing_ok=True)  # never written through a link planted at its name
    _meta(part).write_text(json.dumps(meta), "utf-8")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock per document: a second process waits instead of writing the same part."""
    while True:
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                if not _same_file(path, handle.fileno()):
                    continue  # its holder removed the lock file meanwhile: lock the new one
                try:
                    yield
                finally:
                    path.unlink(missing_ok=True)  # removed while still held: no .part.lock is left behind
                return
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _same_file(path: Path, fd: int) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    fst = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (fst.st_dev, fst.st_ino)


def _content_range_total(value: str | None) -> int | None:
    m = re.fullmatch(r"bytes [^/]{0,64}/([0-9]{1,15})", (value or "").strip())
    return int(m.group(1)) if m else None


def _content_range_start(value: str | None) -> int | None:
    m = re.match(r"bytes ([0-9]{1,15})-", value or "")
    return int(m.group(1)) if m else None
