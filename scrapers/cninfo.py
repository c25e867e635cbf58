"""cninfo 巨潮资讯 adapter: ``POST /new/hisAnnouncement/query`` (SZSE, SSE, BSE and NEEQ announcements).

The form is field for field what akshare's ``stock_zh_a_disclosure_report_cninfo`` sends
(akfamily/akshare, akshare/stock_feature/stock_disclosure_cninfo.py): pageNum, pageSize (30),
column, tabName=fulltext, plate, stock, searchkey, secid, category, trade, seDate, sortName, sortType,
isHLtitle=true.

* stock code → ``"code,orgId"`` from the stock-list JSON (``/new/data/szse_stock.json``); the list
  a code is in decides its ``column`` (codes imply their market);
* a search without codes covers its **market** (``--market``): ``column=szse`` (沪深京), ``bj``
  with ``plate=bj`` (BSE), ``third`` (NEEQ, with NEEQ's own categories), or 沪深京 then 三板;
* keyword (``searchkey``), category codes (``category``) and date range (``seDate``);
* every page is fetched; a result deeper than cninfo serves (about 100 pages) is split by date;
* the raw row count is checked against ``totalRecordNum``;
* ``<em>`` highlight tags are stripped from titles; epoch-ms times become Beijing dates;
* the PDF URL is built from ``adjunctUrl``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from core import urls
from core.categories import CATEGORY_NAMES, MARKET_COLUMNS, NEEQ_CATEGORY_NAMES, market_categories, register_exchange
from core.errors import ConfigError, ExchangeResponseError, ScrapeError, TransientHTTPError
from core.records import Announcement, Exchange
from core.settings import Settings
from scrapers.base import (
    Page,
    Query,
    ScrapeResult,
    clean_title,
    collect_pages,
    epoch_ms_to_beijing,
    parse_rows,
    search_each_code,
    split_range,
)
from scrapers.http import HttpClient, decode_json
from scrapers.payload import decode_text, expect_dict, parse_json_payload

log = logging.getLogger(__name__)

#: Common cninfo category codes (the ``category`` form field), for the README and the CLI.
#: code → the usual name (the full vocabulary, with the names users write, is core.categories.CATEGORY_NAMES)
CATEGORIES: dict[str, str] = {code: names[0] for code, names in CATEGORY_NAMES.items()}
#: cninfo takes the whole vocabulary: A-share categories, and NEEQ's own for ``column=third``
register_exchange("cninfo", {**{c: c for c in CATEGORY_NAMES}, **{c: c for c in NEEQ_CATEGORY_NAMES}})
#: cninfo serves at most 30 rows a page whatever ``pageSize`` says (akshare sends 30 and divides the
#: total by 30); a larger size would make the page arithmetic wrong, so it is refused, not capped.
MAX_PAGE_SIZE = 30


#: cninfo's stock lists: where a code is listed decides the query's ``column`` and ``plate``
STOCK_LISTS = ("szse", "bj", "gfzr")


@dataclass(frozen=True)
class StockInfo:
    code: str
    org_id: str
    name: str
    category: str
    pinyin: str = ""
    #: the list it came from: szse (A shares of SZSE and SSE), bj (BSE), gfzr (NEEQ), top (topSearch)
    market: str = "szse"


def parse_stock_list(raw: bytes, market: str = "szse") -> dict[str, StockInfo]:
    """Parse ``szse_stock.json`` / ``bj_stock.json`` / ``gfzr_stock.json``; BOM and double-encoded
    UTF-8 are repaired."""
    data = expect_dict(parse_json_payload(decode_text(raw)), what="cninfo stock list")
    rows = data.get("stockList")
    if not isinstance(rows, list):
        raise ExchangeResponseError("cninfo stock list has no 'stockList' array")
    out: dict[str, StockInfo] = {}
    for r in rows:
        code = str(r.get("code", "")).strip()
        org = str(r.get("orgId", "")).strip()
        if not code or not org:
            continue
        # Several rows can share a code (A share / fund / HK); keep the A-share one first seen.
        if code in out and out[code].category.startswith("A"):
            continue
        out[code] = StockInfo(
            code, org, str(r.get("zwjc", "")), str(r.get("category", "")), str(r.get("pinyin", "")), market
        )
    return out


def parse_top_search(payload: Any, code: str) -> StockInfo | None:
    """The row of ``topSearch/query`` whose code is ``code`` (an A share first), or None."""
    if not isinstance(payload, list):
        raise ExchangeResponseError("cninfo topSearch answer is not a list", snippet=str(payload)[:120])
    rows = [r for r in payload if isinstance(r, dict) and str(r.get("code", "")).strip() == code and r.get("orgId")]
    rows.sort(key=lambda r: not str(r.get("category", "")).startswith("A"))
    if not rows:
        return None
    r = rows[0]
    neeq = "三板" in str(r.get("category", "")) or "新三板" in str(r.get("type", ""))
    return StockInfo(
        code,
        str(r["orgId"]).strip(),
        str(r.get("zwjc", "")),
        str(r.get("category", "")),
        str(r.get("pinyin", "")),
        "gfzr" if neeq else "top",
    )


def renumbered_codes(stocks: dict[str, StockInfo]) -> dict[str, str]:
    """BSE's renumbering: old code → 920 code. cninfo's BSE list keeps a renumbered company under both
    codes with one orgId (430047 and 920047 诺思兰德 share 9900006121); older announcements stay under
    the old code, so a row under it belongs to the 920 company."""
    by_org: dict[str, list[str]] = {}
    for s in stocks.values():
        if s.market == "bj":
            by_org.setdefault(s.org_id, []).append(s.code)
    out: dict[str, str] = {}
    for codes in by_org.values():
        new = [c for c in codes if c.startswith("920")]
        if len(new) == 1:
            out.update({c: new[0] for c in codes if c != new[0]})
    return out


def map_renumbered(announcements: list[Announcement], renumbered: dict[str, str]) -> list[Announcement]:
    """Every row kept; a row under a renumbered company's old code is filed under its 920 code."""
    return [
        a.model_copy(update={"sec_code": renumbered[a.sec_code]}) if a.sec_code in renumbered else a
        for a in announcements
    ]


