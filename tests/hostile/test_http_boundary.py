"""The HTTP client and the downloader against a server that breaks HTTP itself: short and broken bodies,
bad redirects, lying headers, 416 to everything, a 206 of another version, planted links.

Each case ends in a :class:`~core.errors.PipelineError` subclass (the cause in its message) or in the
right file, never in a requests, urllib3 or http.client exception.
"""

from __future__ import annotations

import http.client
import os
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3.exceptions

from core.errors import BlockedError, DownloadError, PipelineError, ScrapeError, TransientHTTPError
from scrapers.download import part_name, safe_filename
from scrapers.http import HttpClient
from tests.hostile.server import HostileServer, send
from tests.hostile.test_hostile import PDF_BYTES, ann, downloader, pdf_requests, serve_pdf, settings


def raw(h: BaseHTTPRequestHandler, head: bytes, body: bytes = b"") -> None:
    """Write the status line, headers and body exactly as given (no Content-Length added)."""
    h.wfile.write(head.replace(b"\n", b"\r\n") + b"\r\n" + body)
    h.wfile.flush()
    h.close_connection = True


def short_body(h: BaseHTTPRequestHandler, _: bytes) -> None:
    raw(h, b"HTTP/1.1 200 OK\nContent-Type: application/pdf\nContent-Length: 100000\n", PDF_BYTES[:5000])


def broken_chunks(h: BaseHTTPRequestHandler, _: bytes) -> None:
    raw(h, b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n", b"10\r\n%PDF-1.4 hello\r\nzz-not-hex\r\n")


def two_lengths(h: BaseHTTPRequestHandler, _: bytes) -> None:
    raw(h, b"HTTP/1.1 200 OK\nContent-Length: 10\nContent-Length: 20\n", PDF_BYTES[:20])


def redirect_to(location: str) -> Any:
    return lambda h, _: raw(
        h, b"HTTP/1.1 302 Found\nContent-Length: 0\nLocation: " + location.encode("latin-1") + b"\n"
    )


@pytest.mark.parametrize(
    "handler",
    [short_body, broken_chunks, two_lengths],
    ids=["short_body", "broken_chunked_body", "duplicated_content_length"],
)
def test_a_broken_body_is_a_typed_failure_and_nothing_is_stored(
    srv: HostileServer, tmp_path: Path, handler: Any
) -> None:
    srv.routes["/doc.pdf"] = handler
    s = settings(srv, tmp_path)
    with pytest.raises(PipelineError) as err:
        downloader(s).fetch(ann(srv))
    assert isinstance(err.value, DownloadError | ScrapeError), repr(err.value)
    assert not list(s.pdf_dir.glob("*.pdf"))


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:99999/x.pdf", "ftp://127.0.0.1/x.pdf", "http://[::1/x"],
    ids=["bad_port", "ftp_scheme", "malformed_location"],
)
def test_a_redirect_to_a_bad_port_or_scheme_is_refused(srv: HostileServer, tmp_path: Path, location: str) -> None:
    # (requests itself parses a Location it is not asked to follow: a malformed one fails inside it)
    srv.routes["/doc.pdf"] = redirect_to(location)
    with pytest.raises(ScrapeError, match=r"redirect|Invalid IPv6"):
        downloader(settings(srv, tmp_path)).fetch(ann(srv))
    assert pdf_requests(srv) == 1


def test_a_redirect_to_the_models_port_on_the_same_host_is_refused(srv: HostileServer, tmp_path: Path) -> None:
    # the README's local-model setup: PP_LLM_BASE_URL on 127.0.0.1; an exchange redirect there must not
    # be followed (it was: the allow-list held host names, and the model's host was on it)
    with HostileServer() as model:
        model.routes["/v1/secret.pdf"] = serve_pdf(PDF_BYTES)
        srv.routes["/doc.pdf"] = redirect_to(model.url + "/v1/secret.pdf")
        s = settings(srv, tmp_path, llm_base_url=model.url + "/v1")
        with pytest.raises(BlockedError, match="another host"):
            downloader(s).fetch(ann(srv))
        assert not model.hits


def test_a_server_answering_416_to_everything_is_a_bounded_failure(srv: HostileServer, tmp_path: Path) -> None:
    # it drove 485 requests and then a RecursionError
    srv.routes["/doc.pdf"] = lambda h, _: send(h, 416, b"", {"Content-Range": "bytes */999999"})
    s = settings(srv, tmp_path)
    part = s.pdf_dir / part_name(ann(srv))
    s.pdf_dir.mkdir(parents=True, exist_ok=True)
    part.write_bytes(PDF_BYTES[:1000])
    with pytest.raises(DownloadError, match="no usable answer"):
        downloader(s).fetch(ann(srv))
    assert pdf_requests(srv) <= 5  # a resume and a restart or two, not hundreds


