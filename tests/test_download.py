"""Downloads: verified, atomic, resumable, idempotent; bad bodies rejected with nothing lost."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from core.errors import BlockedError, DownloadError, InvalidPDFError
from core.manifest import Manifest
from core.records import Announcement
from replay import Scripted
from scrapers.base import Query
from scrapers.cninfo import CninfoAdapter
from scrapers.download import REJECTED_KEEP, Downloader, part_name, safe_filename, verify_pdf_bytes
from scrapers.http import HttpClient
from tests.conftest import PDF, replay_settings

SOURCE = PDF / "prospectus" / "001282_sanlian_forging_prospectus_section_p28-42.pdf"


def first_announcement(replay, s):  # type: ignore[no-untyped-def]
    result = CninfoAdapter(HttpClient(s), s).search(Query(codes=("001282",), keyword="目标章节"))
    (ann,) = result.announcements
    return ann


def pdf_hits(replay) -> list:  # type: ignore[no-untyped-def]
    return [h for h in replay.hits if h[1].startswith("/finalpage/")]


def test_download_is_checksummed_and_rerun_skips_it(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    ann = first_announcement(replay, s)
    dl = Downloader(HttpClient(s), s, Manifest(s.manifest_path))
    doc = dl.fetch(ann)
    data = SOURCE.read_bytes()
    assert doc.sha256 == hashlib.sha256(data).hexdigest() and doc.size == len(data)
    assert Path(doc.path).read_bytes() == data and Path(doc.path).parent == s.pdf_dir
    assert not list(s.pdf_dir.glob("*.part"))
    again = Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(ann)
    assert again == doc and len(pdf_hits(replay)) == 1  # the rerun sent no request


def test_interrupted_download_resumes_with_range(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    ann = first_announcement(replay, s)
    data = SOURCE.read_bytes()
    part = s.pdf_dir / part_name(ann)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data[:500_000])  # what an interrupted run left behind
    doc = Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(ann)
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    (hit,) = pdf_hits(replay)
    assert hit[3]["Range"] == "bytes=500000-"  # only the missing tail was requested
    assert not part.exists()


def test_truncated_pdf_is_rejected_and_kept(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    ann = first_announcement(replay, s)
    path = "/" + ann.pdf_url.split("/", 3)[3]
    replay.script(path, Scripted(200, SOURCE.read_bytes()[:300_000], {"Content-Type": "application/pdf"}))
    with pytest.raises(InvalidPDFError, match="truncated"):
        Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(ann)
    assert not list(s.pdf_dir.glob("*.pdf"))  # nothing half-written under the final name
    (kept,) = (s.data_dir / "rejected").iterdir()
    assert kept.stat().st_size == REJECTED_KEEP  # the first bytes are kept for inspection, not the whole body
    assert Manifest(s.manifest_path).get_document(ann.key) is None


def test_html_saved_as_pdf_is_rejected(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    ann = first_announcement(replay, s)
    page = "<!DOCTYPE html><html><body>文件不存在或已被删除</body></html>".encode()
    replay.script("/" + ann.pdf_url.split("/", 3)[3], Scripted(200, page, {"Content-Type": "text/html"}))
    with pytest.raises(InvalidPDFError, match="HTML page, not a PDF"):
        Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(ann)


def test_403_on_download_is_a_block(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    ann = first_announcement(replay, s)
    replay.script("/" + ann.pdf_url.split("/", 3)[3], Scripted(403, b"<html>Forbidden</html>"))
    with pytest.raises(BlockedError):
        Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(ann)


def test_announcement_without_attachment_is_a_clear_error(settings) -> None:  # type: ignore[no-untyped-def]
    ann = Announcement(
        source="cninfo",
        announcement_id="1",
        sec_code="000001",
        sec_name="平安银行",
        title="通知",
        published=dt.date(2026, 8, 6),
        pdf_url=None,
    )
    with pytest.raises(DownloadError, match="no attachment"):
        Downloader(HttpClient(settings), settings, Manifest(settings.manifest_path)).fetch(ann)


@pytest.mark.parametrize(
    "title",
    [
        "../../etc/passwd",
        "关于A/B股的公告",
        'a:b*c?"d<e>f|g\\h',
        "..",
        "\x00\x1f控制字符",
        "长" * 300,
    ],
)
def test_title_with_path_characters_gives_a_safe_file_name(title: str) -> None:
    ann = Announcement(
        source="cninfo",
        announcement_id="12/..",
        sec_code="000001",
        sec_name="x",
        title=title,
        published=dt.date(2026, 8, 6),
        pdf_url="http://x/a.pdf",
    )
    name = safe_filename(ann)
    assert "/" not in name and "\\" not in name and ".." not in name and "\x00" not in name
    assert name.startswith("000001_20260806_") and name.endswith(".pdf")
    assert len(name.encode()) <= 150
    assert (Path("/tmp/pdfs") / name).resolve().parent == Path("/tmp/pdfs")


def test_pdf_magic_size_and_eof_checks() -> None:
    verify_pdf_bytes(b"%PDF-1.7\n", b"...%%EOF\n", 100, 100)
    with pytest.raises(InvalidPDFError, match="size"):
        verify_pdf_bytes(b"%PDF-1.7\n", b"%%EOF", 99, 100)
    with pytest.raises(InvalidPDFError, match="magic"):
        verify_pdf_bytes(b"PK\x03\x04", b"%%EOF", 100)
    with pytest.raises(InvalidPDFError, match="empty"):
        verify_pdf_bytes(b"", b"", 0)
