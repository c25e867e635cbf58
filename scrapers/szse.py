"""SZSE 深交所 adapter: ``POST /api/disc/announcement/annList`` (JSON body, 1-based pages).

No real recording of this endpoint exists in the corpus; the shape follows the public site
(``{"announceCount": N, "data": [{"id", "title", "publishTime", "attachPath", "secCode": [..],
"secName": [..]}]}``) and is covered by tests with a hand-written response.
"""

from __future__ import annotations

from typing import Any

from core import urls
from core.categories import name_of, register_exchange
from core.errors import ConfigError, ExchangeResponseError
from core.records import Announcement, Exchange
from core.settings import Settings
from scrapers.base import Page, Query, ScrapeResult, clean_title, collect_pages, parse_date, parse_rows
from scrapers.http import HttpClient
from scrapers.payload import expect_dict

PAGE_SIZE = 50

#: SZSE's own annList: (channel, bigCategoryId) for the periodic reports (the ids the SZSE annList
#: scrapers and cninfo's older full-text search use); no other category has a verified id here.
SZSE_CATEGORIES: dict[str, tuple[str, str]] = {
    "category_ndbg_szsh": ("fixed_disc", "010301"),
    "category_bndbg_szsh": ("fixed_disc", "010303"),
    "category_yjdbg_szsh": ("fixed_disc", "010305"),
    "category_sjdbg_szsh": ("fixed_disc", "010307"),
}
register_exchange("szse", SZSE_CATEGORIES, market="sh-sz")


#: the page whose XHR posts the query, per channel (sent as Referer, as the browser does)
REFERERS = {
    "listedNotice_disc": "https://www.szse.cn/disclosure/listed/notice/index.html",
    "fixed_disc": "https://www.szse.cn/disclosure/listed/fixed/index.html",
}


def channel_and_ids(categories: tuple[str, ...] | list[str]) -> tuple[str, list[str]]:
    """SZSE's channel and ``bigCategoryId`` list for a query's categories (cninfo codes). Only the
    periodic reports have verified ids (``fixed_disc``); any other category is refused."""
    if not categories:
        return "listedNotice_disc", []
    missing = [name_of(c) for c in categories if c not in SZSE_CATEGORIES]
    if missing:
        raise ConfigError(f"SZSE's own site takes no category {'、'.join(missing)} here; search cninfo")
    channels = {SZSE_CATEGORIES[c][0] for c in categories}
    return channels.pop(), [SZSE_CATEGORIES[c][1] for c in categories]


def build_body(query: Query, page: int) -> dict[str, Any]:
    """The JSON the site's own pages post (RSSHub's szse route and the annList scrapers send the same
    keys): ``fixed_disc`` with ``bigCategoryId`` ids for periodic reports, ``listedNotice_disc`` else."""
    channel, ids = channel_and_ids(query.categories)
    body: dict[str, Any] = {"channelCode": [channel], "pageSize": PAGE_SIZE, "pageNum": page}
    if query.start and query.end:
        body["seDate"] = [query.start.isoformat(), query.end.isoformat()]
    if query.codes:
        body["stock"] = list(query.codes)
    if query.keyword:
        body["searchKey"] = [query.keyword]
    if ids:
        body["bigCategoryId"] = ids
    return body


def _first(v: Any) -> str:
    if isinstance(v, list):
        return str(v[0]) if v else ""
    return str(v or "")


def parse_ann_list(payload: Any, settings: Settings, *, url: str | None = None) -> Page:
    data = expect_dict(payload, what="SZSE annList", url=url)
    if data == {}:
        return Page([])  # past the last page SZSE answers {}: the end, not an error
    if "data" not in data:
        raise ExchangeResponseError("SZSE annList has no 'data'", url=url, snippet=str(list(data))[:120])

    def one(r: dict[str, Any]) -> Announcement:
        path = str(r.get("attachPath") or "")
        return Announcement(
            source="szse",
            announcement_id=str(r.get("id") or r["annId"]),
            sec_code=_first(r.get("secCode")),
            sec_name=_first(r.get("secName")),
            title=clean_title(str(r.get("title") or "")),
            published=parse_date(str(r["publishTime"])),
            pdf_url=urls.szse_pdf(settings, path) if path else None,
            category=_first(r.get("bigCategoryId")) or None,
            size_kb=int(r["attachSize"]) if r.get("attachSize") else None,
        )

    anns, rejected = parse_rows(data.get("data") or [], one, "szse")
    total = data.get("announceCount")
    return Page(anns, total=total, rejected=rejected)  # Page reads a count that is not one as unknown


class SzseAdapter:
    source: Exchange = "szse"

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings

    def _fetch(self, query: Query, page: int) -> Page:
        url = urls.szse_ann_list(self.settings)
        payload = self.http.get_json(
            url,
            method="POST",
            json=build_body(query, page),
            headers={
                "Content-Type": "application/json",
                "Referer": REFERERS[channel_and_ids(query.categories)[0]],
                "X-Request-Type": "ajax",
                "X-Requested-With": "XMLHttpRequest",
            },
        )
        return parse_ann_list(payload, self.settings, url=url)

    def search(self, query: Query) -> ScrapeResult:
        result = collect_pages(lambda p: self._fetch(query, p), source="szse")
        result.announcements = [a for a in result.announcements if query.matches(a)]
        return result
