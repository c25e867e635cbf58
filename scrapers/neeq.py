"""NEEQ 全国股转 (neeq.com.cn): its own announcement query, and the one-line refusal that points to cninfo.

NEEQ's announcements are searched on cninfo by default (``--market 三板``: ``column=third``, NEEQ's own
categories). Its own site answers scripted clients with 403 or a redirect loop, for pages and PDFs
alike; when it does, the search fails with one line that names the cninfo route.

The query: ``POST /disclosureInfoController/companyAnnouncement.do?callback=…`` (current references;
``infoResult_zh.do`` appears only in references from 2020–22) with ``disclosureType[]=5``, ``page``,
``startTime``, ``endTime``, ``companyCd``, ``isNewThree=1``, ``keyword``, ``needFields[]`` and
``sortfield=xxssdq``/``sorttype=asc``; the answer is ``[{"listInfo": {…}}]``.
"""

from __future__ import annotations

from core import urls
from core.categories import register_exchange
from core.errors import BlockedError, ScrapeError
from core.records import Exchange
from scrapers.base import Query, ScrapeResult
from scrapers.disclosure import NEED_FIELDS, DisclosureAdapter

register_exchange("neeq", {}, market="neeq")
#: where NEEQ's announcements are searched when its own site refuses
CNINFO_ROUTE = "--exchange cninfo --market 三板 (cninfo column=third)"


def announcement_form(query: Query, code: str, page: int) -> list[tuple[str, str]]:
    return [
        ("disclosureType[]", "5"),
        ("page", str(page)),
        ("startTime", query.start.isoformat() if query.start else ""),
        ("endTime", query.end.isoformat() if query.end else ""),
        ("companyCd", code),
        ("isNewThree", "1"),
        ("keyword", query.keyword or ""),
        *(("needFields[]", f) for f in NEED_FIELDS),
        ("sortfield", "xxssdq"),
        ("sorttype", "asc"),
    ]


class NeeqAdapter(DisclosureAdapter):
    source: Exchange = "neeq"
    _endpoint = staticmethod(urls.neeq_announcements)
    _pdf = staticmethod(urls.neeq_pdf)
    _page = staticmethod(urls.neeq_announcement_page)

    def form(self, query: Query, code: str, page: int) -> list[tuple[str, str]]:
        self.own_categories_only("NEEQ", query)
        return announcement_form(query, code, page)

    def search(self, query: Query) -> ScrapeResult:
        try:
            return super().search(query)
        except BlockedError as exc:
            raise BlockedError(f"neeq.com.cn refused the query (403); search NEEQ on cninfo: {CNINFO_ROUTE}") from exc
        except ScrapeError as exc:
            if "redirect" not in str(exc):
                raise
            raise ScrapeError(
                f"neeq.com.cn answered with a redirect loop; search NEEQ on cninfo: {CNINFO_ROUTE}"
            ) from exc
