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


def build_params(query: Query, page: int, page_size: int, code: str = "") -> dict[str, str]:
    """What SSE's announcement page sends to ``queryCompanyBulletinNew.do``: ``stockType`` empty for
    every board. ``securityType`` belongs to the other endpoint family (``queryCompanyBulletin.do``)
    and is not sent; no SSE ``BULLETIN_TYPE`` code is verified here, so categories are refused
    (core.categories) and the field stays empty."""
    if query.categories:
        raise ConfigError("SSE's own site takes no category here; search cninfo, which covers SSE")
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
        url = urls.sse_bulletin_query(self.settings)
        for attempt in range(self.settings.max_retries + 1):
            payload = self.http.get_json(
                url, params=build_params(query, page, 25, code), headers={"Referer": "https://www.sse.com.cn/"}
            )
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
