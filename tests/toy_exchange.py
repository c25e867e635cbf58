"""A toy exchange, whole in one module as every adapter is: its request shape, its category codes (and
the cninfo market its site covers, none here), registered with core.categories when the module is
imported, its URL and its parsing. tests/test_markets.py adds it with one line,
``registry.register("toy", ToyAdapter)``, and runs it through the run's own entry points.

The toy site answers ``GET {BASE_URL}/toy/announcements?type=ANNUAL&code=…&page=N`` with
``{"total": n, "pages": p, "rows": [{"id", "code", "name", "title", "date", "file"}]}``.
"""

from __future__ import annotations

from typing import Any

from core.categories import register_exchange
from core.records import Announcement, Exchange
from core.settings import Settings
from scrapers.base import Page, Query, ScrapeResult, collect_pages, parse_date, parse_rows, search_each_code
from scrapers.http import HttpClient
from scrapers.payload import expect_dict

#: the vocabulary's categories this exchange has codes for (vocabulary key → the site's own code)
TOY_CATEGORIES = {"category_ndbg_szsh": "ANNUAL"}
register_exchange("toy", TOY_CATEGORIES)

#: the live site (a test points it at the local replay server)
BASE_URL = "https://toy.example"


def parse_page(payload: Any, *, url: str) -> Page:
    body = expect_dict(payload, what="toy announcements", url=url)

    def one(r: dict[str, Any]) -> Announcement:
        return Announcement(
            source="toy",
            announcement_id=str(r["id"]),
            sec_code=str(r["code"]),
            sec_name=str(r["name"]),
            title=str(r["title"]),
            published=parse_date(str(r["date"])),
            pdf_url=f"{BASE_URL}/toy/files/{r['file']}" if r.get("file") else None,
        )

    anns, rejected = parse_rows(body.get("rows") or [], one, "toy")
    return Page(anns, total=body.get("total"), total_pages=body.get("pages"), rejected=rejected)


class ToyAdapter:
    source: Exchange = "toy"

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http, self.settings = http, settings

    def _fetch(self, query: Query, code: str, page: int) -> Page:
        url = f"{BASE_URL}/toy/announcements"
        params = {"type": ",".join(TOY_CATEGORIES[c] for c in query.categories), "code": code, "page": page}
        return parse_page(self.http.get_json(url, params=params), url=url)

    def search(self, query: Query) -> ScrapeResult:
        return search_each_code(
            query, "toy", lambda code: collect_pages(lambda p: self._fetch(query, code, p), source="toy")
        )
