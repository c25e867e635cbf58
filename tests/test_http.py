"""Session behaviour against the local replay server: retries, Retry-After, 403, firewall pages."""

from __future__ import annotations

import pytest

from core.errors import BlockedError, ExchangeResponseError, RateLimitedError, TransientHTTPError
from replay import Scripted
from scrapers.http import HostRateLimiter, HttpClient, parse_retry_after
from tests.conftest import replay_settings

FIREWALL = (
    "<!DOCTYPE html><html><head><title>访问被拒绝</title></head><body>您的请求已被WAF拦截，请稍后再试</body></html>"
).encode()


def client(server, tmp_path, sleeps):  # type: ignore[no-untyped-def]
    return HttpClient(replay_settings(server, tmp_path), sleep=sleeps.append, rng=lambda: 1.0)


def test_429_then_success_honours_retry_after(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    replay.script("/new/data/szse_stock.json", Scripted(429, b"slow down", {"Retry-After": "0.04"}))
    sleeps: list[float] = []
    resp = client(replay, tmp_path, sleeps).request("GET", replay.url + "/new/data/szse_stock.json")
    assert resp.status_code == 200 and len(resp.content) > 100_000
    assert [h for h in replay.hits if h[1] == "/new/data/szse_stock.json"].__len__() == 2
    assert sleeps and sleeps[-1] >= 0.04  # waited at least Retry-After


def test_429_forever_is_a_rate_limit_error(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    replay.script("/q", *[Scripted(429, b"", {"Retry-After": "0"})] * 4)
    with pytest.raises(RateLimitedError, match="429"):
        client(replay, tmp_path, []).request("GET", replay.url + "/q")
    assert len(replay.hits) == 4  # 1 + max_retries


def test_503_is_retried_then_given_up(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    replay.script("/q", *[Scripted(503, b"busy")] * 4)
    with pytest.raises(TransientHTTPError):
        client(replay, tmp_path, []).request("GET", replay.url + "/q")


def test_403_is_not_retried(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    replay.script("/q", Scripted(403, FIREWALL, {"Content-Type": "text/html"}))
    with pytest.raises(BlockedError, match="403"):
        client(replay, tmp_path, []).request("GET", replay.url + "/q")
    assert len(replay.hits) == 1


def test_firewall_page_with_200_is_a_block_not_an_empty_result(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    replay.script("/new/hisAnnouncement/query", Scripted(200, FIREWALL, {"Content-Type": "text/html"}))
    with pytest.raises(BlockedError, match="firewall"):
        client(replay, tmp_path, []).get_json(replay.url + "/new/hisAnnouncement/query", method="POST")


def test_garbage_json_from_the_exchange(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    replay.script("/new/hisAnnouncement/query", Scripted(200, b"\x00\x01garbage{{", {}))
    with pytest.raises(ExchangeResponseError, match="neither JSON nor JSONP"):
        client(replay, tmp_path, []).get_json(replay.url + "/new/hisAnnouncement/query", method="POST")


def test_rate_limiter_spaces_requests_per_host() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    lim = HostRateLimiter(1.0, {"slow.example": 3.0}, clock=lambda: now[0], sleep=sleep)
    assert lim.wait("a.example") == 0
    assert lim.wait("a.example") == pytest.approx(1.0)
    assert lim.wait("b.example") == 0  # other hosts are independent
    assert lim.wait("slow.example") == 0
    assert lim.wait("slow.example") == pytest.approx(3.0)


def test_backoff_is_full_jitter_and_capped(settings) -> None:  # type: ignore[no-untyped-def]
    http = HttpClient(settings.model_copy(update={"backoff_base_s": 1.0, "backoff_max_s": 8.0}), rng=lambda: 1.0)
    assert [http.backoff(i) for i in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert HttpClient(settings, rng=lambda: 0.0).backoff(3) == 0.0


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
