"""BSE 北交所 (bse.cn): its announcement query and its IPO prospectus zone, as the references call them.

* Announcements: ``POST /disclosureInfoController/companyAnnouncement.do?callback=…`` with the form of
  the site's own announcement page — ``disclosureType[]=5`` (company announcements), ``xxfcbj[]=2``
  (the BSE layer), ``needFields[]`` for each field read, ``sortfield=xxssdq``, ``sorttype=asc``
  (the BSE crawlers found by the code index post these; see docs/markets.md). Rows carry no
  ``disclosureCode``: the id comes from the file name (scrapers.disclosure.row_id).
* Prospectuses (首发): ``GET /disclosureInfoController/zoneInfoResult.do`` with ``disclosureTypes[]=9533``,
  ``page``, ``companyCd``, ``startTime``, ``endTime``, ``keyword``, ``isLink=1`` and the new-issues page
  as Referer — the IPO zone that lists every BSE prospectus; its rows are dated ``pubDate.time``
  (RSSHub DIYgod/RSSHub, lib/routes/bse/index.ts, reads the same endpoint for its zones).
* Renumbered codes: BSE moved its companies to 920xxx codes; their older announcements stay under the
  old code (43xxxx/83xxxx/87xxxx). A row under an old code is kept and filed under the company's 920
  code, which cninfo's BSE stock list gives (both codes share one orgId), so a search by the new code
  and the final-version choice per company see one company.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from core import urls
from core.categories import register_exchange
from core.errors import ScrapeError
from core.records import Exchange
from scrapers.base import Page, Query, ScrapeResult, collect_pages
from scrapers.cninfo import map_renumbered, may_be_renumbered, parse_stock_list, renumbered_codes
from scrapers.disclosure import NEED_FIELDS, DisclosureAdapter, parse_disclosure_page

log = logging.getLogger(__name__)
#: the vocabulary's categories BSE's own site has a verified listing for: 首发 → the IPO zone
ZONE_TYPES: dict[str, str] = {"category_sf_szsh": "9533"}
register_exchange("bse", ZONE_TYPES, market="bj")


def announcement_form(query: Query, code: str, page: int) -> list[tuple[str, str]]:
    """The announcement page's form: array fields as one repeated key per value."""
    return [
        ("page", str(page)),
        ("companyCd", code),
        ("isNewThree", "1"),
        ("keyword", query.keyword or ""),
        ("startTime", query.start.isoformat() if query.start else ""),
        ("endTime", query.end.isoformat() if query.end else ""),
        ("disclosureType[]", "5"),
        ("xxfcbj[]", "2"),
        *(("needFields[]", f) for f in NEED_FIELDS),
        ("sortfield", "xxssdq"),
        ("sorttype", "asc"),
    ]


def zone_params(query: Query, code: str, page: int, zone: str) -> list[tuple[str, str]]:
    """The prospectus zone's query string, in the order the reference sends it."""
    return [
        ("callback", "cb"),
        ("disclosureTypes[]", zone),
        ("page", str(page)),
        ("companyCd", code),
        ("startTime", query.start.isoformat() if query.start else ""),
        ("endTime", query.end.isoformat() if query.end else ""),
        ("keyword", query.keyword or ""),
        ("isLink", "1"),
    ]


class BseAdapter(DisclosureAdapter):
    source: Exchange = "bse"
    _endpoint = staticmethod(urls.bse_announcements)
    _pdf = staticmethod(urls.bse_pdf)
    _page = staticmethod(urls.bse_announcement_page)

    def form(self, query: Query, code: str, page: int) -> list[tuple[str, str]]:
        self.own_categories_only("BSE", query, tuple(ZONE_TYPES))
        return announcement_form(query, code, page)

    def _fetch_zone(self, query: Query, zone: str, code: str, page: int) -> Page:
        url = urls.bse_zone_info(self.settings)
        payload: Any = self.http.get_json(
            url,
            params=zone_params(query, code, page, zone),
            headers={"Referer": urls.bse_issue_page(self.settings), "X-Requested-With": "XMLHttpRequest"},
        )
        return parse_disclosure_page(payload, self.settings, self.source, urls.bse_pdf, url=url)

    def search(self, query: Query) -> ScrapeResult:
        self.own_categories_only("BSE", query, tuple(ZONE_TYPES))
        zones = [ZONE_TYPES[c] for c in query.categories]
        result = ScrapeResult(source=self.source)
        renumbered = self.renumbered() if any(c.startswith("920") for c in query.codes) else {}
        # a 920 code's older rows are filed under its old code: ask for both
        codes = [x for c in query.codes for x in (c, *sorted(o for o, n in renumbered.items() if n == c))]
        for code in codes or [""]:
            if zones:
                for zone in zones:
                    result.extend(
                        collect_pages(partial(self._fetch_zone, query, zone, code), source=self.source, first=0)
                    )
            else:
                result.extend(collect_pages(partial(self._fetch, query, code), source=self.source, first=0))
        if may_be_renumbered(result.announcements):
            result.announcements = map_renumbered(result.announcements, renumbered or self.renumbered())
        result.announcements = [a for a in result.announcements if query.matches(a)]
        return result

    def renumbered(self) -> dict[str, str]:
        """Old code → 920 code, from cninfo's BSE stock list; without it the rows keep their codes."""
        try:
            body, _ = self.http.get_bytes(urls.cninfo_stock_list(self.settings, "bj"))
            return renumbered_codes(parse_stock_list(body, "bj"))
        except ScrapeError as exc:
            log.warning("bse: cninfo's BSE list is not available (%s); rows keep their pre-920 codes", exc)
            return {}
