"""Hostile input and faults through the real code paths, against a scriptable server on 127.0.0.1.

Each test is named after what it pins; limits are set small by settings so the suite stays fast.
"""

from __future__ import annotations

import copy
import datetime as dt
import fcntl
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from core.errors import (
    BlockedError,
    ConfigError,
    DeadlineExceededError,
    DownloadError,
    ExchangeResponseError,
    LLMError,
)
from core.manifest import Manifest
from core.records import Announcement
from scrapers.base import Query
from scrapers.cninfo import CninfoAdapter
from scrapers.download import Downloader, part_name, safe_filename
from scrapers.http import HttpClient
from tests.conftest import API, PDF, make_settings
from tests.hostile.server import HostileServer, gzip_bomb, send

PDF_BYTES = (PDF / "prospectus" / "001282_sanlian_forging_prospectus_section_p28-42.pdf").read_bytes()
OTHER_PDF = (PDF / "prospectus" / "920100_sanxie_motor_prospectus_keypages_annotated.pdf").read_bytes()
TEMPLATE = json.loads((API / "cninfo" / "hisAnnouncement_query_page_latest.json").read_text("utf-8"))


@pytest.fixture
def srv():  # type: ignore[no-untyped-def]
    with HostileServer() as server:
        yield server


def settings(srv: HostileServer, tmp_path: Path, **kw: Any) -> Any:
    return make_settings(tmp_path, **{**srv.overrides(), "max_retries": 0, **kw})


def row(**fields: Any) -> dict[str, Any]:
    r = copy.deepcopy(TEMPLATE["announcements"][0])
    r.update(
        secCode="001282",
        secName="三联锻造",
        announcementId="1216830304",
        announcementTitle="招股说明书",
        announcementTime=1684252800000,
        adjunctUrl="finalpage/2023-05-17/1216830304.PDF",
    )
    r.update(fields)
    return r


def page(rows: list[Any], total: int | None = None) -> bytes:
    body = dict(TEMPLATE, announcements=rows, totalAnnouncement=total or len(rows), totalRecordNum=total or len(rows))
    body.update(totalpages=1 if total is None else 1000, hasMore=total is not None)
    return json.dumps(body, ensure_ascii=False).encode()


def ann(srv: HostileServer, **fields: Any) -> Announcement:
    base: dict[str, Any] = dict(
        source="cninfo",
        announcement_id="1216830304",
        sec_code="001282",
        sec_name="三联锻造",
        title="招股说明书",
        published=dt.date(2023, 5, 17),
        pdf_url=srv.url + "/doc.pdf",
    )
    return Announcement(**{**base, **fields})


