"""The one HTTP session factory: timeouts, a per-host polite rate limit, and retries with full jitter
on connection errors, 5xx and 429 (honouring ``Retry-After``). 403 is not retried: it is a block.

Nothing a server sends is unbounded: redirects are followed only to the configured hosts, and a body
is read with a size cap (decompressed bytes counted, so a gzip bomb stops at the cap) and a total
deadline (the read timeout applies per read, so a server trickling one byte a second would otherwise
hold a request for ever).
"""

from __future__ import annotations

import email.utils
import http.client
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions

from core import cancel
from core.errors import (
    BlockedError,
    DeadlineExceededError,
    ExchangeResponseError,
    RateLimitedError,
    ScrapeError,
    TransientHTTPError,
)
from core.settings import Settings
from scrapers.payload import decode_text, looks_like_html, parse_json_payload, snippet

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})
MAX_REDIRECTS = 5
READ_CHUNK = 1 << 14


#: What the network stack can raise while a request is sent or its body read, beside requests' own
#: family: urllib3's (``ProtocolError``, ``ReadTimeoutError``, ``LocationParseError``...),
#: http.client's (``IncompleteRead``, ``InvalidURL``), ``ValueError``/``UnicodeError`` from a malformed
#: header or URL, ``OSError`` from the socket. Each is turned into a :class:`ScrapeError` here.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)
#: Of those, what a retry may cure (a dropped connection, a timeout, a short or broken body).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    http.client.IncompleteRead,
    ConnectionError,
    TimeoutError,
)


def _origin(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, the port defaulted by scheme; None for any other URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)


def configured_hosts(settings: Settings) -> frozenset[tuple[str, int]]:
    """(host, port) of every configured *exchange* endpoint: the only places a redirect may lead. A
    URL without a port admits both 80 and 443 (an exchange moving http to https is followed).

    The model's endpoint (``llm_base_url``) is not among them, and its own (host, port) is taken out:
    with a local model on 127.0.0.1, an exchange redirect to it would otherwise be followed and its
    answer stored."""
    urls = [
        v
        for k, v in settings.model_dump().items()
        if k.endswith("_url") and not k.startswith("llm") and isinstance(v, str) and v
    ]
    allowed: set[tuple[str, int]] = set()
    for url in urls:
        origin = _origin(url)
        if origin is None:
            continue
        try:
            explicit = urlsplit(url).port is not None
        except ValueError:
            continue
        allowed |= {origin} if explicit else {(origin[0], 80), (origin[0], 443)}
    model = _origin(settings.llm_base_url or "")
    return frozenset(allowed - {model})


def _peek(resp: requests.Response, n: int = 4096) -> str:
    """At most ``n`` bytes of an error body, for a message (an error body is never read whole)."""
    try:
        if resp._content is not False:  # read already (a request without stream=True)
            return (resp.content or b"")[:n].decode("utf-8", "replace")
        return str(resp.raw.read(n, decode_content=True).decode("utf-8", "replace"))
    except NETWORK_ERRORS:
        return ""
    except AttributeError:  # no raw stream (a test's fake response)
        return ""


def read_body(resp: requests.Response, cap: int, deadline: float, url: str) -> bytes:
    """The whole body, refused past ``cap`` bytes (decompressed) or past the monotonic ``deadline``."""
    out = bytearray()
    raw = resp.raw
    try:
        while True:
            chunk = raw.read1(READ_CHUNK, decode_content=True) if hasattr(raw, "read1") else raw.read(READ_CHUNK)
            if not chunk:
                return bytes(out)
            out += chunk
            cancel.check(f"reading {url}")
            if len(out) > cap:
                raise ExchangeResponseError(f"response over the {cap}-byte limit; refused", url=url)
            if time.monotonic() > deadline:
                raise DeadlineExceededError(f"{url}: response past its deadline ({len(out)} bytes so far)")
    except NETWORK_ERRORS as exc:
        raise TransientHTTPError(f"connection dropped while reading: {type(exc).__name__}: {exc}", url=url) from exc


class HostRateLimiter:
    """At most one request per ``min_interval_s`` to each host, shared by every thread."""

    def __init__(
        self,
        min_interval_s: float,
        per_host: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = cancel.sleep,
    ) -> None:
        self._default = min_interval_s
        self._per_host = dict(per_host or {})
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep

    def wait(self, host: str) -> float:
        """Block until a request to ``host`` is allowed; return the seconds waited."""
        interval = self._per_host.get(host, self._default)
        with self._lock:
            now = self._clock()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


