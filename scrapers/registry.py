"""The one place that knows every adapter: a new exchange is its adapter module plus one line here.

The adapter module is the exchange's one home: its request shape, its category codes (registered
with :func:`core.categories.register_exchange` when the module is imported, so the run's parameters
are checked against them) and its URLs (built from the base URLs in :mod:`core.urls`).
"""

from __future__ import annotations

from collections.abc import Callable

from core.records import Exchange
from core.settings import Settings
from scrapers.base import Adapter
from scrapers.bse import BseAdapter
from scrapers.cninfo import CninfoAdapter
from scrapers.http import HttpClient
from scrapers.neeq import NeeqAdapter
from scrapers.sse import SseAdapter
from scrapers.szse import SzseAdapter

#: exchange → factory taking the shared HTTP client and the settings
ADAPTERS: dict[str, Callable[[HttpClient, Settings], Adapter]] = {
    "cninfo": CninfoAdapter,
    "sse": SseAdapter,
    "szse": SzseAdapter,
    "bse": BseAdapter,
    "neeq": NeeqAdapter,
}


def register(source: str, factory: Callable[[HttpClient, Settings], Adapter]) -> None:
    """Add an exchange (its module registers its category codes with core.categories.register_exchange)."""
    ADAPTERS[source] = factory


def adapter_for(source: Exchange | str, http: HttpClient, settings: Settings) -> Adapter:
    try:
        factory = ADAPTERS[source]
    except KeyError:
        raise ValueError(f"unknown exchange {source!r}; choose one of {sorted(ADAPTERS)}") from None
    return factory(http, settings)
