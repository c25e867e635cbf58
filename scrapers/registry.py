"""The one place that knows every adapter: a new exchange is its adapter module plus one line here.

Its URLs are built in :mod:`core.urls` (one flat module of ``build_*`` functions over the base URLs,
as edgartools keeps them), its request shapes in the adapter.
"""

from __future__ import annotations

from collections.abc import Callable

from core.records import Exchange
from core.settings import Settings
from scrapers.base import Adapter
from scrapers.cninfo import CninfoAdapter
from scrapers.disclosure import BseAdapter, NeeqAdapter
from scrapers.http import HttpClient
from scrapers.sse import SseAdapter
from scrapers.szse import SzseAdapter

#: exchange → factory taking the shared HTTP client and the settings
ADAPTERS: dict[Exchange, Callable[[HttpClient, Settings], Adapter]] = {
    "cninfo": CninfoAdapter,
    "sse": SseAdapter,
    "szse": SzseAdapter,
    "bse": BseAdapter,
    "neeq": NeeqAdapter,
}


def adapter_for(source: Exchange, http: HttpClient, settings: Settings) -> Adapter:
    try:
        factory = ADAPTERS[source]
    except KeyError:
        raise ValueError(f"unknown exchange {source!r}; choose one of {sorted(ADAPTERS)}") from None
    return factory(http, settings)
