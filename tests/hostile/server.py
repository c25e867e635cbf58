"""A scriptable hostile server on 127.0.0.1: each path is answered by a function of the request.

The handlers write raw HTTP themselves, so a test can trickle bytes, lie about sizes, send gzip
bombs, redirect elsewhere or answer 416: what a broken or malicious exchange could do.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[BaseHTTPRequestHandler, bytes], None]


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of the size on the wire)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


class HostileServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        #: answers every path with no route (None: 404)
        self.fallback: Handler | None = None
        self.hits: list[tuple[str, str, dict[str, str]]] = []
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                server.hits.append((self.command, path, dict(self.headers.items())))
                handler = server.routes.get(path, server.fallback)
                try:
                    if handler is None:
                        send(self, 404, b"not found")
                    else:
                        handler(self, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_HEAD = _any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> HostileServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def overrides(self) -> dict[str, str]:
        names = ("cninfo_base_url", "cninfo_static_url", "sse_query_url", "sse_static_url", "bse_base_url")
        return {n: self.url for n in (*names, "neeq_base_url", "szse_base_url", "szse_static_url")}