def may_be_renumbered(announcements: list[Announcement]) -> bool:
    """Whether any row has a pre-920 BSE/NEEQ code (4xxxxx/8xxxxx), the only ones renumbering touches."""
    return any(a.sec_code[:1] in ("4", "8") for a in announcements)


def parse_top_search_rows(payload: Any) -> list[StockInfo]:
    """Every A-share or NEEQ row of a ``topSearch/query`` answer (a name may match several)."""
    if not isinstance(payload, list):
        raise ExchangeResponseError("cninfo topSearch answer is not a list", snippet=str(payload)[:120])
    out = []
    for r in payload:
        code = str(r.get("code", "")).strip() if isinstance(r, dict) else ""
        if not re.fullmatch(r"\d{6}", code) or not r.get("orgId"):
            continue
        category = str(r.get("category", ""))
        if not (category.startswith("A") or "三板" in category):
            continue
        market = "gfzr" if "三板" in category else "top"
        out.append(StockInfo(code, str(r["orgId"]), str(r.get("zwjc", "")), category, str(r.get("pinyin", "")), market))
    return out


def nearest_names(stocks: dict[str, StockInfo], text: str, n: int = 5) -> list[StockInfo]:
    """The companies whose short name (or pinyin) is nearest to ``text``: a typo's suggestions."""
    import difflib

    t = text.strip().lower()
    by_key: dict[str, StockInfo] = {}
    for st in stocks.values():
        by_key.setdefault(st.name.lower(), st)
        if st.pinyin:
            by_key.setdefault(st.pinyin.lower(), st)
    keys = difflib.get_close_matches(t, list(by_key), n=n * 2, cutoff=0.5)
    out: list[StockInfo] = []
    for k in keys:
        if by_key[k] not in out:
            out.append(by_key[k])
    return out[:n]