def serve_pdf(data: bytes, etag: str = '"v1"') -> Any:
    """A PDF endpoint with Range, If-Range and 416 as a real static server does them."""

    def handler(h: BaseHTTPRequestHandler, _: bytes) -> None:
        rng = h.headers.get("Range")
        if_range = h.headers.get("If-Range")
        if rng and (if_range is None or if_range == etag):
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                send(h, 416, b"", {"Content-Range": f"bytes */{len(data)}"})
                return
            send(h, 206, data[start:], {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}", "ETag": etag})
            return
        send(h, 200, data, {"ETag": etag, "Content-Type": "application/pdf"})

    return handler


def downloader(s: Any) -> Downloader:
    return Downloader(HttpClient(s), s, Manifest(s.manifest_path))


def pdf_requests(srv: HostileServer) -> int:
    return sum(1 for h in srv.hits if h[1] == "/doc.pdf")


# --- 1. nothing from a server becomes a path outside data/ ------------------------------------------


def test_rows_with_a_path_for_a_code_are_refused_and_recorded(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/new/hisAnnouncement/query"] = lambda h, _: send(
        h,
        200,
        page(
            [
                row(secCode="../../../../X", announcementId="1"),
                row(secCode="/some/dir/X", announcementId="2"),
                row(announcementId="3"),
            ]
        ),
    )
    s = settings(srv, tmp_path)
    result = CninfoAdapter(HttpClient(s), s).search(Query())
    assert [a.announcement_id for a in result.announcements] == ["3"]
    assert len(result.rejected) == 2 and all("six-digit" in why for why, _ in result.rejected)


@pytest.mark.parametrize("code", ["../../../../X", "/abs/dir/X", "..", "a/b"])
def test_a_hostile_code_never_leaves_the_pdf_folder(srv: HostileServer, tmp_path: Path, code: str) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    doc = downloader(s).fetch(ann(srv, sec_code=code))
    path = Path(doc.path).resolve()
    assert path.parent == s.pdf_dir.resolve() and path.read_bytes() == PDF_BYTES
    assert not list(tmp_path.parent.glob("X")) and not Path("/abs/dir/X").exists()


def test_ids_that_would_share_a_name_get_their_own_files(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    a = downloader(s).fetch(ann(srv, announcement_id="a/b"))
    b = downloader(s).fetch(ann(srv, announcement_id="a:b"))
    long_id = downloader(s).fetch(ann(srv, announcement_id="9" * 300))
    # both succeed (identical bytes are stored once), and their names and parts never collide
    assert Path(a.path).read_bytes() == Path(b.path).read_bytes() == PDF_BYTES and pdf_requests(srv) == 3
    assert safe_filename(ann(srv, announcement_id="a/b")) != safe_filename(ann(srv, announcement_id="a:b"))
    assert part_name(ann(srv, announcement_id="a/b")) != part_name(ann(srv, announcement_id="a:b"))
    assert len(Path(long_id.path).name.encode()) <= 160


# --- 3. a finished or stale .part, a file corrupted in place ------------------------------------------


def test_a_finished_part_answered_416_is_completed_by_verification(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    a = ann(srv)
    s.pdf_dir.mkdir(parents=True)
    (s.pdf_dir / part_name(a)).write_bytes(PDF_BYTES)  # the process died after the last byte
    doc = downloader(s).fetch(a)
    assert doc.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert [h[2].get("Range") for h in srv.hits] == [f"bytes={len(PDF_BYTES)}-"]  # one 416, no retry loop


def test_a_stale_part_of_an_older_version_is_not_spliced(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES, etag='"v2"')
    s = settings(srv, tmp_path)
    a = ann(srv)
    part = s.pdf_dir / part_name(a)
    s.pdf_dir.mkdir(parents=True)
    part.write_bytes(OTHER_PDF[:300_000])  # the old version, half downloaded
    part.with_name(part.name + ".json").write_text(json.dumps({"etag": '"v1"', "total": len(OTHER_PDF)}))
    doc = downloader(s).fetch(a)
    assert Path(doc.path).read_bytes() == PDF_BYTES
    assert srv.hits[0][2]["If-Range"] == '"v1"'  # the server saw the old validator and sent it whole


def test_a_file_corrupted_in_place_with_the_same_size_is_fetched_again(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    doc = downloader(s).fetch(ann(srv))
    path = Path(doc.path)
    path.write_bytes(b"X" * len(PDF_BYTES))  # same size, other bytes
    again = downloader(s).fetch(ann(srv))
    assert Path(again.path).read_bytes() == PDF_BYTES and pdf_requests(srv) == 2


def test_two_processes_never_write_the_same_part(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    a = ann(srv)
    s.pdf_dir.mkdir(parents=True)
    lock = s.pdf_dir / (part_name(a) + ".lock")
    done = threading.Event()
    with open(lock, "a+b") as other:  # another process holds the document
        fcntl.flock(other, fcntl.LOCK_EX)
        t = threading.Thread(target=lambda: (downloader(s).fetch(a), done.set()))
        t.start()
        time.sleep(0.5)
        assert not done.is_set() and pdf_requests(srv) == 0  # it waits, it does not write
        fcntl.flock(other, fcntl.LOCK_UN)
    t.join(10)
    assert done.is_set() and pdf_requests(srv) == 1


# --- 4. deadlines: a server trickling bytes cannot hold a run ------------------------------------------


def trickle(body: bytes, every: float = 0.3) -> Any:
    def handler(h: BaseHTTPRequestHandler, _: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(len(body)):
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(every)

    return handler


def test_a_query_answered_one_byte_at_a_time_hits_its_deadline(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/new/hisAnnouncement/query"] = trickle(page([row()]))
    s = settings(srv, tmp_path, request_deadline_s=1.0)
    t0 = time.perf_counter()
    with pytest.raises(DeadlineExceededError, match="deadline"):
        CninfoAdapter(HttpClient(s), s).search(Query())
    assert time.perf_counter() - t0 < 5


def test_a_download_trickling_bytes_hits_its_deadline(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = trickle(PDF_BYTES[:5000], every=0.05)
    s = settings(srv, tmp_path, download_floor_s=1.0, download_min_rate_bps=1_000_000)
    t0 = time.perf_counter()
    with pytest.raises(DeadlineExceededError, match="deadline"):
        downloader(s).fetch(ann(srv))
    assert time.perf_counter() - t0 < 5


# --- 5. caps: decompressed size, JSON size, PDF size ---------------------------------------------------


@pytest.mark.slow
def test_a_gzip_json_bomb_is_refused_at_the_cap(srv: HostileServer, tmp_path: Path) -> None:
    bomb = gzip_bomb(200 * 1024 * 1024)
    srv.routes["/new/hisAnnouncement/query"] = lambda h, _: send(h, 200, bomb, {"Content-Encoding": "gzip"})
    s = settings(srv, tmp_path, max_json_bytes=1024 * 1024)
    with pytest.raises(ExchangeResponseError, match="limit"):
        CninfoAdapter(HttpClient(s), s).search(Query())


@pytest.mark.slow
def test_a_gzip_pdf_bomb_stops_at_the_cap_and_leaves_nothing_big(srv: HostileServer, tmp_path: Path) -> None:
    bomb = gzip_bomb(300 * 1024 * 1024)
    srv.routes["/doc.pdf"] = lambda h, _: send(h, 200, bomb, {"Content-Encoding": "gzip"})
    s = settings(srv, tmp_path, max_pdf_bytes=2 * 1024 * 1024)
    with pytest.raises(DownloadError, match="limit"):
        downloader(s).fetch(ann(srv))
    assert sum(p.stat().st_size for p in s.data_dir.rglob("*") if p.is_file()) < 3 * 1024 * 1024


def test_an_announced_size_over_the_cap_is_refused_before_reading(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path, max_pdf_bytes=100_000)
    with pytest.raises(DownloadError, match="announced"):
        downloader(s).fetch(ann(srv))


# --- 6/7. pagination and malformed rows -----------------------------------------------------------------


def test_an_inflated_total_and_a_repeated_page_do_not_amplify_requests(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/new/hisAnnouncement/query"] = lambda h, _: send(
        h, 200, page([row(announcementTime=1736121600000)], total=10_000_000)
    )
    s = settings(srv, tmp_path)
    result = CninfoAdapter(HttpClient(s), s).search(Query(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31)))
    queries = [h for h in srv.hits if h[1] == "/new/hisAnnouncement/query"]
    # a month could split down to 31 single days of 100 pages each (3,130 requests); real progress stops it
    assert len(result.announcements) == 1 and len(queries) <= 15
    assert any("repeats rows" in w for w in result.warnings)


def test_a_malformed_row_is_recorded_and_every_other_row_survives(srv: HostileServer, tmp_path: Path) -> None:
    rows = [row(announcementId="1"), row(announcementId="2", announcementTime="abc"), ["not", "a", "row"]]
    srv.routes["/new/hisAnnouncement/query"] = lambda h, _: send(h, 200, page(rows))
    s = settings(srv, tmp_path)
    result = CninfoAdapter(HttpClient(s), s).search(Query())
    assert [a.announcement_id for a in result.announcements] == ["1"]
    assert len(result.rejected) == 2 and "abc" in result.rejected[0][1]


# --- 9/10/11. stores, secrets, redirects --------------------------------------------------------------------


def test_a_corrupt_llm_cache_and_manifest_are_moved_aside(tmp_path: Path) -> None:
    from llm.service import Cache

    (tmp_path / "llm_cache.sqlite").write_bytes(b"this is not a database" * 100)
    (tmp_path / "manifest.sqlite").write_bytes(b"\0garbage" * 100)
    cache = Cache(tmp_path / "llm_cache.sqlite")
    manifest = Manifest(tmp_path / "manifest.sqlite")
    assert cache.get("x") is None and manifest.documents() == []
    assert len(list(tmp_path.glob("llm_cache.sqlite.corrupt-*"))) == 1
    assert len(list(tmp_path.glob("manifest.sqlite.corrupt-*"))) == 1


def test_an_unwritable_outputs_folder_is_found_before_the_work(tmp_path: Path) -> None:
    from flows.pipeline import ensure_writable

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot write"):
        ensure_writable(blocker / "outputs")


def test_an_endpoint_echoing_the_key_never_gets_it_into_an_error(tmp_path: Path) -> None:
    from core.settings import Settings
    from llm.client import model_from_settings
    from llm.service import LLMService
    from llm.tasks import TASKS
    from tests.fake_openai import FakeOpenAI, error

    key = "sk-live-abcdefghijklmnopqrstuvwxyz0123456789"
    with FakeOpenAI() as fake:
        fake.queue(error(401, f"Incorrect API key provided: {key}. Find your key at …"))
        s = Settings(llm_base_url=fake.base_url, llm_api_key=key, llm_max_retries=0)  # type: ignore[arg-type]
        with pytest.raises(LLMError) as exc:
            LLMService(model_from_settings(s)).run_task(TASKS["announcement"], ann_for_llm())
    assert key not in str(exc.value) and key[:12] not in str(exc.value) and "***" in str(exc.value)
    assert exc.value.__cause__ is None  # the original exception (with the key) is not chained


def ann_for_llm() -> Announcement:
    return Announcement(
        source="cninfo",
        announcement_id="1",
        sec_code="001282",
        sec_name="三联锻造",
        title="招股说明书",
        published=dt.date(2023, 5, 17),
        pdf_url=None,
    )


def test_a_redirect_to_another_host_is_refused(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = lambda h, _: send(h, 302, b"", {"Location": "http://127.0.0.2:9/evil.pdf"})
    s = settings(srv, tmp_path)
    with pytest.raises(BlockedError, match="another host"):
        downloader(s).fetch(ann(srv))


def test_a_redirect_within_the_configured_host_is_followed(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = lambda h, _: send(h, 302, b"", {"Location": "/real.pdf"})
    srv.routes["/real.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    assert Path(downloader(s).fetch(ann(srv)).path).read_bytes() == PDF_BYTES


def test_a_failing_llm_endpoint_trips_the_breaker_and_the_rest_is_skipped() -> None:
    from core.errors import LLMUnavailableError
    from llm.service import LLMService
    from llm.tasks import TASKS

    class Down:
        model_id, backend = "m", "fake"
        calls = 0

        def complete(self, prompt: Any, history: Any) -> Any:
            Down.calls += 1
            raise LLMError("m: APITimeoutError: Request timed out.")

    svc = LLMService(Down(), breaker_threshold=3)
    errors = []
    for _ in range(10):
        try:
            svc.run_task(TASKS["announcement"], ann_for_llm())
        except LLMError as exc:
            errors.append(type(exc))
    assert Down.calls == 3 and errors.count(LLMUnavailableError) == 7


def test_a_page_with_an_absurd_amount_of_text_is_skipped_with_a_warning(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    from extractors.document import extract_document
    from extractors.pdftext import MAX_CHARS_PER_PAGE

    path = tmp_path / "huge.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(10, 800, "专利号 ZL201610769100.X 一种汽车下摆臂")
    c.showPage()
    text = c.beginText(1, 830)
    text.setFont("Helvetica", 1)
    for _ in range(MAX_CHARS_PER_PAGE // 500 + 20):  # a page of 1-point text: far more than any real page
        text.textLine("A" * 500)
    c.drawText(text)
    c.save()
    ex = extract_document(path, "huge")
    assert ex.pages == 2 and len(ex.warnings) == 1
    assert ex.warnings[0].startswith("page 2: ") and ex.warnings[0].endswith("over the per-page limit; skipped")
    assert "AAAA" not in ex.lead_text


@pytest.mark.parametrize("adapter", ["sse", "bse"])
def test_a_malformed_row_from_the_other_exchanges_is_recorded_not_fatal(adapter: str, tmp_path: Path) -> None:
    from scrapers.disclosure import parse_disclosure_page
    from scrapers.sse import parse_bulletin_page

    s = make_settings(tmp_path)
    if adapter == "sse":
        payload = json.loads(
            (API / "sse" / "queryCompanyBulletinNew_page1_2026-08-01_08.jsonp").read_text("utf-8")[9:-1]
        )
        payload["pageHelp"]["data"][0] = [
            {"SECURITY_CODE": "../x", "TITLE": "t", "SSEDATE": "2026-08-01", "URL": "/a.pdf"}
        ]
        page = parse_bulletin_page(payload, s)
    else:
        raw = (API / "bse" / "disclosure_announcement_page.jsonp").read_text("utf-8")
        payload = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
        payload[0]["listInfo"]["content"].append({"disclosureTitle": "x"}) if isinstance(payload, list) else payload[
            "data"
        ]["content"].append({"disclosureTitle": "x"})
        page = parse_disclosure_page(payload, s, "bse", lambda _s, p: p)
    assert page.announcements and len(page.rejected) == 1


def flate_bomb_pdf(path: Path, inflated_mb: int) -> Path:
    """A two-page PDF: page 1's content stream inflates to ``inflated_mb`` MB of line-drawing operators
    (millions of objects, ~1/500 of that on disk); page 2 is an ordinary text page."""
    import zlib

    op = b"0 0 m 1 1 l S\n"
    z = zlib.compressobj(9)
    chunk = op * 100_000
    data = b"".join(z.compress(chunk) for _ in range(inflated_mb * 1_000_000 // len(chunk))) + z.flush()
    text = b"BT /F1 6 Tf 20 712 Td (" + b"Patent list on page two. " * 12 + b") Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R"
        b" /Resources << /Font << /F1 7 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(out)
    return path


def test_a_flate_bomb_page_is_skipped_before_any_parser_inflates_it(tmp_path: Path) -> None:
    # 100 KB on disk, 60 MB of operators inflated: PDFium alone took over 1 GB to load such a page.
    # VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's peak (pytest's, here)
    import subprocess
    import sys

    pdf = flate_bomb_pdf(tmp_path / "bomb.pdf", 60)
    assert pdf.stat().st_size < 200_000
    probe = (
        "import json; from extractors.document import extract_document;"
        f"ex = extract_document({str(pdf)!r}, 'bomb');"
        "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0].split()[1];"
        "print(json.dumps([ex.pages, list(ex.warnings), ex.lead_text, int(hwm) // 1024]))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    pages, warnings, lead, peak_mb = json.loads(done.stdout.strip().splitlines()[-1])
    assert pages == 2 and len(warnings) == 1 and "Patent list on page two" in lead
    assert warnings[0].startswith("page 1: content inflates past 32 MiB") and warnings[0].endswith("skipped")
    assert peak_mb < 400, f"peak RSS {peak_mb} MB"


@pytest.mark.slow
def test_a_page_with_too_many_drawing_objects_is_not_read_for_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors import pdftext
    from extractors.document import extract_document

    pdf = PDF / "prospectus_full" / "300626_huarui_electrical_prospectus_2017_full.pdf"
    assert extract_document(pdf, "k").tables  # read normally, its patent tables give rows
    monkeypatch.setattr(pdftext, "MAX_OBJECTS_PER_PAGE", 50)  # every page of it is 'crowded' now
    ex = extract_document(pdf, "k")
    assert ex.tables == () and all("drawing objects, over 50; skipped" in w for w in ex.warnings)
    assert ex.patent_pages  # the text is still read: the patent list is still located


@pytest.mark.slow
def test_sigterm_stops_a_run_within_seconds_and_keeps_what_was_done(srv: HostileServer, tmp_path: Path) -> None:
    # the real CLI in its own process, against servers that trickle their PDFs one byte at a time:
    # without cooperative cancellation the run held on until every trickle ended
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from openpyxl import load_workbook

    rows = [
        row(announcementId=f"121683030{n}", secCode=f"00128{n}", adjunctUrl=f"finalpage/2023-05-17/121683030{n}.PDF")
        for n in range(1, 4)
    ]
    srv.routes["/new/hisAnnouncement/query"] = lambda h, _: send(h, 200, page(rows))

    def trickle(h: BaseHTTPRequestHandler, _: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(PDF_BYTES)))
        h.end_headers()
        for byte in PDF_BYTES[:600]:  # a minute of trickling
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(0.1)

    for n in range(1, 4):
        srv.routes[f"/finalpage/2023-05-17/121683030{n}.PDF"] = trickle
    env = {
        **os.environ,
        **{f"PP_{k.upper()}": v for k, v in srv.overrides().items()},
        "PP_DATA_DIR": str(tmp_path / "data"),
        "PP_OUTPUTS_DIR": str(tmp_path / "out"),
        "PP_MIN_INTERVAL_S": "0",
        "PP_HOST_MIN_INTERVAL_S": "{}",
        "PP_MAX_RETRIES": "0",
    }
    cmd = [sys.executable, "-m", "flows", "run", "--start", "2023-05-01", "--end", "2023-05-31", "--no-llm"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        t0 = time.monotonic()
        while not any(h[1].endswith(".PDF") for h in srv.hits):
            assert proc.poll() is None and time.monotonic() - t0 < 120, "the run never reached its downloads"
            time.sleep(0.2)
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        out, _ = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
    assert proc.returncode == 4, out[-3000:]
    assert took < 20, f"{took:.1f} s from SIGTERM to exit"
    workbook = next((tmp_path / "out").glob("*.xlsx"))
    info = [(r[2].value, r[1].value) for r in load_workbook(workbook)["Run info"].iter_rows(min_row=2)]
    cancelled = [v for k, v in info if k == "failure: download" and "RunCancelledError" in str(v)]
    assert len(cancelled) == 3, info
    with sqlite3.connect(tmp_path / "data" / "manifest.sqlite") as c:
        assert c.execute("SELECT status FROM runs").fetchall() == [("cancelled",)]
    assert list((tmp_path / "data" / "pdf").rglob("*.part"))  # kept: the next run resumes them
