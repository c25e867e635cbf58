"""SSE 上交所 adapter: ``query.sse.com.cn/security/stock/queryCompanyBulletinNew.do`` (JSONP).

Rows come as *groups*: each group is a list holding the main document (``ORG_FILE_TYPE`` 0) and its
attachments (``ORG_FILE_TYPE`` 1), which share one ``ORG_BULLETIN_ID``. ``pageHelp.total`` counts groups.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import partial
from typing import Any
from urllib.parse import unquote

from core import urls
from core.categories import name_of, register_exchange
from core.errors import ConfigError, ExchangeBusyError, ExchangeResponseError
from core.records import Announcement, Exchange
from core.settings import Settings
from scrapers.base import (
    Page,
    Query,
    ScrapeResult,
    clean_title,
    collect_pages,
    parse_date,
    parse_rows,
    search_each_code,
)
from scrapers.http import HttpClient
from scrapers.payload import expect_dict

log = logging.getLogger(__name__)


#: SSE's company-page periodic-report query (``queryCompanyBulletin.do``): its ``reportType`` (RSSHub's
#: sse/disclosure route and the SSE scrapers send these); no other category has a verified code here.
SSE_REPORT_TYPES: dict[str, str] = {
    "category_ndbg_szsh": "YEARLY",
    "category_yjdbg_szsh": "QUATER1",
    "category_bndbg_szsh": "QUATER2",
    "category_sjdbg_szsh": "QUATER3",
}
register_exchange("sse", SSE_REPORT_TYPES, market="sh-sz")

#: A shares of the main board and the STAR market, as the company page's periodic-report query sends them
SECURITY_TYPES = "0101,120100,020100,020200,120200"


def report_type(categories: tuple[str, ...] | list[str]) -> str | None:
    """SSE's ``reportType`` for a query's one periodic category, None for no category; any other
    category (or several at once) is refused."""
    if not categories:
        return None
    missing = [name_of(c) for c in categories if c not in SSE_REPORT_TYPES]
    if missing:
        raise ConfigError(
            f"SSE's own site takes no category {'、'.join(missing)} here; search cninfo, which covers SSE"
        )
    if len(categories) > 1:
        raise ConfigError("SSE's periodic-report query takes one report type at a time; give one category")
    return SSE_REPORT_TYPES[categories[0]]


def build_params(query: Query, page: int, page_size: int, code: str = "") -> dict[str, str]:
    """What SSE's announcement page sends to ``queryCompanyBulletinNew.do``: ``stockType`` empty for
    every board, ``BULLETIN_TYPE`` empty (no code of it is verified here). ``securityType`` belongs to
    the other endpoint family and is not sent here: see :func:`build_periodic_params`."""
    if query.categories:
        raise ConfigError("SSE's announcement query takes no category; periodic reports use build_periodic_params")
    return {
        "jsonCallBack": f"jsonpCallback{int(time.time() * 1000) % 100000}",
        "isPagination": "true",
        "pageHelp.pageSize": str(page_size),
        "pageHelp.cacheSize": "1",
        "pageHelp.pageNo": str(page),
        "pageHelp.beginPage": str(page),
        "pageHelp.endPage": str(page),
        "START_DATE": query.start.isoformat() if query.start else "",
        "END_DATE": query.end.isoformat() if query.end else "",
        "SECURITY_CODE": code,
        "TITLE": query.keyword or "",
        "BULLETIN_TYPE": "",
        "stockType": "",
    }


def build_periodic_params(query: Query, page: int, page_size: int, code: str = "") -> dict[str, str]:
    """The company page's periodic-report query, ``queryCompanyBulletin.do`` (RSSHub's sse/disclosure
    route sends the same keys): ``securityType``, ``reportType`` (YEARLY, QUATER1, QUATER2, QUATER3)
    with ``reportType2=DQBG`` (定期报告: the site's own page sends it, and without it the result set
    differs), ``productId`` for the code."""
    kind = report_type(query.categories)
    return {
        "isPagination": "true",
        "securityType": SECURITY_TYPES,
        "reportType2": "DQBG",
        "reportType": kind or "ALL",
        "productId": code,
        "beginDate": query.start.isoformat() if query.start else "",
        "endDate": query.end.isoformat() if query.end else "",
        "pageHelp.pageSize": str(page_size),
        "pageHelp.pageNo": str(page),
        "pageHelp.beginPage": str(page),
        "pageHelp.cacheSize": "1",
        "pageHelp.endPage": str(page),
    }


def _record(r: dict[str, Any], settings: Settings) -> Announcement:
    path = unquote(str(r.get("URL") or "").replace("\\/", "/"))
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Announcement(
        source="sse",
        # main file and attachments share ORG_BULLETIN_ID; the file name is unique.
        announcement_id=stem or str(r["ORG_BULLETIN_ID"]),
        sec_code=str(r.get("SECURITY_CODE") or ""),
        sec_name=str(r.get("SECURITY_NAME") or ""),
        title=clean_title(str(r.get("TITLE") or "")),
        published=parse_date(str(r.get("SSEDATE") or r.get("ADDDATE") or "")),
        pdf_url=urls.sse_pdf(settings, path) if path else None,
        category=r.get("BULLETIN_TYPE_DESC") or None,
        org_id=str(r.get("ORG_BULLETIN_ID") or "") or None,
    )


def parse_bulletin_page(payload: Any, settings: Settings, *, url: str | None = None) -> Page:
    data = expect_dict(payload, what="SSE bulletin query", url=url)
    if str(data.get("success", "true")).lower() == "false" or data.get("error"):
        message = str(data.get("error") or data)
        if "繁忙" in message or "稍后" in message:
            raise ExchangeBusyError(f"SSE is busy: {message}", url=url)
        raise ExchangeResponseError(f"SSE reported an error: {message}", url=url)
    help_ = data.get("pageHelp")
    if not isinstance(help_, dict):
        raise ExchangeResponseError("SSE response has no 'pageHelp'", url=url, snippet=str(list(data))[:120])
    groups = help_.get("data") or data.get("result") or []
    members = [r for g in groups for r in (g if isinstance(g, list) else [g])]
    anns, rejected = parse_rows(members, lambda r: _record(r, settings), "sse")
    return Page(anns, total=help_.get("total"), total_pages=help_.get("pageCount"), rows=len(groups), rejected=rejected)


class SseAdapter:
    source: Exchange = "sse"

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings

    def _fetch(self, query: Query, code: str, page: int) -> Page:
        if query.categories:  # periodic reports: the company page's own query
            url = urls.sse_periodic_query(self.settings)
            params = build_periodic_params(query, page, 25, code)
            referer = f"https://www.sse.com.cn/assortment/stock/list/info/announcement/index.shtml?productId={code}"
        else:
            url = urls.sse_bulletin_query(self.settings)
            params, referer = build_params(query, page, 25, code), "https://www.sse.com.cn/"
        for attempt in range(self.settings.max_retries + 1):
            payload = self.http.get_json(url, params=params, headers={"Referer": referer})
            try:
                return parse_bulletin_page(payload, self.settings, url=url)
            except ExchangeBusyError:
                if attempt == self.settings.max_retries:
                    raise
                delay = self.http.backoff(attempt)
                log.warning("SSE busy on page %d; retry %d in %.1fs", page, attempt + 1, delay)
                self.http.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def search(self, query: Query) -> ScrapeResult:
        if not (query.start and query.end):
            end = query.end or dt.date.today()
            query = query.model_copy(update={"start": query.start or end - dt.timedelta(days=365), "end": end})
        return search_each_code(
            query, "sse", lambda code: collect_pages(partial(self._fetch, query, code), source="sse")
        )