@dataclass(frozen=True)
class NameMatch:
    """What a company-name lookup found, and the nearest names when it found nothing."""

    found: list[StockInfo]
    suggestions: list[StockInfo]
    #: where the answer came from: lists (the stock lists), cache (an earlier topSearch), topSearch
    source: str = "lists"


def find_companies(stocks: dict[str, StockInfo], text: str) -> list[StockInfo]:
    """Companies by code, short name or pinyin initials (三联锻造, slds, 001282), best matches first:
    an exact match wins; otherwise every name or pinyin that starts with, then contains, the text."""
    t = text.strip().lower()
    if not t:
        return []
    a_shares = [s for s in stocks.values() if s.category.startswith("A") or s.code.startswith(("92", "8", "4"))]
    exact = [s for s in a_shares if t in (s.code, s.name.lower(), s.pinyin.lower())]
    if exact:
        return exact
    starts = [s for s in a_shares if s.name.lower().startswith(t) or s.pinyin.lower().startswith(t)]
    contains = [s for s in a_shares if s not in starts and t in s.name.lower()]
    return starts + contains


def org_id_from_stock_page(html: str) -> str | None:
    """cninfo's ``/new/disclosure/stock?stockCode=…`` page embeds ``var orgId = "gssh0600519";``."""
    m = re.search(r"""var\s+orgId\s*=\s*["']([\w]+)["']""", html)
    return m.group(1) if m else None


def market_of(code: str, listed_in: str | None = None) -> tuple[str, str]:
    """(column, plate) form values for a six-digit code; ``listed_in`` is the cninfo stock list it
    was found in: a NEEQ company (``gfzr``) is searched with ``column=third``."""
    if listed_in == "gfzr":
        return "third", ""
    if code.startswith(("6", "9")) and not code.startswith("92"):
        return "sse", "sh"
    if code.startswith(("8", "4", "92")):
        return "bj", "bj"
    return "szse", "sz"


def guess_org_id(code: str) -> str:
    """cninfo's conventional orgId; newer listings use opaque ids (9900…), hence the lookup first."""
    column, _ = market_of(code)
    return {"sse": "gssh0", "bj": "gfbj0", "szse": "gssz0"}[column] + code


