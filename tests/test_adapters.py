"""SSE, BSE, SZSE and NEEQ adapters end to end against the replay server.

SSE and BSE replay their real recordings; SZSE and NEEQ have no recordings in the corpus, so their
responses here are hand-written in the sites' documented shapes (marked as such).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from core.errors import ExchangeBusyError
from replay import Scripted
from scrapers.base import Query
from scrapers.http import HttpClient
from scrapers.registry import adapter_for
from tests.conftest import API, replay_settings

SSE_PATH = "/security/stock/queryCompanyBulletinNew.do"


def test_sse_busy_is_retried_then_reported(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    page1 = (API / "sse/queryCompanyBulletinNew_page1_2026-08-01_08.jsonp").read_bytes()
    busy = (API / "sse/queryCompanyBulletinNew_error_busy.jsonp").read_bytes()
    replay.script(SSE_PATH, Scripted(200, page1), *[Scripted(200, busy)] * 4)
    adapter = adapter_for("sse", HttpClient(s), s)
    with pytest.raises(ExchangeBusyError, match="系统繁忙"):
        adapter.search(Query(start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 8)))
    params = [h[2] for h in replay.hits if h[1] == SSE_PATH]
    assert [p["pageHelp.pageNo"][0] for p in params] == ["1", "2", "2", "2", "2"]  # 1 + max_retries
    assert params[0]["START_DATE"] == ["2026-08-01"] and params[0]["jsonCallBack"][0].startswith("jsonpCallback")


def test_sse_busy_then_success(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    page = json.loads((API / "sse/queryCompanyBulletinNew_page1_2026-08-01_08.jsonp").read_text("utf-8")[9:-1])
    page["pageHelp"]["pageCount"] = 1
    body = ("jsonpCallback1(" + json.dumps(page, ensure_ascii=False) + ")").encode()
    busy = (API / "sse/queryCompanyBulletinNew_error_busy.jsonp").read_bytes()
    replay.script(SSE_PATH, Scripted(200, busy), Scripted(200, body))
    result = adapter_for("sse", HttpClient(s), s).search(Query(start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 8)))
    assert len(result.announcements) == 26


def test_sse_code_filter_is_applied(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    page1 = json.loads((API / "sse/queryCompanyBulletinNew_page1_2026-08-01_08.jsonp").read_text("utf-8")[9:-1])
    page1["pageHelp"]["pageCount"] = 1
    body = ("jsonpCallback1(" + json.dumps(page1, ensure_ascii=False) + ")").encode()
    replay.script(SSE_PATH, Scripted(200, body))
    result = adapter_for("sse", HttpClient(s), s).search(Query(codes=("600288",)))
    assert [a.sec_code for a in result.announcements] == ["600288", "600288"]
    assert [h[2]["SECURITY_CODE"] for h in replay.hits if h[1] == SSE_PATH] == [["600288"]]


def test_bse_adapter_reads_the_recorded_page(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    path = "/disclosureInfoController/companyAnnouncement.do"
    empty = (API / "bse/disclosure_announcement_empty.jsonp").read_bytes()
    replay.script(
        path, Scripted(200, (API / "bse/disclosure_announcement_page.jsonp").read_bytes()), Scripted(200, empty)
    )
    result = adapter_for("bse", HttpClient(s), s).search(Query(keyword="报告"))
    assert [a.title for a in result.announcements] == ["酉立智能:2026年半年度报告"]
    pages = [h[2]["page"][0] for h in replay.hits if h[1] == path]
    assert pages == ["0", "1"]  # 0-based, stops at the empty page
    assert not result.complete  # 665 reported, 1 group read: visible, not silent


# --- no recordings exist for these two: responses in the sites' documented shapes ---------------------

SZSE_PAGE = {
    "announceCount": 2,
    "data": [
        {
            "id": "5f1c0d2e-aaaa-4bbb-8ccc-000000000001",
            "annId": 1219000001,
            "title": "关于<em>招股说明书</em>的提示性公告",
            "publishTime": "2024-03-15 00:00:00",
            "attachPath": "/disc/disk03/finalpage/2024-03-15/abc.PDF",
            "attachFormat": "PDF",
            "attachSize": 345,
            "secCode": ["301563"],
            "secName": ["云汉芯城"],
            "bigCategoryId": ["0101"],
        },
        {
            "id": "5f1c0d2e-aaaa-4bbb-8ccc-000000000002",
            "title": "董事会决议公告",
            "publishTime": "2024-03-14 00:00:00",
            "attachPath": "",
            "secCode": ["301563"],
            "secName": ["云汉芯城"],
        },
    ],
}


def test_szse_ann_list(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    replay.script("/api/disc/announcement/annList", Scripted(200, json.dumps(SZSE_PAGE, ensure_ascii=False).encode()))
    result = adapter_for("szse", HttpClient(s), s).search(Query(codes=("301563",)))
    first, second = result.announcements
    assert first.title == "关于招股说明书的提示性公告" and first.published == dt.date(2024, 3, 15)
    assert first.pdf_url == f"{replay.url}/download/disc/disk03/finalpage/2024-03-15/abc.PDF"
    assert second.pdf_url is None and result.complete


NEEQ_PAGE = [
    {
        "listInfo": {
            "content": [
                {
                    "disclosureCode": "1a2b",
                    "disclosureTitle": "[临时公告]某某科技:关于召开2024年第一次临时股东大会通知",
                    "companyCd": "833333",
                    "companyName": "某某科技",
                    "publishDate": "2024-03-15",
                    "destFilePath": "/disclosure/2024/2024-03-15/1a2b.pdf",
                    "disclosureType": "9504",
                }
            ],
            "totalElements": 1,
            "totalPages": 1,
            "number": 0,
            "lastPage": True,
            "firstPage": True,
        }
    }
]


def test_neeq_list_info_wrapper(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    body = ("null(" + json.dumps(NEEQ_PAGE, ensure_ascii=False) + ")").encode()
    replay.script("/disclosureInfoController/companyAnnouncement.do", Scripted(200, body))
    (a,) = adapter_for("neeq", HttpClient(s), s).search(Query()).announcements
    assert (a.key, a.category, a.title) == ("neeq:1a2b", "临时公告", "某某科技:关于召开2024年第一次临时股东大会通知")
    assert a.pdf_url == f"{replay.url}/disclosure/2024/2024-03-15/1a2b.pdf"


def test_unknown_exchange(settings) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown exchange"):
        adapter_for("hkex", HttpClient(settings), settings)  # type: ignore[arg-type]
