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

from core.categories import resolve_category
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


def test_bse_warms_up_then_posts_the_announcement_pages_form_field_for_field(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The BSE crawlers of companyAnnouncement.do post disclosureType[]=5, xxfcbj[]=2, the needFields[]
    and sortfield=xxssdq/sorttype=asc (docs/markets.md names them); the old form sent neither
    disclosureType[] nor xxfcbj[] and sorted by publishDate."""
    s = replay_settings(replay, tmp_path)
    path = "/disclosureInfoController/companyAnnouncement.do"
    replay.script(path, Scripted(200, (API / "bse/disclosure_announcement_empty.jsonp").read_bytes()))
    adapter_for("bse", HttpClient(s), s).search(
        Query(keyword="年度报告", start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31))
    )
    (warm, post) = [h for h in replay.hits if h[1] in (path, "/disclosure/announcement.html")][:2]
    assert (warm[0], warm[1]) == ("GET", "/disclosure/announcement.html")  # cookies first, as a browser
    method, _, form, headers = post
    assert method == "POST" and form.pop("callback") == ["cb"]
    assert form == {
        "page": ["0"],
        "companyCd": [""],
        "isNewThree": ["1"],
        "keyword": ["年度报告"],
        "startTime": ["2023-01-01"],
        "endTime": ["2023-12-31"],
        "disclosureType[]": ["5"],
        "xxfcbj[]": ["2"],
        "needFields[]": [  # one key per value, not 'companyCd,companyName,…'
            "companyCd",
            "companyName",
            "disclosureTitle",
            "disclosurePostTitle",
            "destFilePath",
            "publishDate",
            "xxfcbj",
            "fileExt",
            "xxzrlx",
        ],
        "sortfield": ["xxssdq"],
        "sorttype": ["asc"],
    }
    assert headers["Referer"] == f"{replay.url}/disclosure/announcement.html"
    assert headers["X-Requested-With"] == "XMLHttpRequest"


def test_bse_site_refuses_a_category_it_has_no_listing_for(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from core.errors import ConfigError

    s = replay_settings(replay, tmp_path)
    with pytest.raises(ConfigError, match="no category"):
        adapter_for("bse", HttpClient(s), s).search(Query(categories=("category_ndbg_szsh",)))


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


def test_bse_refuses_a_post_without_the_pages_cookie_and_the_adapter_gets_through(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import requests

    path = "/disclosureInfoController/companyAnnouncement.do"
    bare = requests.post(replay.url + path, data={"page": "0"}, timeout=10)
    assert bare.status_code == 403  # as bse.cn answers a direct POST (akshare #4073)
    s = replay_settings(replay, tmp_path)
    result = adapter_for("bse", HttpClient(s), s).search(Query())
    assert result.announcements
    post = [h for h in replay.hits if h[1] == path][-1]
    assert "JSESSIONID=replay-warm-up" in post[3]["Cookie"]


def _replay_with(extra: list[object]):  # type: ignore[no-untyped-def]
    from replay import ReplayServer
    from replay.server import corpus_catalogue
    from tests.conftest import CORPUS

    return ReplayServer(CORPUS, catalogue=corpus_catalogue(CORPUS, extra))  # type: ignore[arg-type]


def _entry(code: str, org: str, title: str, column: str = "szse", category: str = "category_sf_szsh"):  # type: ignore[no-untyped-def]
    from replay.server import CatalogueEntry
    from tests.conftest import PDF

    pdf = PDF / "announcements" / "000430_zhangjiajie_2016_annual_report.pdf"
    return CatalogueEntry(code, "某某新材", org, title, dt.date(2025, 6, 30), code + "01", category, pdf, column)


def test_a_code_in_no_stock_list_is_found_through_topsearch_and_remembered(tmp_path: Path) -> None:
    # a company publishing its prospectus before it lists: not in szse_stock.json, opaque orgId
    with _replay_with([_entry("301999", "9900123456", "首次公开发行股票并在创业板上市招股意向书")]) as srv:
        s = replay_settings(srv, tmp_path)
        result = CninfoAdapter(HttpClient(s), s).search(Query(codes=("301999",)))
        assert [a.title for a in result.announcements] == ["首次公开发行股票并在创业板上市招股意向书"]
        (lookup,) = [h for h in srv.hits if h[1] == "/new/information/topSearch/query"]
        assert lookup[0] == "POST" and lookup[2] == {"keyWord": ["301999"], "maxNum": ["10"]}
        query = next(h for h in srv.hits if h[1] == QUERY)
        assert query[2]["stock"] == ["301999,9900123456"]
        assert json.loads((s.data_dir / "cninfo_orgids.json").read_text("utf-8"))["301999"]["orgId"] == "9900123456"
        CninfoAdapter(HttpClient(s), s).search(Query(codes=("301999",)))  # a later run asks no more
        assert sum(1 for h in srv.hits if h[1] == "/new/information/topSearch/query") == 1


def test_an_unknown_code_is_guessed_with_a_warning_not_silently_empty(tmp_path: Path) -> None:
    with _replay_with([_entry("301998", "9900123457", "招股意向书")]) as srv:
        srv.script("/new/information/topSearch/query", Scripted(200, b"[]"))
        s = replay_settings(srv, tmp_path)
        result = CninfoAdapter(HttpClient(s), s).search(Query(codes=("301998",)))
        assert result.announcements == []  # the guessed orgId finds nothing, as on the live site
        assert any("guessed orgId gssz0301998" in w for w in result.warnings)


def test_neeq_companies_are_searched_on_cninfo_with_column_third_and_their_own_categories(tmp_path: Path) -> None:
    annual = _entry("874999", "gfzr874999", "2024年年度报告", column="third", category="category_dqgg")
    with _replay_with([annual]) as srv:
        s = replay_settings(srv, tmp_path)
        result = CninfoAdapter(HttpClient(s), s).search(Query(codes=("874999",), categories=("category_ndbg_szsh",)))
        assert [a.title for a in result.announcements] == ["2024年年度报告"]
        form = next(h for h in srv.hits if h[1] == QUERY)[2]
        assert form["column"] == ["third"] and form["plate"] == [""]
        assert form["stock"] == ["874999,gfzr874999"] and form["category"] == ["category_dqgg;"]  # 年报 → 定期


def test_szse_periodic_reports_go_to_the_fixed_channel_with_szse_ids(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from core.errors import ConfigError

    s = replay_settings(replay, tmp_path)
    path = "/api/disc/announcement/annList"
    replay.script(path, Scripted(200, b"{}"))
    adapter_for("szse", HttpClient(s), s).search(Query(categories=("category_ndbg_szsh", "category_bndbg_szsh")))
    _, _, _, headers = next(h for h in replay.hits if h[1] == path)
    assert headers["Referer"] == "https://www.szse.cn/disclosure/listed/fixed/index.html"
    assert headers["X-Request-Type"] == "ajax"
    from scrapers.szse import build_body

    body = build_body(Query(categories=("category_ndbg_szsh", "category_bndbg_szsh")), 1)
    assert body["channelCode"] == ["fixed_disc"] and body["bigCategoryId"] == ["010301", "010303"]
    assert build_body(Query(), 1)["channelCode"] == ["listedNotice_disc"] and "bigCategoryId" not in build_body(
        Query(), 1
    )
    with pytest.raises(ConfigError, match="SZSE's own site takes no category 首发"):
        build_body(Query(categories=("category_sf_szsh",)), 1)


def test_sse_sends_no_security_type_and_refuses_cninfo_categories() -> None:
    import pytest

    from core.errors import ConfigError
    from scrapers.sse import build_params

    params = build_params(Query(), 1, 25, "600519")
    assert "securityType" not in params and params["BULLETIN_TYPE"] == "" and params["stockType"] == ""
    with pytest.raises(ConfigError):
        build_params(Query(categories=("category_ndbg_szsh",)), 1, 25)


def test_sse_periodic_reports_use_the_company_pages_query(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from core.errors import ConfigError
    from scrapers.sse import report_type

    s = replay_settings(replay, tmp_path)
    path = "/security/stock/queryCompanyBulletin.do"
    body = b'jsonpCallback1({"result": [], "pageHelp": {"total": 0, "pageCount": 0, "data": []}})'
    replay.script(path, Scripted(200, body))
    query = Query(
        codes=("600519",), categories=("category_ndbg_szsh",), start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30)
    )
    adapter_for("sse", HttpClient(s), s).search(query)
    method, _, params, headers = next(h for h in replay.hits if h[1] == path)
    assert method == "GET" and {k: v[0] for k, v in params.items()} == {
        "isPagination": "true",
        "securityType": "0101,120100,020100,020200,120200",
        "reportType2": "DQBG",  # 定期报告: without it the site's result set differs
        "reportType": "YEARLY",
        "productId": "600519",
        "beginDate": "2025-01-01",
        "endDate": "2025-06-30",
        "pageHelp.pageSize": "25",
        "pageHelp.pageNo": "1",
        "pageHelp.beginPage": "1",
        "pageHelp.cacheSize": "1",
        "pageHelp.endPage": "1",
    }
    assert headers["Referer"].endswith("/announcement/index.shtml?productId=600519")
    assert [report_type([c]) for c in ("category_yjdbg_szsh", "category_bndbg_szsh", "category_sjdbg_szsh")] == [
        "QUATER1",
        "QUATER2",
        "QUATER3",
    ]
    with pytest.raises(ConfigError, match="SSE's own site takes no category 首发"):
        report_type(["category_sf_szsh"])


def test_a_category_an_exchange_has_no_code_for_is_refused_before_the_run() -> None:
    import pytest

    from core.categories import DAILY_DEFAULT
    from core.errors import ConfigError
    from core.params import RunParams

    with pytest.raises(ConfigError, match="sse's own site takes no category 首发"):
        RunParams.checked(exchange="sse", categories=["首发"])
    with pytest.raises(ConfigError, match="bse's own site takes no category 年报"):
        RunParams.checked(exchange="bse", categories=["年报"])
    assert RunParams.checked(exchange="szse", categories=["年报"]).categories == ["category_ndbg_szsh"]
    # NEEQ's own categories, on cninfo's column=third: only with --market 三板 (the 沪深京 column has none)
    assert RunParams.checked(market="三板", categories=["临时公告"]).categories == ["category_lsgg"]
    with pytest.raises(ConfigError, match="NEEQ"):
        RunParams.checked(categories=["临时公告"])
    assert DAILY_DEFAULT == {"cninfo": ("category_sf_szsh",)}