def build_form(
    query: Query,
    page: int,
    page_size: int,
    stock_param: str,
    start: dt.date | None,
    end: dt.date | None,
    column: str = "szse",
    plate: str = "",
) -> dict[str, str]:
    """The form cninfo's own search page posts (akshare stock_disclosure_cninfo sends the same
    keys, in this order); ``plate`` is ``bj`` for a BSE code, which cninfo otherwise searches in vain."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigError(f"cninfo page size {page_size} refused: cninfo serves 1 to {MAX_PAGE_SIZE} rows a page")
    se_date = f"{start.isoformat()}~{end.isoformat()}" if start and end else ""
    return {
        "pageNum": str(page),
        "pageSize": str(page_size),
        "column": column,
        "tabName": "fulltext",
        "plate": plate,
        "stock": stock_param,
        "searchkey": query.keyword or "",
        "secid": "",
        "category": ";".join(query.categories) + (";" if query.categories else ""),
        "trade": "",
        "seDate": se_date,
        "sortName": "",
        "sortType": "",
        "isHLtitle": "true",
    }


def parse_announcement(row: dict[str, Any], settings: Settings) -> Announcement:
    """One row (its code is checked by :func:`scrapers.base.parse_rows`)."""
    code = str(row.get("secCode") or "")
    adjunct = str(row.get("adjunctUrl") or "").strip()
    when = epoch_ms_to_beijing(int(row["announcementTime"]))
    size = row.get("adjunctSize")
    return Announcement(
        source="cninfo",
        announcement_id=str(row["announcementId"]),
        sec_code=code,
        sec_name=clean_title(str(row.get("secName") or row.get("tileSecName") or "")),
        title=clean_title(str(row.get("announcementTitle") or row.get("shortTitle") or "")),
        published=when.date(),
        published_at=when,
        pdf_url=urls.cninfo_pdf(settings, adjunct) if adjunct else None,
        org_id=row.get("orgId"),
        category=row.get("announcementType") or None,
        size_kb=int(size) if isinstance(size, int | float) and size else None,
    )


def parse_query_page(payload: Any, settings: Settings, *, url: str | None = None) -> Page:
    """Parse one ``hisAnnouncement/query`` response (``announcements`` may be ``null`` when empty)."""
    data = expect_dict(payload, what="cninfo query", url=url)
    if "announcements" not in data:
        raise ExchangeResponseError(
            "cninfo query response has no 'announcements' key", url=url, snippet=str(list(data))[:120]
        )
    rows = data.get("announcements") or []
    if not isinstance(rows, list):
        raise ExchangeResponseError("cninfo 'announcements' is not a list", url=url, snippet=str(rows)[:120])
    anns, rejected = parse_rows(rows, lambda row: parse_announcement(row, settings), "cninfo")
    try:
        total = data.get("totalRecordNum", data.get("totalAnnouncement"))
        total_pages = data.get("totalpages")
        return Page(
            anns,
            total=int(total) if total is not None else None,
            total_pages=int(total_pages) if total_pages is not None else None,
            has_more=data.get("hasMore") if isinstance(data.get("hasMore"), bool) else None,
            rejected=rejected,
        )
    except (TypeError, ValueError) as exc:
        raise ExchangeResponseError(f"cninfo page counts unreadable: {exc}", url=url) from exc


class CninfoAdapter:
    source: Exchange = "cninfo"

    def __init__(self, http: HttpClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self._stocks: dict[str, StockInfo] | None = None
        #: requests left for the current query (pagination and date splitting included)
        self._budget = settings.max_requests_per_query
        self._budget_warnings: list[str] = []
        #: announcement keys seen in the current query: a split that brings nothing new stops
        self._seen: set[str] = set()

    # --- orgId lookup -------------------------------------------------------------------------------

    def _list_bytes(self, market: str) -> bytes:
        """A stock list, from ``data/cninfo_stock_<market>.json`` when it is under a day old (a name
        lookup then costs no request), else fetched and kept there."""
        import time

        url = urls.cninfo_stock_list(self.settings, market)
        path = self.settings.data_dir / f"cninfo_stock_{market}.json"
        meta = path.with_suffix(".url")
        try:
            if time.time() - path.stat().st_mtime < 86_400 and meta.read_text("utf-8") == url:
                return path.read_bytes()
        except OSError:
            pass
        body, _ = self.http.get_bytes(url)
        parse_stock_list(body, market)  # only a list that parses is kept
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)
        meta.write_text(url, "utf-8")
        return body

    def stocks(self) -> dict[str, StockInfo]:
        """cninfo's stock lists merged (A shares first, then BSE, then NEEQ). A list that cannot be
        fetched is logged and skipped: topSearch still finds its codes."""
        if self._stocks is None:
            merged: dict[str, StockInfo] = {}
            for market in STOCK_LISTS:
                try:
                    listed = parse_stock_list(self._list_bytes(market), market)
                except ScrapeError as exc:
                    if market == "szse":
                        raise
                    log.warning("cninfo: the %s stock list is not available (%s); topSearch will be used", market, exc)
                    continue
                merged.update({k: v for k, v in listed.items() if k not in merged})
            self._stocks = merged
        return self._stocks

    def _lookups(self) -> dict[str, dict[str, str]]:
        path = self.settings.data_dir / "cninfo_orgids.json"
        try:
            data = json.loads(path.read_text("utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _remember(self, info: StockInfo) -> None:
        """topSearch answers are kept in ``data/cninfo_orgids.json``: a daily run asks once per code."""
        path = self.settings.data_dir / "cninfo_orgids.json"
        data = self._lookups()
        data[info.code] = {"orgId": info.org_id, "zwjc": info.name, "category": info.category, "market": info.market}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=0), "utf-8")
        tmp.replace(path)

    def lookup(self, code: str) -> StockInfo:
        """A code's orgId and market: the stock lists, then cninfo's own search box (topSearch, cached),
        and only then the conventional guess, with a warning — a wrong orgId makes cninfo answer
        ``totalAnnouncement=0``, an empty result that looks like 'nothing published'."""
        info = self.stocks().get(code)
        if info:
            return info
        known = self._lookups().get(code)
        if isinstance(known, dict) and known.get("orgId"):
            return StockInfo(
                code,
                str(known["orgId"]),
                str(known.get("zwjc", "")),
                str(known.get("category", "")),
                market=str(known.get("market", "top")),
            )
        try:
            found = parse_top_search(
                self.http.get_json(
                    urls.cninfo_top_search(self.settings),
                    method="POST",
                    data={"keyWord": code, "maxNum": "10"},
                    headers=self._headers(),
                ),
                code,
            )
        except ScrapeError as exc:
            log.warning("cninfo: topSearch for %s failed (%s)", code, exc)
            found = None
        if found is not None:
            log.info("cninfo: %s (%s) not in the stock lists; topSearch gave orgId %s", code, found.name, found.org_id)
            self._remember(found)
            return found
        guess = guess_org_id(code)
        msg = (
            f"cninfo: {code} is in no stock list and topSearch does not know it; guessed orgId {guess} — "
            "an empty result may only mean the guess is wrong"
        )
        log.warning(msg)
        self._budget_warnings.append(msg)
        return StockInfo(code, guess, "", "", market="guess")

    def find_company(self, text: str) -> NameMatch:
        """A company by code, short name, pinyin initials, full or former name (勤上光电 → 002638 勤上股份).

        The stock lists first (no request once cached); then cninfo's own search box (topSearch), whose
        answer is kept in ``data/cninfo_names.json`` so a name is asked once; with no match, the
        nearest short names are suggested."""
        stocks = self.stocks()
        found = find_companies(stocks, text)
        if found:
            return NameMatch(found, [])
        key = text.strip()
        path = self.settings.data_dir / "cninfo_names.json"
        try:
            cache = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            cache = {}
        if isinstance(cache, dict) and isinstance(cache.get(key), list):
            rows = [StockInfo(**r) for r in cache[key] if isinstance(r, dict)]
            source = "cache"
        else:
            try:
                payload = self.http.get_json(
                    urls.cninfo_top_search(self.settings),
                    method="POST",
                    data={"keyWord": key, "maxNum": "10"},
                    headers=self._headers(),
                )
                rows = parse_top_search_rows(payload)
            except ScrapeError as exc:
                log.warning("cninfo: topSearch for %r failed (%s)", key, exc)
                return NameMatch([], nearest_names(stocks, key))
            cache = cache if isinstance(cache, dict) else {}
            cache[key] = [vars(r) for r in rows]
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(cache, ensure_ascii=False, indent=0), "utf-8")
            tmp.replace(path)
            source = "topSearch"
        # a listed code's own entry (its current short name) wins over topSearch's copy
        found = [stocks.get(r.code, r) for r in rows]
        return NameMatch(found, [] if found else nearest_names(stocks, key), source)

    def org_id(self, code: str) -> str:
        return self.lookup(code).org_id

    def _headers(self) -> dict[str, str]:
        return {
            "Origin": self.settings.cninfo_base_url,
            "Referer": urls.cninfo_search_page(self.settings),
            "X-Requested-With": "XMLHttpRequest",
        }

    # --- search -------------------------------------------------------------------------------------

    def _fetch(
        self, query: Query, stock_param: str, column: str, start: dt.date | None, end: dt.date | None, page: int
    ) -> Page:
        url = urls.cninfo_query(self.settings)
        if self._budget <= 0:
            if not any("max_requests_per_query" in w for w in self._budget_warnings):
                msg = (
                    f"cninfo: stopped after {self.settings.max_requests_per_query} requests for one query "
                    "(max_requests_per_query); the result may be incomplete"
                )
                log.warning(msg)
                self._budget_warnings.append(msg)
            return Page([])
        self._budget -= 1
        if query.categories:
            query = query.model_copy(update={"categories": tuple(market_categories(column, query.categories))})
        form = build_form(
            query, page, self.settings.page_size, stock_param, start, end, column, "bj" if column == "bj" else ""
        )
        headers = self._headers()
        retries = self.settings.max_retries
        for attempt in range(retries + 1):
            body, resp = self.http.get_bytes(url, method="POST", data=form, headers=headers)
            if body.strip() not in (b"", b"{}"):
                return parse_query_page(decode_json(body, resp, url), self.settings, url=url)
            # cninfo throttles with an empty body or {}: back off and ask again
            if attempt == retries:
                raise TransientHTTPError(f"throttled: an empty answer {attempt + 1} times", url=url)
            delay = self.http.backoff(attempt)
            log.warning("cninfo: empty answer (throttled?); retry %d/%d in %.1fs", attempt + 1, retries, delay)
            self.http.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _search_range(
        self,
        query: Query,
        stock_param: str,
        column: str,
        start: dt.date | None,
        end: dt.date | None,
        split: bool = False,
    ) -> ScrapeResult:
        first = self._fetch(query, stock_param, column, start, end, 1)
        new = {a.key for a in first.announcements} - self._seen
        limit = self.settings.cninfo_max_pages * self.settings.page_size
        if split and first.announcements and not new:
            msg = f"cninfo: {start}~{end} repeats rows already seen; not splitting further (inflated total?)"
            log.warning(msg)
            self._budget_warnings.append(msg)
            return ScrapeResult(source="cninfo")
        if first.total is not None and first.total > limit and start and end and start < end:
            log.info("cninfo: %d rows for %s~%s exceed %d; splitting the date range", first.total, start, end, limit)
            (a0, a1), (b0, b1) = split_range(start, end)
            left = self._search_range(query, stock_param, column, a0, a1, split=True)
            left.extend(self._search_range(query, stock_param, column, b0, b1, split=True))
            return left

        def fetch(page: int) -> Page:
            return first if page == 1 else self._fetch(query, stock_param, column, start, end, page)

        result = collect_pages(fetch, source="cninfo", max_pages=self.settings.cninfo_max_pages)
        self._seen |= {a.key for a in result.announcements}
        return result

    def _search_market(self, query: Query, start: dt.date | None, end: dt.date | None) -> ScrapeResult:
        """A search without codes: each of the market's columns in turn (沪深京 alone by default)."""
        result = ScrapeResult(source="cninfo")
        for column, _plate in MARKET_COLUMNS.get(query.market or "", (("szse", ""),)):
            result.extend(self._search_range(query, "", column, start, end))
        if query.market == "sh-sz":  # cninfo's szse column is 沪深京: BSE rows are not 沪深
            result.announcements = [a for a in result.announcements if market_of(a.sec_code)[0] != "bj"]
        return result

    def search(self, query: Query) -> ScrapeResult:
        start, end = query.start, query.end
        if (start is None) != (end is None):
            start = start or dt.date(1990, 1, 1)
            end = end or dt.date.today()

        def one(code: str) -> ScrapeResult:
            if not code:
                got = self._search_market(query, start, end)
            else:
                info = self.lookup(code)
                got = self._search_range(query, f"{code},{info.org_id}", market_of(code, info.market)[0], start, end)
            if may_be_renumbered(got.announcements):
                got.announcements = map_renumbered(got.announcements, renumbered_codes(self.stocks()))
            return got

        self._budget, self._seen = self.settings.max_requests_per_query, set()
        result = search_each_code(query, "cninfo", one)
        result.warnings += self._budget_warnings
        self._budget_warnings = []
        return result
