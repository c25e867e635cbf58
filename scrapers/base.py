"""What every exchange adapter shares: the query, one parsed page, and the pagination driver."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core import progress
from core.records import Announcement, Exchange
from scrapers.payload import payload_boundary

log = logging.getLogger(__name__)

BEIJING = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")
_TAGS = re.compile(r"<[^<>]+>")  # not [^>]: a run of "<" without ">" made it quadratic


class Query(BaseModel):
    """Filters every adapter understands. Unset fields do not filter."""

    model_config = ConfigDict(frozen=True)

    codes: tuple[str, ...] = ()
    keyword: str | None = Field(None, description="substring that must appear in the title")
    categories: tuple[str, ...] = Field((), description="exchange category codes, e.g. category_sf_szsh")
    start: dt.date | None = None
    end: dt.date | None = None
    #: the market a search without codes covers on cninfo (core.categories.Market); None = cninfo's
    #: default column (沪深京). Codes imply their market and override it.
    market: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Query:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        for c in self.codes:
            if not re.fullmatch(r"[0-9]{6}", c):
                raise ValueError(f"stock code must be six digits, got {c!r}")
        return self

    def matches(self, a: Announcement) -> bool:
        """Client-side check of the filters the server may apply loosely (full-text keyword hits)."""
        if self.codes and a.sec_code not in self.codes:
            return False
        if self.keyword and self.keyword not in a.title:
            return False
        if self.start and a.published < self.start:
            return False
        return not (self.end and a.published > self.end)


@dataclass(frozen=True)
class Page:
    announcements: list[Announcement]
    total: int | None = None
    total_pages: int | None = None
    has_more: bool | None = None
    #: rows in the exchange's own unit when it differs from announcements (SSE and BSE count
    #: groups of a main document plus attachments); used for the completeness check.
    rows: int | None = None
    #: rows that could not be parsed: (why, the raw row as text); the other rows are kept
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # counts come from the exchange as it sends them: "120", 120.0, null, a string of text
        for name in ("total", "total_pages", "rows"):
            object.__setattr__(self, name, as_count(getattr(self, name)))
        if not isinstance(self.has_more, bool):
            object.__setattr__(self, "has_more", None)


#: No exchange reports more rows or pages than this; a larger count is a lie and read as unknown.
MAX_COUNT = 10_000_000


def as_count(value: Any) -> int | None:
    """A count an exchange sent (int, float or a string of ASCII digits) as an int, or None when it
    is anything else (text, a negative or non-finite number, past :data:`MAX_COUNT`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_COUNT:
        return value
    return None


@dataclass
class ScrapeResult:
    source: Exchange
    announcements: list[Announcement] = field(default_factory=list)
    reported_total: int = 0
    fetched_rows: int = 0
    pages_fetched: int = 0
    warnings: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.fetched_rows >= self.reported_total

    def extend(self, other: ScrapeResult) -> None:
        self.announcements = dedupe([*self.announcements, *other.announcements])
        self.reported_total += other.reported_total
        self.fetched_rows += other.fetched_rows
        self.pages_fetched += other.pages_fetched
        self.warnings += other.warnings
        self.rejected += other.rejected


class Adapter(Protocol):
    source: Exchange

    def search(self, query: Query) -> ScrapeResult: ...


def dedupe(items: Iterable[Announcement]) -> list[Announcement]:
    seen: dict[str, Announcement] = {}
    for a in items:
        seen.setdefault(a.key, a)
    return list(seen.values())


def parse_rows(
    rows: Iterable[Any], parse: Callable[[Any], Announcement], source: str
) -> tuple[list[Announcement], list[tuple[str, str]]]:
    """Parse rows one by one: a malformed row (or one whose code is not six digits: codes name files
    and queries) is recorded as (why, the raw row) and skipped; every other row survives."""
    anns: list[Announcement] = []
    rejected: list[tuple[str, str]] = []
    for row in rows:
        try:
            if not isinstance(row, dict):
                raise TypeError(f"row is a {type(row).__name__}, not an object")
            ann = parse(row)
            if ann.sec_code and not re.fullmatch(r"[0-9]{6}", ann.sec_code):
                raise ValueError(f"code {ann.sec_code[:40]!r} is not a six-digit code")
            anns.append(ann)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            rejected.append((f"malformed {source} row: {type(exc).__name__}: {exc}", str(row)[:300]))
            log.warning("%s: skipped a malformed row (%s): %s", source, exc, str(row)[:160])
    return anns, rejected


def collect_pages(
    fetch: Callable[[int], Page], *, source: Exchange, first: int = 1, max_pages: int = 10_000
) -> ScrapeResult:
    """Fetch page ``first``, ``first+1``, … until the exchange says there is no more.

    Stops on an empty page, on the reported page count, or when every reported row is in. The raw
    row count is compared against the reported total so a short read is visible, not silent.
    """
    result = ScrapeResult(source=source)
    rows: list[Announcement] = []
    seen: set[str] = set()
    raw_rows = 0
    page_no = first
    while page_no < first + max_pages:
        with payload_boundary(f"{source}: page {page_no}"):
            page = fetch(page_no)
        result.pages_fetched += 1
        progress.current().note("scrape", f"{source} page {page_no}: {len(page.announcements)} rows")
        result.rejected += page.rejected
        if page.total is not None:
            result.reported_total = max(result.reported_total, page.total)
        new = [a for a in page.announcements if a.key not in seen]
        seen.update(a.key for a in new)
        rows.extend(page.announcements)
        raw_rows += page.rows if page.rows is not None else len(page.announcements)
        if not page.announcements:
            break
        if not new:
            msg = f"{source}: page {page_no} repeats rows already seen; stopped paging"
            log.warning(msg)
            result.warnings.append(msg)
            break
        if page.has_more is False:
            break
        if page.total_pages is not None and page_no - first + 1 >= page.total_pages:
            break
        if page.total is not None and raw_rows >= page.total and page.has_more is not True:
            break
        page_no += 1
    result.fetched_rows = raw_rows
    result.announcements = dedupe(rows)
    if result.fetched_rows < result.reported_total:
        msg = f"{source}: fetched {result.fetched_rows} rows but the exchange reported {result.reported_total}"
        log.warning(msg)
        result.warnings.append(msg)
    return result


def search_each_code(query: Query, source: Exchange, search_one: Callable[[str], ScrapeResult]) -> ScrapeResult:
    """Run ``search_one`` per stock code (once with ``""`` when the query has none), merge the results
    and apply the query's filters client-side."""
    result = ScrapeResult(source=source)
    for code in query.codes or ("",):
        result.extend(search_one(code))
    result.announcements = [a for a in result.announcements if query.matches(a)]
    return result


def clean_title(title: str) -> str:
    """Strip cninfo's ``<em>`` highlight tags and HTML entities, collapse whitespace."""
    import html

    return re.sub(r"\s+", " ", html.unescape(_TAGS.sub("", title))).strip()


def epoch_ms_to_beijing(ms: int | float) -> dt.datetime:
    """Raises ValueError (a malformed row) for a time no datetime holds (1e20, NaN, a string)."""
    try:
        return dt.datetime.fromtimestamp(ms / 1000, tz=BEIJING)
    except (OverflowError, OSError, TypeError, ValueError) as exc:
        raise ValueError(f"timestamp {str(ms)[:40]} is not a time: {exc}") from exc


def parse_date(value: str) -> dt.date:
    """'2026-08-07', '2026-08-07 10:30:00' or '20260807' → date."""
    v = value.strip()[:10]
    if re.fullmatch(r"\d{8}", v[:8]) and "-" not in v:
        return dt.date(int(v[:4]), int(v[4:6]), int(v[6:8]))
    return dt.date.fromisoformat(v)


def split_range(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    mid = start + (end - start) // 2
    return (start, mid), (mid + dt.timedelta(days=1), end)
