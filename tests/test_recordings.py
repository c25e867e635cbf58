"""Every real recording in ../shared/corpus/api, parsed by its adapter (or rejected clearly)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from core import urls
from core.errors import ExchangeBusyError, ExchangeResponseError
from core.settings import Settings
from scrapers import cninfo, disclosure, sse
from scrapers.base import BEIJING
from scrapers.payload import decode_text, parse_json_payload
from tests.conftest import API

S = Settings(
    cninfo_static_url="http://static.cninfo.com.cn",
    sse_static_url="https://static.sse.com.cn",
    bse_base_url="https://www.bse.cn",
)


def load(name: str) -> Any:
    return parse_json_payload(decode_text((API / name).read_bytes()))


# --- cninfo ----------------------------------------------------------------------------------------


def test_cninfo_query_page() -> None:
    page = cninfo.parse_query_page(load("cninfo/hisAnnouncement_query_page_latest.json"), S)
    assert page.total == 355474 and page.total_pages == 11850 and page.has_more is True
    first, second, third = page.announcements
    assert first.key == "cninfo:1225461893"
    assert (first.sec_code, first.sec_name, first.org_id) == ("600180", "*ST瑞茂", "gssh0600180")
    assert first.title == "关于控股股东股份被轮候冻结的公告"
    # 1786032000000 ms is 2026-08-06T16:00Z = 2026-08-07 00:00 in Beijing, the finalpage folder date
    assert first.published == dt.date(2026, 8, 7)
    assert first.published_at == dt.datetime(2026, 8, 7, 0, 0, tzinfo=BEIJING)
    assert first.pdf_url == "http://static.cninfo.com.cn/finalpage/2026-08-07/1225461893.PDF"
    assert first.size_kb == 95
    assert second.published == dt.date(2026, 8, 6) and second.org_id == "9900032565"
    assert third.pdf_url is None  # empty adjunctUrl: not posted yet, never a broken URL


def test_cninfo_em_highlight_is_stripped() -> None:
    row = load("cninfo/hisAnnouncement_query_page_latest.json")["announcements"][0]
    row["announcementTitle"] = "关于<em>招股说明书</em>的提示性公告&amp;附件"
    assert cninfo.parse_announcement(row, S).title == "关于招股说明书的提示性公告&附件"


def test_cninfo_empty_page() -> None:
    page = cninfo.parse_query_page(load("cninfo/hisAnnouncement_query_empty.json"), S)
    assert page.announcements == [] and page.total == 0 and page.has_more is False


def test_cninfo_null_announcements_is_empty_not_a_crash() -> None:
    assert cninfo.parse_query_page({"announcements": None, "totalRecordNum": 0}, S).announcements == []


def test_cninfo_research_records() -> None:
    page = cninfo.parse_query_page(load("cninfo/hisAnnouncement_query_research_records.json"), S)
    assert page.total == 75 and [a.sec_code for a in page.announcements] == ["300423", "300281"]
    assert page.announcements[1].title == "2026年8月6日投资者关系活动记录表"


@pytest.mark.parametrize(
    "name, rows, code, org, short",
    [
        ("cninfo/szse_stock_2021-09.json", 4763, "000001", "gssz0000001", "平安银行"),
        ("cninfo/szse_stock_2026-06_bom_doubleencoded.json", None, "600519", "gssh0600519", "贵州茅台"),
        ("cninfo/bj_stock_2026-06_bom_doubleencoded.json", None, "920100", None, "三协电机"),
    ],
)
def test_stock_lists(name: str, rows: int | None, code: str, org: str | None, short: str) -> None:
    stocks = cninfo.parse_stock_list((API / name).read_bytes())
    if rows is not None:
        assert len(stocks) >= rows - 5  # a few codes appear twice (A share + fund) and are merged
    assert stocks[code].name == short
    if org:
        assert stocks[code].org_id == org


def test_bj_stock_list_has_only_bse_codes() -> None:
    stocks = cninfo.parse_stock_list((API / "cninfo/bj_stock_2026-06_bom_doubleencoded.json").read_bytes())
    assert len(stocks) == 560
    assert all(code.startswith(("92", "8", "4")) for code in stocks)


@pytest.mark.parametrize(
    "name, org",
    [
        ("cninfo/page_disclosure_stock_600519.html", "gssh0600519"),
        ("cninfo/page_disclosure_stock_300750.html", None),  # this shell page carries no orgId
    ],
)
def test_org_id_from_the_disclosure_page(name: str, org: str | None) -> None:
    html = decode_text((API / name).read_bytes())
    assert cninfo.org_id_from_stock_page(html) == org


@pytest.mark.parametrize(
    "name",
    [
        "cninfo/companyOverview_getCompanyIntroduction_600519.json",
        "cninfo/companyOverview_getCompanyExecutives_600519.json",
        "cninfo/webapi_company_list_export.json",
    ],
)
def test_other_cninfo_json_is_rejected_as_a_query_page(name: str) -> None:
    payload = load(name)  # valid JSON (with BOM), but not an announcement page
    with pytest.raises(ExchangeResponseError, match="announcements"):
        cninfo.parse_query_page(payload, S)


# --- SSE ---------------------------------------------------------------------------------------------


def test_sse_page_with_groups_and_attachments() -> None:
    page = sse.parse_bulletin_page(load("sse/queryCompanyBulletinNew_page1_2026-08-01_08.jsonp"), S)
    assert (page.total, page.total_pages, page.rows) == (2814, 113, 25)
    assert len(page.announcements) == 26
    first = page.announcements[0]
    assert (first.sec_code, first.sec_name, first.published) == ("600011", "华能国际", dt.date(2026, 8, 8))
    assert first.title == "华能国际关于第十期中期票据发行的公告"
    assert first.pdf_url == (
        "https://static.sse.com.cn/disclosure/listedinfo/announcement/c/new/2026-08-08/600011_20260808_MFAI.pdf"
    )
    dh = [a for a in page.announcements if a.sec_code == "600288"]
    assert len(dh) == 2 and dh[0].org_id == dh[1].org_id == "6648117673182288"
    assert dh[0].key != dh[1].key  # main document and attachment share ORG_BULLETIN_ID
    assert len({a.key for a in page.announcements}) == 26


def test_sse_busy_error_without_callback_name() -> None:
    with pytest.raises(ExchangeBusyError, match="系统繁忙"):
        sse.parse_bulletin_page(load("sse/queryCompanyBulletinNew_error_busy.jsonp"), S)


# --- BSE ----------------------------------------------------------------------------------------------


def test_bse_page() -> None:
    page = disclosure.parse_disclosure_page(load("bse/disclosure_announcement_page.jsonp"), S, "bse", urls.bse_pdf)
    assert (page.total, page.total_pages, page.has_more, page.rows) == (665, 34, True, 1)
    a, b = page.announcements
    assert a.key == "bse:c5f0804783cd4393b8703ab1f419b779"
    assert (a.sec_code, a.sec_name, a.category) == ("920007", "酉立智能", "定期报告")
    assert a.title == "酉立智能:2026年半年度报告"
    assert a.pdf_url == "https://www.bse.cn/disclosure/2026/2026-08-07/c5f0804783cd4393b8703ab1f419b779.pdf"
    assert b.category == "临时公告" and b.published == dt.date(2026, 8, 7)


def test_bse_empty_page() -> None:
    page = disclosure.parse_disclosure_page(load("bse/disclosure_announcement_empty.jsonp"), S, "bse", urls.bse_pdf)
    assert page.announcements == [] and page.total == 0 and page.has_more is False


def test_bse_parameter_error() -> None:
    with pytest.raises(ExchangeResponseError, match="请求参数异常"):
        disclosure.parse_disclosure_page(
            load("bse/performanceController_list_param_error.jsonp"), S, "bse", urls.bse_pdf
        )


# --- coverage: no recording is left untested ------------------------------------------------------

COVERED: dict[str, Callable[[], object]] = {
    "cninfo/hisAnnouncement_query_page_latest.json": test_cninfo_query_page,
    "cninfo/hisAnnouncement_query_empty.json": test_cninfo_empty_page,
    "cninfo/hisAnnouncement_query_research_records.json": test_cninfo_research_records,
    "cninfo/szse_stock_2021-09.json": test_stock_lists,
    "cninfo/szse_stock_2026-06_bom_doubleencoded.json": test_stock_lists,
    "cninfo/bj_stock_2026-06_bom_doubleencoded.json": test_bj_stock_list_has_only_bse_codes,
    "cninfo/page_disclosure_stock_600519.html": test_org_id_from_the_disclosure_page,
    "cninfo/page_disclosure_stock_300750.html": test_org_id_from_the_disclosure_page,
    "cninfo/page_new_index.html": lambda: None,
    "cninfo/companyOverview_getCompanyIntroduction_600519.json": test_other_cninfo_json_is_rejected_as_a_query_page,
    "cninfo/companyOverview_getCompanyExecutives_600519.json": test_other_cninfo_json_is_rejected_as_a_query_page,
    "cninfo/webapi_company_list_export.json": test_other_cninfo_json_is_rejected_as_a_query_page,
    "sse/queryCompanyBulletinNew_page1_2026-08-01_08.jsonp": test_sse_page_with_groups_and_attachments,
    "sse/queryCompanyBulletinNew_error_busy.jsonp": test_sse_busy_error_without_callback_name,
    "bse/disclosure_announcement_page.jsonp": test_bse_page,
    "bse/disclosure_announcement_empty.jsonp": test_bse_empty_page,
    "bse/performanceController_list_param_error.jsonp": test_bse_parameter_error,
}


def test_every_recording_is_covered() -> None:
    present = {str(p.relative_to(API)) for p in API.rglob("*") if p.is_file()}
    assert present == set(COVERED), f"untested recordings: {sorted(present - set(COVERED))}"


def test_index_page_links_carry_org_ids() -> None:
    html = decode_text((API / "cninfo/page_new_index.html").read_bytes())
    with pytest.raises(ExchangeResponseError):
        parse_json_payload(html)
    assert "/new/disclosure/stock?" in html
