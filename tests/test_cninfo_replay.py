"""The cninfo adapter end to end against the replay server: pagination, date splitting, orgId lookup."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from replay import CatalogueEntry, ReplayServer, Scripted
from scrapers.base import Query
from scrapers.cninfo import CninfoAdapter
from scrapers.http import HttpClient
from tests.conftest import CORPUS, PDF, replay_settings


def synthetic_catalogue(n: int, start: dt.date = dt.date(2024, 1, 1)) -> list[CatalogueEntry]:
    pdf = PDF / "prospectus" / "001282_sanlian_forging_prospectus_section_p28-42.pdf"
    return [
        CatalogueEntry(
            "000001",
            "平安银行",
            "gssz0000001",
            f"第{i}号公告",
            start + dt.timedelta(days=i),
            str(1_000_000 + i),
            "category_rcjy_szsh",
            pdf,
        )
        for i in range(n)
    ]


def test_every_page_is_fetched_and_counted(tmp_path: Path) -> None:
    with ReplayServer(CORPUS, catalogue=synthetic_catalogue(95)) as srv:
        s = replay_settings(srv, tmp_path, page_size=30)
        result = CninfoAdapter(HttpClient(s), s).search(Query(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)))
        pages = [h[2]["pageNum"][0] for h in srv.hits if h[1] == "/new/hisAnnouncement/query"]
    assert pages == ["1", "2", "3", "4"]
    assert len(result.announcements) == 95 and result.reported_total == 95 and result.complete


def test_a_deep_result_is_split_by_date(tmp_path: Path) -> None:
    with ReplayServer(CORPUS, catalogue=synthetic_catalogue(95)) as srv:
        s = replay_settings(srv, tmp_path, page_size=10, cninfo_max_pages=3)  # at most 30 rows per range
        result = CninfoAdapter(HttpClient(s), s).search(Query(start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31)))
        ranges = {h[2]["seDate"][0] for h in srv.hits if h[1] == "/new/hisAnnouncement/query"}
    assert len(result.announcements) == 95 and result.complete
    assert len(ranges) > 3 and "2024-01-01~2024-12-31" in ranges


def test_a_short_read_is_reported_not_silent(tmp_path: Path) -> None:
    with ReplayServer(CORPUS, catalogue=synthetic_catalogue(40)) as srv:
        s = replay_settings(srv, tmp_path, page_size=30)
        empty = (CORPUS / "api/cninfo/hisAnnouncement_query_empty.json").read_bytes()
        # page 1 from the catalogue, then the exchange stops answering rows mid-way
        adapter = CninfoAdapter(HttpClient(s), s)
        first = adapter._fetch(Query(), "", "szse", None, None, 1)
        srv.script("/new/hisAnnouncement/query", Scripted(200, empty))
        from scrapers.base import collect_pages

        result = collect_pages(
            lambda p: first if p == 1 else adapter._fetch(Query(), "", "szse", None, None, p), source="cninfo"
        )
    assert result.fetched_rows == 30 and result.reported_total == 40
    assert not result.complete and "reported 40" in result.warnings[0]


def test_stock_code_uses_the_org_id_from_the_stock_list(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    result = CninfoAdapter(HttpClient(s), s).search(Query(codes=("600519",)))
    stock = [h[2]["stock"][0] for h in replay.hits if h[1] == "/new/hisAnnouncement/query"]
    assert stock == ["600519,gssh0600519"]
    assert [a.title for a in result.announcements] == ["贵州茅台2024年年度报告"]
    assert result.announcements[0].pdf_url.startswith(replay.url + "/finalpage/2025-04-03/")


def test_keyword_category_and_dates_filter_and_highlight_is_stripped(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    q = Query(
        keyword="招股说明书", categories=("category_sf_szsh",), start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31)
    )
    result = CninfoAdapter(HttpClient(s), s).search(q)
    assert sorted(a.sec_code for a in result.announcements) == ["301563", "603418", "688775", "920100"]
    assert all("<em>" not in a.title and "招股说明书" in a.title for a in result.announcements)
    form = next(h[2] for h in replay.hits if h[1] == "/new/hisAnnouncement/query")
    assert form["category"] == ["category_sf_szsh;"] and form["seDate"] == ["2025-01-01~2025-12-31"]


def test_no_match_serves_the_recorded_empty_page(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    result = CninfoAdapter(HttpClient(s), s).search(Query(keyword="不存在的标题"))
    assert result.announcements == [] and result.reported_total == 0 and result.complete
