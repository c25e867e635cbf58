"""The requests each adapter sends, pinned field by field as the replay server receives them.

References for the shapes: cninfo — akshare ``stock_disclosure_cninfo.py`` and cninfo's own search
page (form keys, Referer, X-Requested-With; categories from its history-notice.js); BSE/NEEQ — akshare
PR #3527/#4073 (a warm-up GET for cookies, Referer, one repeated key per array value); SZSE — RSSHub's
szse route (JSON body, ``{}`` past the last page).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from core.params import resolve_category
from replay import Scripted
from scrapers.base import Query
from scrapers.cninfo import CninfoAdapter
from scrapers.http import HttpClient
from scrapers.registry import adapter_for
from tests.conftest import API, replay_settings

QUERY = "/new/hisAnnouncement/query"


def test_cninfo_query_form_and_headers(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    CninfoAdapter(HttpClient(s), s).search(
        Query(codes=("920100",), categories=("category_sf_szsh",), start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    )
    method, _, form, headers = next(h for h in replay.hits if h[1] == QUERY)
    assert method == "POST"
    assert {k: v[0] for k, v in form.items()} == {
        "pageNum": "1",
        "pageSize": "30",
        "column": "bj",
        "tabName": "fulltext",
        "plate": "bj",  # a BSE code: without it cninfo searches in vain
        "stock": form["stock"][0],
        "category": "category_sf_szsh;",
        "seDate": "2025-01-01~2025-12-31",
        "isHLtitle": "true",
        "searchkey": "",
        "secid": "",
        "trade": "",
        "sortName": "",
        "sortType": "",
    }
    assert form["stock"][0].startswith("920100,")
    assert headers["X-Requested-With"] == "XMLHttpRequest"
    assert headers["Referer"].endswith("/new/commonUrl/pageOfSearch?url=disclosure/list/search")
    assert headers["Origin"] == replay.url and "Mozilla/5.0" in headers["User-Agent"]


def test_cninfo_throttling_answer_is_retried(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # cninfo throttles with an empty body or {}: transient, asked again with backoff
    s = replay_settings(replay, tmp_path)
    replay.script(QUERY, Scripted(200, b""), Scripted(200, b"{}"))
    result = CninfoAdapter(HttpClient(s), s).search(Query(codes=("001282",), keyword="目标章节"))
    assert len(result.announcements) == 1
    assert sum(1 for h in replay.hits if h[1] == QUERY) == 3


def test_bse_warms_up_then_posts_with_referer_and_repeated_array_keys(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    path = "/disclosureInfoController/companyAnnouncement.do"
    replay.script(path, Scripted(200, (API / "bse/disclosure_announcement_empty.jsonp").read_bytes()))
    adapter_for("bse", HttpClient(s), s).search(Query(categories=("9503", "9504")))
    (warm, post) = [h for h in replay.hits if h[1] in (path, "/disclosure/announcement.html")][:2]
    assert (warm[0], warm[1]) == ("GET", "/disclosure/announcement.html")  # cookies first, as a browser
    method, _, form, headers = post
    assert method == "POST" and form["callback"] == ["cb"]
    assert form["disclosureType[]"] == ["9503", "9504"]  # one key per value, not '9503,9504'
    assert headers["Referer"] == f"{replay.url}/disclosure/announcement.html"
    assert headers["X-Requested-With"] == "XMLHttpRequest"


def test_disclosure_form_leaves_unused_array_keys_out(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    path = "/disclosureInfoController/companyAnnouncement.do"
    replay.script(path, Scripted(200, (API / "bse/disclosure_announcement_empty.jsonp").read_bytes()))
    adapter_for("bse", HttpClient(s), s).search(Query())
    post = next(h for h in replay.hits if h[1] == path)
    assert "disclosureType[]" not in post[2]


def test_szse_empty_object_past_the_last_page_ends_paging(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    page = {
        "announceCount": 99,
        "data": [
            {
                "id": "x1",
                "secCode": ["000001"],
                "secName": ["平安银行"],
                "title": "2025年年度报告",
                "publishTime": "2026-03-20 00:00:00",
                "attachPath": "/disc/disk03/finalpage/2026-03-20/x1.PDF",
            }
        ],
    }
    path = "/api/disc/announcement/annList"
    replay.script(path, Scripted(200, json.dumps(page).encode()), Scripted(200, b"{}"))
    result = adapter_for("szse", HttpClient(s), s).search(Query())
    assert [a.announcement_id for a in result.announcements] == ["x1"]
    assert sum(1 for h in replay.hits if h[1] == path) == 2


def test_category_vocabulary_takes_names_and_the_legacy_codes() -> None:
    assert resolve_category("首发") == resolve_category("招股说明书") == "category_sf_szsh"
    assert resolve_category("category_scgkfx_szsh") == "category_sf_szsh"  # the pre-2019 code users still send
    assert resolve_category("category_kzhz_szsh") == resolve_category("可转债") == "category_kzzq_szsh"
    assert resolve_category("补充更正") == "category_bcgz_szsh" and resolve_category("中介报告") == "category_zj_szsh"
