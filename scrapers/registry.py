"""The one place that knows every adapter: a new exchange is its adapter module plus one line here.

The adapter module is the exchange's one home: its request shape, its category codes and the cninfo
market its site covers (registered with :func:`core.categories.register_exchange` when the module is
imported, so the run's parameters are checked against them) and its URLs. The line here,
``register(name, Factory)``, is what makes the name an exchange: ``core.records.Exchange`` (the run's
parameters, the CLI's ``--exchange`` choices, the UI form) accepts exactly the names registered here.
"""

from __future__ import annotations

from collections.abc import Callable

from core.categories import add_exchange, drop_exchange, registered_exchanges
from core.records import Exchange
from core.settings import Settings
from scrapers.base import Adapter
from scrapers.bse import BseAdapter
from scrapers.cninfo import CninfoAdapter
from scrapers.http import HttpClient
from scrapers.neeq import NeeqAdapter
from scrapers.sse import SseAdapter
from scrapers.szse import SzseAdapter

Factory = Callable[[HttpClient, Settings], Adapter]
#: exchange → factory taking the shared HTTP client and the settings (filled by :func:`register`)
ADAPTERS: dict[str, Factory] = {}


def register(source: str, factory: Factory) -> None:
    """Add an exchange: its adapter for :func:`adapter_for` and its name for :data:`core.records.Exchange`
    (its module registered its category codes with core.categories.register_exchange when imported)."""
    add_exchange(source)
    ADAPTERS[source] = factory


def unregister(source: str) -> None:
    """Remove an exchange (announcements already scraped from it still load from the store)."""
    ADAPTERS.pop(source, None)
    drop_exchange(source)


def exchanges() -> tuple[str, ...]:
    """The registered exchanges, in registration order (the CLI's --exchange choices)."""
    return registered_exchanges()


def adapter_for(source: Exchange | str, http: HttpClient, settings: Settings) -> Adapter:
    try:
        factory = ADAPTERS[source]
    except KeyError:
        raise ValueError(f"unknown exchange {source!r}; choose one of {', '.join(ADAPTERS)}") from None
    return factory(http, settings)


# --- the exchanges: one line each ------------------------------------------------------------------
register("cninfo", CninfoAdapter)
register("sse", SseAdapter)
register("szse", SzseAdapter)
register("bse", BseAdapter)
register("neeq", NeeqAdapter)