_LIMITERS: dict[tuple[float, tuple[tuple[str, float], ...]], HostRateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def process_limiter(settings: Settings) -> HostRateLimiter:
    """One limiter per process and policy, so every thread's client shares the per-host gap."""
    key = (settings.min_interval_s, tuple(sorted(settings.host_min_interval_s.items())))
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            _LIMITERS[key] = HostRateLimiter(settings.min_interval_s, settings.host_min_interval_s)
        return _LIMITERS[key]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpClient:
    """requests.Session + politeness + retries. One per flow run (threads share it safely)."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = cancel.sleep,
        rng: Callable[[], float] = random.random,
        limiter: HostRateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._rng = rng
        self.limiter = limiter or process_limiter(settings)
        self.session = requests.Session()
        self.session.headers.update(
            {
                "User-Agent": settings.user_agent,
                "Accept": "application/json, text/javascript, */*; q=0.01",
                "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6",
            }
        )
        self.timeout = (settings.connect_timeout_s, settings.read_timeout_s)
        self.requests_sent = 0
        self.allowed_hosts = configured_hosts(settings)

    def sleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for retry number ``attempt`` (0-based)."""
        cap = min(self.settings.backoff_max_s, self.settings.backoff_base_s * (2**attempt))
        return cap * self._rng()

    def _send(self, method: str, url: str, follow: bool, **kwargs: Any) -> requests.Response:
        """One request, redirects followed by hand and only to the configured hosts."""
        resp = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        hops = 0
        while follow and resp.is_redirect:
            location = resp.headers.get("Location", "")
            resp.close()
            try:
                target = urljoin(resp.url, location)
            except ValueError as exc:
                raise BlockedError(
                    f"malformed redirect {location[:200]!r}: {exc}", url=url, status=resp.status_code
                ) from exc
            origin = _origin(target)
            if origin is None or origin not in self.allowed_hosts:
                raise BlockedError(
                    f"redirect to another host refused: {target[:200]}", url=url, status=resp.status_code
                )
            hops += 1
            if hops > MAX_REDIRECTS:
                raise ScrapeError(f"more than {MAX_REDIRECTS} redirects", url=url, status=resp.status_code)
            if resp.status_code in (301, 302, 303) and method != "GET":
                method, kwargs = "GET", {k: v for k, v in kwargs.items() if k not in ("data", "json")}
            log.info("redirect %s -> %s", url, target)
            resp = self.session.request(method, target, timeout=self.timeout, allow_redirects=False, **kwargs)
        return resp

    def request(
        self, method: str, url: str, *, ok_statuses: frozenset[int] | set[int] = frozenset(), **kwargs: Any
    ) -> requests.Response:
        host = urlsplit(url).netloc
        follow = bool(kwargs.pop("allow_redirects", True))
        retries = self.settings.max_retries
        last: str = ""
        for attempt in range(retries + 1):
            cancel.check(f"{method} {url}")
            self.limiter.wait(host)
            self.requests_sent += 1
            try:
                resp = self._send(method, url, follow, **kwargs)
            except TRANSIENT_ERRORS as exc:
                last = f"{type(exc).__name__}: {exc}"
                if attempt == retries:
                    raise TransientHTTPError(f"network error after {attempt + 1} attempts: {last}", url=url) from exc
                delay = self.backoff(attempt)
                log.warning("%s %s failed (%s); retry %d/%d in %.1fs", method, url, last, attempt + 1, retries, delay)
                self._sleep(delay)
                continue
            except NETWORK_ERRORS as exc:  # a bad URL, scheme or header: a retry cannot cure it
                raise ScrapeError(f"request refused: {type(exc).__name__}: {exc}", url=url) from exc

            status = resp.status_code
            if status in ok_statuses:
                return resp
            if status == 403:
                body = snippet(_peek(resp))
                resp.close()
                raise BlockedError(f"access forbidden (WAF/IP block?); not retried: {body!r}", url=url, status=status)
            if status in RETRY_STATUSES:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                resp.close()
                if attempt == retries:
                    err = RateLimitedError if status == 429 else TransientHTTPError
                    raise err(f"gave up after {attempt + 1} attempts", url=url, status=status)
                delay = self.backoff(attempt)
                if retry_after is not None:
                    delay = min(self.settings.backoff_max_s, max(delay, retry_after))
                log.warning("%s %s -> %d; retry %d/%d in %.1fs", method, url, status, attempt + 1, retries, delay)
                self._sleep(delay)
                continue
            if status >= 400:
                body = snippet(_peek(resp))
                resp.close()
                raise ScrapeError(f"HTTP error: {body!r}", url=url, status=status)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def get_bytes(self, url: str, *, method: str = "GET", **kwargs: Any) -> tuple[bytes, requests.Response]:
        """The body, capped at ``max_json_bytes`` and read within ``request_deadline_s``."""
        deadline = time.monotonic() + self.settings.request_deadline_s
        resp = self.request(method, url, stream=True, **kwargs)
        with resp:
            return read_body(resp, self.settings.max_json_bytes, deadline, url), resp

    def get_json(self, url: str, *, method: str = "GET", **kwargs: Any) -> Any:
        """Fetch and parse JSON/JSONP. HTML firewall pages and garbage raise ExchangeResponseError;
        a 200 firewall page is also classed as a block when it says so."""
        body, resp = self.get_bytes(url, method=method, **kwargs)
        return decode_json(body, resp, url)


def decode_json(body: bytes, resp: requests.Response, url: str) -> Any:
    """A body as JSON/JSONP, or a clear error (a firewall page is a :class:`BlockedError`)."""
    text = decode_text(body, resp.encoding if "charset" in resp.headers.get("Content-Type", "") else None)
    if looks_like_html(text) and _is_block_page(text):
        raise BlockedError(f"firewall page instead of data: {snippet(text)!r}", url=url, status=resp.status_code)
    return parse_json_payload(text, url=url, status=resp.status_code)


_BLOCK_WORDS = ("访问被拒绝", "访问受限", "安全验证", "waf", "forbidden", "captcha", "验证码", "拦截")


def _is_block_page(text: str) -> bool:
    low = text[:4000].lower()
    return any(w in low for w in _BLOCK_WORDS)