def test_a_206_with_a_new_etag_is_not_spliced_onto_the_old_part(srv: HostileServer, tmp_path: Path) -> None:
    # the server ignores If-Range, but its 206 names the new version: the part must restart, not be spliced
    new = PDF_BYTES[:9] + b"% version 2 of the file, changed near its start\n" + PDF_BYTES[9:]

    def ignores_if_range(h: BaseHTTPRequestHandler, _: bytes) -> None:
        rng = h.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            send(h, 206, new[start:], {"Content-Range": f"bytes {start}-{len(new) - 1}/{len(new)}", "ETag": '"v2"'})
        else:
            send(h, 200, new, {"ETag": '"v2"'})

    srv.routes["/doc.pdf"] = ignores_if_range
    s = settings(srv, tmp_path)
    s.pdf_dir.mkdir(parents=True, exist_ok=True)
    a = ann(srv)
    part = s.pdf_dir / part_name(a)
    part.write_bytes(PDF_BYTES[:4000])  # a part of version 1, whose ETag was "v1"
    part.with_name(part.name + ".json").write_text(f'{{"etag": "\\"v1\\"", "total": {len(new)}}}', "utf-8")
    doc = downloader(s).fetch(a)
    assert Path(doc.path).read_bytes() == new


def test_a_symlink_planted_at_the_part_name_is_never_written_through(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    s.pdf_dir.mkdir(parents=True, exist_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", "utf-8")
    a = ann(srv)
    (s.pdf_dir / part_name(a)).symlink_to(victim)
    doc = downloader(s).fetch(a)
    assert victim.read_text("utf-8") == "precious"
    assert Path(doc.path).read_bytes() == PDF_BYTES and not Path(doc.path).is_symlink()


def test_no_part_lock_file_is_left_behind(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    srv.routes["/bad.pdf"] = lambda h, _: send(h, 200, b"<html>blocked</html>")
    s = settings(srv, tmp_path)
    downloader(s).fetch(ann(srv))
    with pytest.raises(DownloadError):
        downloader(s).fetch(ann(srv, announcement_id="2", pdf_url=srv.url + "/bad.pdf"))
    assert not list(s.pdf_dir.glob("*.lock"))
    assert safe_filename(ann(srv)) in os.listdir(s.pdf_dir)


# --- the sweep: every exception class the network stack can raise, at each place it is raised --------

NETWORK_EXCEPTIONS = [
    requests.ConnectionError("refused"),
    requests.Timeout("timed out"),
    requests.exceptions.ReadTimeout("read timed out"),
    requests.exceptions.ChunkedEncodingError("broken chunk"),
    requests.exceptions.ContentDecodingError("bad gzip"),
    requests.exceptions.InvalidURL("bad port"),
    requests.exceptions.InvalidSchema("no adapter for ftp"),
    requests.exceptions.MissingSchema("no scheme"),
    requests.exceptions.InvalidHeader("two Content-Length"),
    requests.exceptions.TooManyRedirects("loop"),
    requests.exceptions.SSLError("bad certificate"),
    requests.exceptions.RetryError("retries"),
    urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead"),
    urllib3.exceptions.ReadTimeoutError(None, "/doc.pdf", "read timed out"),  # type: ignore[arg-type]
    urllib3.exceptions.LocationParseError("http://[::1"),
    urllib3.exceptions.DecodeError("bad deflate"),
    urllib3.exceptions.InvalidHeader("bad header"),
    http.client.IncompleteRead(b"x", 10),
    http.client.InvalidURL("nonnumeric port"),
    ValueError("invalid literal for int() with base 10: '²'"),
    UnicodeError("label empty or too long"),
    ConnectionResetError("reset"),
    OSError("network is unreachable"),
]


@pytest.mark.parametrize("exc", NETWORK_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_network_exception_escapes_the_http_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    client = HttpClient(settings_for_sweep(tmp_path), sleep=lambda _s: None)

    def boom(*_a: Any, **_k: Any) -> Any:
        raise exc

    monkeypatch.setattr(client.session, "request", boom)
    with pytest.raises(ScrapeError) as err:
        client.request("GET", "http://127.0.0.1:9/x")
    assert type(exc).__name__ in str(err.value)


class _BrokenRaw:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def read1(self, *_a: Any, **_k: Any) -> bytes:
        raise self.exc


@pytest.mark.parametrize("exc", NETWORK_EXCEPTIONS, ids=lambda e: type(e).__name__)
def test_no_network_exception_escapes_a_body_read(exc: Exception) -> None:
    from scrapers.download import _chunks
    from scrapers.http import read_body

    resp = requests.Response()
    resp.raw = _BrokenRaw(exc)
    with pytest.raises(TransientHTTPError):
        read_body(resp, 1 << 20, float("inf"), "http://x")
    with pytest.raises(TransientHTTPError):
        list(_chunks(resp, "http://x"))


def settings_for_sweep(tmp_path: Path) -> Any:
    from tests.conftest import make_settings

    return make_settings(tmp_path, max_retries=0)


def test_a_folder_planted_at_the_part_name_is_a_download_error(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    s.pdf_dir.mkdir(parents=True, exist_ok=True)
    (s.pdf_dir / part_name(ann(srv))).mkdir()
    with pytest.raises(DownloadError, match="folder"):
        downloader(s).fetch(ann(srv))


def test_a_folder_planted_at_the_final_name_is_a_download_error(srv: HostileServer, tmp_path: Path) -> None:
    srv.routes["/doc.pdf"] = serve_pdf(PDF_BYTES)
    s = settings(srv, tmp_path)
    (s.pdf_dir / safe_filename(ann(srv)) / "x").mkdir(parents=True)
    with pytest.raises(DownloadError, match=r"IsADirectoryError|OSError|Directory"):
        downloader(s).fetch(ann(srv))
