"""A toy exchange, whole in one module as every adapter is: its request shape, its category codes
(registered with core.categories when the module is imported) and its search. Used by
tests/test_markets.py to show that adding an exchange is this module plus one registry line."""

from __future__ import annotations

from core.categories import register_exchange
from core.settings import Settings
from scrapers.base import Query, ScrapeResult
from scrapers.http import HttpClient

#: the vocabulary's categories this exchange has codes for
TOY_CATEGORIES = {"category_ndbg_szsh": "ANNUAL"}
register_exchange("toy", TOY_CATEGORIES)


class ToyAdapter:
    source = "toy"

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http, self.settings = http, settings

    def search(self, query: Query) -> ScrapeResult:
        sent = [f"toy: {c} → {TOY_CATEGORIES[c]}" for c in query.categories]
        return ScrapeResult(source="cninfo", reported_total=1, warnings=sent)
