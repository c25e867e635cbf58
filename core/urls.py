"""Every exchange URL in one place, built from the base URLs in :class:`core.settings.Settings`.

Swapping ``*_base_url`` for ``http://127.0.0.1:PORT`` points the whole pipeline at the replay server.
"""

from __future__ import annotations

from core.settings import Settings


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


# --- cninfo 巨潮资讯 --------------------------------------------------------------------------------


def cninfo_query(s: Settings) -> str:
    return _join(s.cninfo_base_url, "/new/hisAnnouncement/query")


def cninfo_search_page(s: Settings) -> str:
    """The page whose XHR posts the query: sent as Referer, as the browser does."""
    return _join(s.cninfo_base_url, "/new/commonUrl/pageOfSearch?url=disclosure/list/search")


def cninfo_top_search(s: Settings) -> str:
    """The search box's lookup: ``POST keyWord=<code or name>&maxNum=10`` → ``[{code, orgId, zwjc …}]``."""
    return _join(s.cninfo_base_url, "/new/information/topSearch/query")


def cninfo_stock_list(s: Settings, market: str = "szse") -> str:
    """``market``: ``szse`` (all A-shares, despite the name), ``bj`` (BSE), ``gfzr`` (NEEQ), ``hke``, ``fund``."""
    return _join(s.cninfo_base_url, f"/new/data/{market}_stock.json")


def cninfo_pdf(s: Settings, adjunct_url: str) -> str:
    return _join(s.cninfo_static_url, adjunct_url)


# --- SSE 上交所 -------------------------------------------------------------------------------------


def sse_bulletin_query(s: Settings) -> str:
    return _join(s.sse_query_url, "/security/stock/queryCompanyBulletinNew.do")


def sse_periodic_query(s: Settings) -> str:
    """The company page's periodic-report query (``reportType`` YEARLY, QUATER1 …)."""
    return _join(s.sse_query_url, "/security/stock/queryCompanyBulletin.do")


def sse_pdf(s: Settings, path: str) -> str:
    return _join(s.sse_static_url, path)


# --- BSE 北交所 / NEEQ 全国股转 ------------------------------------------------------------------


def bse_announcements(s: Settings) -> str:
    return _join(s.bse_base_url, "/disclosureInfoController/companyAnnouncement.do")


def bse_pdf(s: Settings, dest_file_path: str) -> str:
    return _join(s.bse_base_url, dest_file_path)


def bse_announcement_page(s: Settings) -> str:
    return _join(s.bse_base_url, "/disclosure/announcement.html")


def neeq_announcement_page(s: Settings) -> str:
    return _join(s.neeq_base_url, "/disclosure/announcement.html")


def neeq_announcements(s: Settings) -> str:
    return _join(s.neeq_base_url, "/disclosureInfoController/infoResult_zh.do")


def neeq_pdf(s: Settings, dest_file_path: str) -> str:
    return _join(s.neeq_base_url, dest_file_path)


# --- SZSE 深交所 ----------------------------------------------------------------------------------


def szse_ann_list(s: Settings) -> str:
    return _join(s.szse_base_url, "/api/disc/announcement/annList")


def szse_pdf(s: Settings, attach_path: str) -> str:
    return _join(s.szse_static_url, "/download" + ("" if attach_path.startswith("/") else "/") + attach_path)
