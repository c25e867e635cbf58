"""Exchange payloads of the wrong shape, through every adapter's real search against a hostile server:
totals as strings or ``Infinity``, 100k-deep JSON, numbers past a float, timestamps past any date,
lists for objects. Each ends in a :class:`~core.errors.ScrapeError` or a result whose bad rows are
recorded, never in a raw ``TypeError``, ``OverflowError``, ``RecursionError`` or ``JSONDecodeError``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest

from core.errors import ExchangeResponseError, ScrapeError
from scrapers.base import Query
from scrapers.http import HttpClient
from scrapers.payload import parse_json_payload
from scrapers.registry import ADAPTERS
from tests.hostile.server import HostileServer, send
from tests.hostile.test_hostile import page, row, settings

ROW_CNINFO = row()
BODIES: dict[str, bytes] = {
    "deep_json": b"[" * 100_000 + b"]" * 100_000,
    "deep_jsonp": b"cb(" + b"[" * 100_000 + b"]" * 100_000 + b")",
    "huge_integer": b'{"total": ' + b"9" * 5000 + b"}",
    "infinity_total": page([ROW_CNINFO]).replace(b'"totalAnnouncement": 1', b'"totalAnnouncement": Infinity'),
    "float_overflow_total": page([ROW_CNINFO]).replace(b'"totalRecordNum": 1', b'"totalRecordNum": 1e400'),
    "string_totals": json.dumps(
        {
            "announcements": [ROW_CNINFO],
            "totalAnnouncement": "abc",
            "totalRecordNum": "12",
            "totalpages": "x",
            "pageHelp": {"data": [[{"SECURITY_CODE": "600000"}]], "total": "abc", "pageCount": "1"},
            "data": [],
            "announceCount": "abc",
            "content": [],
            "totalElements": "abc",
            "totalPages": "1",
        }
    ).encode(),
    "timestamp_1e20": page([row(announcementTime=1e20), row(announcementId="2")]),
    "list_for_object": b"[1, 2, 3]",
    "scalars_for_lists": json.dumps(
        {"announcements": 5, "pageHelp": {"data": 7}, "data": "x", "content": 3, "totalAnnouncement": 1}
    ).encode(),
    "nulls_everywhere": json.dumps(
        {
            "announcements": [None, 1, "x", {}],
            "pageHelp": {"data": [None, [None]]},
            "data": [None],
            "content": [None, {"disclosures": 5}],
        }
    ).encode(),
}


@pytest.mark.parametrize("body", sorted(BODIES))
@pytest.mark.parametrize("exchange", sorted(ADAPTERS))
def test_a_payload_of_the_wrong_shape_is_a_scrape_error_or_recorded_rows(
    srv: HostileServer, tmp_path: Path, exchange: str, body: str
) -> None:
    data = BODIES[body]
    srv.fallback = lambda h, _: send(h, 200, data, {"Content-Type": "application/json"})
    s = settings(srv, tmp_path, max_requests_per_query=5, cninfo_max_pages=3)
    adapter = ADAPTERS[exchange](HttpClient(s, sleep=lambda _s: None), s)  # type: ignore[index]
    query = Query(start=dt.date(2023, 5, 1), end=dt.date(2023, 5, 31))
    try:
        result = adapter.search(query)
    except ScrapeError:
        return
    for why, _raw in result.rejected:
        assert why.startswith("malformed")


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000, '{"n": ' + "1" * 5000 + "}"],
    ids=["deep_array", "integer_of_5000_digits"],
)
def test_json_no_decoder_can_hold_is_an_exchange_response_error(text: str) -> None:
    with pytest.raises(ExchangeResponseError):
        parse_json_payload(text)


def test_non_finite_numbers_read_as_unknown() -> None:
    assert parse_json_payload('{"a": Infinity, "b": -Infinity, "c": NaN, "d": 1e400, "e": 1.5}') == {
        "a": None,
        "b": None,
        "c": None,
        "d": None,
        "e": 1.5,
    }


def test_counts_as_an_exchange_sends_them() -> None:
    from scrapers.base import Page

    p = Page([], total="12", total_pages=3.0, rows="abc", has_more="yes")  # type: ignore[arg-type]
    assert (p.total, p.total_pages, p.rows, p.has_more) == (12, 3, None, None)
    assert Page([], total=float("inf")).total is None and Page([], total=-1).total is None
    assert Page([], total="１２").total is None  # full-width digits are no count


@pytest.mark.parametrize("body", sorted(BODIES))
def test_a_payload_of_the_wrong_shape_in_cninfos_code_lookup_is_a_scrape_error(
    srv: HostileServer, tmp_path: Path, body: str
) -> None:
    # a query with codes reads the stock lists and topSearch first: their payloads are hostile too
    data = BODIES[body]
    srv.fallback = lambda h, _: send(h, 200, data, {"Content-Type": "application/json"})
    s = settings(srv, tmp_path, max_requests_per_query=5, cninfo_max_pages=3)
    adapter = ADAPTERS["cninfo"](HttpClient(s, sleep=lambda _s: None), s)
    with contextlib.suppress(ScrapeError):
        adapter.search(Query(codes=("001282",), start=dt.date(2023, 5, 1), end=dt.date(2023, 5, 31)))
