"""BSE 北交所 (bse.cn) and NEEQ 全国股转 (neeq.com.cn) adapters.

Both sites run the same disclosure platform: JSONP around a Spring-Data page of disclosure records
(``disclosureCode``, ``disclosureTitle`` "[类别]简称:标题", ``destFilePath``, ``publishDate``).
BSE wraps the page as ``{"data": {...}}`` and may group records as ``{"disclosures": [...]}``;
NEEQ wraps it as ``[{"listInfo": {...}}]``. Errors come back as ``[{"msg": "请求参数异常"}]``.
Pages are 0-based.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from core import urls
from core.errors import ConfigError, ExchangeResponseError, PipelineError
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

log = logging.getLogger(__name__)
#: the record fields :func:`parse_disclosure_page` reads
NEED_FIELDS = ("companyCd", "companyName", "disclosureTitle", "destFilePath", "publishDate", "disclosureCode")
_BRACKET = re.compile(r"^\s*\[(?P<cat>[^\]]+)\]\s*")


def _page_body(payload: Any, url: str | None) -> dict[str, Any]:
    if isinstance(payload, list):
        if payload and isinstance(payload[0], dict) and "listInfo" in payload[0]:
            body = payload[0]["listInfo"]
        elif payload and isinstance(payload[0], dict) and "msg" in payload[0]:
            raise ExchangeResponseError(f"exchange reported an error: {payload[0]['msg']}", url=url)
        else:
            raise ExchangeResponseError("unexpected disclosure payload (list)", url=url, snippet=str(payload)[:160])
    elif isinstance(payload, dict):
        if "msg" in payload and "data" not in payload:
            raise ExchangeResponseError(f"exchange reported an error: {payload['msg']}", url=url)
        body = payload.get("data", payload.get("listInfo"))
    else:
        raise ExchangeResponseError("unexpected disclosure payload", url=url, snippet=str(payload)[:160])
    if not isinstance(body, dict) or "content" not in body:
        raise ExchangeResponseError("disclosure page has no 'content'", url=url, snippet=str(body)[:160])
    return body


def parse_disclosure_page(
    payload: Any,
    settings: Settings,
    source: Exchange,
    pdf_url: Callable[[Settings, str], str],
    *,
    url: str | None = None,
) -> Page:
    body = _page_body(payload, url)
    content = body.get("content") or []

    def one(r: dict[str, Any]) -> Announcement:
        raw_title = str(r.get("disclosureTitle") or "")
        m = _BRACKET.match(raw_title)
        path = str(r.get("destFilePath") or "")
        return Announcement(
            source=source,
            announcement_id=str(r["disclosureCode"]),
            sec_code=str(r.get("companyCd") or ""),
            sec_name=str(r.get("companyName") or ""),
            title=clean_title(raw_title[m.end() :] if m else raw_title),
            published=parse_date(str(r["publishDate"])),
            pdf_url=pdf_url(settings, path) if path else None,
            category=(m.group("cat") if m else None) or r.get("disclosureType"),
        )

    members = [r for item in content for r in (item.get("disclosures", [item]) if isinstance(item, dict) else [item])]
    anns, rejected = parse_rows(members, one, source)
    return Page(
        anns,
        total=body.get("totalElements"),
        total_pages=body.get("totalPages"),
        has_more=None if body.get("lastPage") is None else not body["lastPage"],
        rows=len(content),
        rejected=rejected,
    )


class _DisclosureAdapter:
    source: Exchange
    _endpoint: Callable[[Settings], str]
    _pdf: Callable[[Settings, str], str]

    _page: Callable[[Settings], str]

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self._warm = False

    def form(self, query: Query, code: str, page: int) -> list[tuple[str, str]]:
        """The form the sites' own page posts: array fields as one repeated key per value, left out when
        unused (akshare PR #3527); ``needFields[]`` names every field the parser reads, ``disclosureCode``
        included (the page's own list omits it, and without it no row has an id). The sites'
        ``disclosureType`` codes for the vocabulary's categories are not verified here: a cninfo category
        is refused (core.categories); the site's own numeric codes (``9503``) pass as given."""
        foreign = [c for c in query.categories if not (c.isascii() and c.isdigit())]
        if foreign:
            raise ConfigError(f"{self.source}'s own site takes no category {', '.join(foreign)} here; search cninfo")
        fields = [
            ("page", str(page)),
            ("companyCd", code),
            ("isNewThree", "1"),
            ("keyword", query.keyword or ""),
            ("startTime", query.start.isoformat() if query.start else ""),
            ("endTime", query.end.isoformat() if query.end else ""),
            ("sortfield", "publishDate"),
            ("sorttype", "desc"),
        ]
        return fields + [("disclosureType[]", c) for c in query.categories] + [("needFields[]", f) for f in NEED_FIELDS]

    def headers(self) -> dict[str, str]:
        page = type(self)._page(self.settings)
        return {"Referer": page, "Origin": page.split("/disclosure/")[0], "X-Requested-With": "XMLHttpRequest"}

    def warm_up(self) -> None:
        """Visit the announcement page once, as a browser does, for the cookies the API expects;
        a direct POST without them is answered 403 (akshare #4073). Its own failure is not fatal."""
        if self._warm:
            return
        self._warm = True
        try:
            self.http.get_bytes(type(self)._page(self.settings), headers={"Accept": "text/html,*/*"})
        except PipelineError as exc:
            log.info("%s: warm-up page not available (%s); querying anyway", self.source, exc)

    def _fetch(self, query: Query, code: str, page: int) -> Page:
        self.warm_up()
        url = type(self)._endpoint(self.settings)
        payload = self.http.get_json(
            url, method="POST", params={"callback": "cb"}, data=self.form(query, code, page), headers=self.headers()
        )
        return parse_disclosure_page(payload, self.settings, self.source, type(self)._pdf, url=url)

    def search(self, query: Query) -> ScrapeResult:
        return search_each_code(
            query,
            self.source,
            lambda code: collect_pages(partial(self._fetch, query, code), source=self.source, first=0),
        )


class BseAdapter(_DisclosureAdapter):
    source: Exchange = "bse"
    _endpoint = staticmethod(urls.bse_announcements)
    _pdf = staticmethod(urls.bse_pdf)
    _page = staticmethod(urls.bse_announcement_page)


class NeeqAdapter(_DisclosureAdapter):
    source: Exchange = "neeq"
    _endpoint = staticmethod(urls.neeq_announcements)
    _pdf = staticmethod(urls.neeq_pdf)
    _page = staticmethod(urls.neeq_announcement_page)
