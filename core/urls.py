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


def bse_zone_info(s: Settings) -> str:
    """BSE's disclosure zones (``GET …?disclosureTypes[]=9533``: the IPO prospectus zone; RSSHub's bse
    route reads the same endpoint for its other zones)."""
    return _join(s.bse_base_url, "/disclosureInfoController/zoneInfoResult.do")


def bse_issue_page(s: Settings) -> str:
    """The new-issues page whose script reads the prospectus zone: sent as Referer."""
    return _join(s.bse_base_url, "/newshare/listofissues.html")


def referer_for_pdf(s: Settings, url: str) -> str | None:
    """The page a browser opens a BSE or NEEQ PDF from (their file servers refuse a bare request):
    the announcement page of the same site; None for the other exchanges."""
    for base, page in ((s.bse_base_url, bse_announcement_page(s)), (s.neeq_base_url, neeq_announcement_page(s))):
        if url.startswith(base.rstrip("/") + "/"):
            return page
    return None


def neeq_announcement_page(s: Settings) -> str:
    return _join(s.neeq_base_url, "/disclosure/announcement.html")


def neeq_announcements(s: Settings) -> str:
    """NEEQ's company-announcement query: current references post ``companyAnnouncement.do``
    (``infoResult_zh.do`` appears only in references from 2020–22)."""
    return _join(s.neeq_base_url, "/disclosureInfoController/companyAnnouncement.do")


def neeq_pdf(s: Settings, dest_file_path: str) -> str:
    return _join(s.neeq_base_url, dest_file_path)


# --- SZSE 深交所 ----------------------------------------------------------------------------------


def szse_ann_list(s: Settings) -> str:
    return _join(s.szse_base_url, "/api/disc/announcement/annList")


def szse_pdf(s: Settings, attach_path: str) -> str:
    return _join(s.szse_static_url, "/download" + ("" if attach_path.startswith("/") else "/") + attach_path)
