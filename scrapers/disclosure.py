"""The disclosure platform that BSE 北交所 (bse.cn) and NEEQ 全国股转 (neeq.com.cn) share.

Both sites answer JSONP around a Spring-Data page of disclosure records. The real answer of
``companyAnnouncement.do`` is ``cb([{"status":0,"listInfo":{"content":[…],"totalElements":N,
"totalPages":P,"lastPage":…}}])`` (NEEQ: the same without ``status``), and its rows carry only the
fields the form's ``needFields[]`` ask for — ``companyCd``, ``companyName``, ``disclosureTitle``
"[类别]简称:标题", ``disclosurePostTitle``, ``destFilePath``, ``publishDate``, ``xxfcbj``,
``fileExt``, ``xxzrlx`` — and **no** ``disclosureCode`` (584807419/SomeTools,
sometools/sync_tools/a_正则表达式/提取html内容从html乱码中.py holds such an answer). A row's id is
derived from what it has: the file name of ``destFilePath`` (``1626695732_642086``), which is unique
per document; ``disclosureCode`` is used when an answer carries it. The zone listing
(``zoneInfoResult.do``) dates its rows with ``pubDate: {"time": epoch-ms}`` (RSSHub's bse route).
An older BSE page shape, ``{"data":{"content":[{"disclosures":[…]}]}}``, is still read. Errors come
back as ``[{"msg": "请求参数异常"}]`` or ``[{"status": -1 …}]``. Pages are 0-based.

Each site's own form, codes and URLs live in its module (scrapers/bse.py, scrapers/neeq.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from core.errors import ConfigError, ExchangeResponseError, PipelineError
from core.records import Announcement, Exchange
from core.settings import Settings
from scrapers.base import (
    Page,
    Query,
    ScrapeResult,
    clean_title,
    collect_pages,
    epoch_ms_to_beijing,
    parse_date,
    parse_rows,
    search_each_code,
)
from scrapers.http import HttpClient

log = logging.getLogger(__name__)
#: the record fields the sites' own announcement pages ask for (``needFields[]``), in their order
NEED_FIELDS = (
    "companyCd",
    "companyName",
    "disclosureTitle",
    "disclosurePostTitle",
    "destFilePath",
    "publishDate",
    "xxfcbj",
    "fileExt",
    "xxzrlx",
)
_BRACKET = re.compile(r"^\s*\[(?P<cat>[^\]]+)\]\s*")


def page_body(payload: Any, url: str | None) -> dict[str, Any]:
    """The Spring-Data page inside any of the platform's envelopes (ExchangeResponseError otherwise)."""
    if isinstance(payload, list):
        head = payload[0] if payload and isinstance(payload[0], dict) else None
        if head is None:
            raise ExchangeResponseError("unexpected disclosure payload (list)", url=url, snippet=str(payload)[:160])
        if "msg" in head and "listInfo" not in head:
            raise ExchangeResponseError(f"exchange reported an error: {head['msg']}", url=url)
        if head.get("status") not in (None, 0, "0"):
            status = head.get("status")
            raise ExchangeResponseError(f"exchange answered status {status}", url=url, snippet=str(head)[:160])
        body = head.get("listInfo", head.get("data"))
    elif isinstance(payload, dict):
        if "msg" in payload and "data" not in payload:
            raise ExchangeResponseError(f"exchange reported an error: {payload['msg']}", url=url)
        body = payload.get("data", payload.get("listInfo"))
    else:
        raise ExchangeResponseError("unexpected disclosure payload", url=url, snippet=str(payload)[:160])
    if not isinstance(body, dict) or "content" not in body:
        raise ExchangeResponseError("disclosure page has no 'content'", url=url, snippet=str(body)[:160])
    return body


def row_id(r: dict[str, Any]) -> str:
    """A row's id: its ``disclosureCode`` when the answer has one, else its file's name, which names
    one document (``/disclosure/2021/2021-07-19/1626695732_642086.pdf`` → ``1626695732_642086``)."""
    code = str(r.get("disclosureCode") or "").strip()
    if code:
        return code
    stem = PurePosixPath(str(r.get("destFilePath") or "")).stem
    if not stem:
        raise KeyError("the row has neither disclosureCode nor destFilePath")
    return stem


def row_date(r: dict[str, Any]) -> Any:
    """``publishDate`` ('2021-07-19'), or the zone listing's ``pubDate: {"time": epoch-ms}``."""
    if r.get("publishDate"):
        return parse_date(str(r["publishDate"]))
    pub = r.get("pubDate")
    if isinstance(pub, dict) and isinstance(pub.get("time"), int | float):
        return epoch_ms_to_beijing(pub["time"]).date()
    raise KeyError("publishDate")


def parse_disclosure_page(
    payload: Any,
    settings: Settings,
    source: Exchange,
    pdf_url: Callable[[Settings, str], str],
    *,
    url: str | None = None,
) -> Page:
    body = page_body(payload, url)
    content = body.get("content") or []

    def one(r: dict[str, Any]) -> Announcement:
        raw_title = str(r.get("disclosureTitle") or "") + str(r.get("disclosurePostTitle") or "")
        m = _BRACKET.match(raw_title)
        path = str(r.get("destFilePath") or "")
        return Announcement(
            source=source,
            announcement_id=row_id(r),
            sec_code=str(r.get("companyCd") or ""),
            sec_name=str(r.get("companyName") or ""),
            title=clean_title(raw_title[m.end() :] if m else raw_title),
            published=row_date(r),
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


class DisclosureAdapter:
    """What both sites share: the warm-up visit, the headers, paging and parsing. A site's module
    gives its ``source``, URLs and :meth:`form`."""

    source: Exchange
    _endpoint: Callable[[Settings], str]
    _pdf: Callable[[Settings, str], str]
    _page: Callable[[Settings], str]

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self._warm = False

    def form(self, query: Query, code: str, page: int) -> list[tuple[str, str]]:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def own_categories_only(source: str, query: Query, known: tuple[str, ...] = ()) -> None:
        foreign = [c for c in query.categories if c not in known]
        if foreign:
            raise ConfigError(f"{source}'s own site takes no category {', '.join(foreign)} here; search cninfo")

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
