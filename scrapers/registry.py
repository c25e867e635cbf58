"""The one place that knows every adapter."""

from __future__ import annotations

from core.records import Exchange
from core.settings import Settings
from scrapers.base import Adapter
from scrapers.cninfo import CninfoAdapter
from scrapers.disclosure import BseAdapter, NeeqAdapter
from scrapers.http import HttpClient
from scrapers.sse import SseAdapter
from scrapers.szse import SzseAdapter

ADAPTERS: dict[str, type] = {
    "cninfo": CninfoAdapter,
    "sse": SseAdapter,
    "szse": SzseAdapter,
    "bse": BseAdapter,
    "neeq": NeeqAdapter,
}


def adapter_for(source: Exchange, http: HttpClient, settings: Settings) -> Adapter:
    try:
        cls = ADAPTERS[source]
    except KeyError:
        raise ValueError(f"unknown exchange {source!r}; choose one of {sorted(ADAPTERS)}") from None
    adapter: Adapter = cls(http, settings)
    return adapter
