"""A local replay of the exchanges on 127.0.0.1, for offline runs and tests.

It serves:
* cninfo ``/new/data/{szse,bj}_stock.json``: the real recorded stock lists, byte for byte (BOM and
  double encoding included);
* cninfo ``POST /new/hisAnnouncement/query``: a catalogue of the real corpus PDFs, rendered in the
  real response format (rows take every key of a recorded row), filtered by stock, keyword
  (highlighted with ``<em>`` as cninfo does), category and date, and paginated; an empty result is
  the recorded empty response, byte for byte;
* SSE ``queryCompanyBulletinNew.do``: its recorded page;
* BSE and NEEQ ``companyAnnouncement.do`` (BSE when the form sends ``xxfcbj[]=2``) and BSE's prospectus
  zone ``zoneInfoResult.do``: answers in the sites' real shape, reconstructed from the references
  (replay/recordings/README.md), filtered by code, keyword and dates and paged; ``/disclosure/…`` PDFs
  from the corpus or, where the corpus has none, made by replay/neeq_sample.py (``*_SYNTHETIC.pdf``);
* ``/finalpage/…``: the corpus PDFs, with HTTP ``Range`` support for resumable downloads;
* scripted faults: :meth:`ReplayServer.script` queues responses (a 429 with ``Retry-After``, a
  firewall HTML page, a truncated PDF …) served before the normal handler for a path.

Point the pipeline at it with ``Settings(cninfo_base_url=server.url, cninfo_static_url=server.url, …)``.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import logging
import os
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scrapers.payload import decode_text

log = logging.getLogger(__name__)

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
RECORDINGS = Path(__file__).resolve().parent / "recordings"
#: where the synthetic PDFs are rendered (once per machine)
SYNTHETIC_DIR = Path(tempfile.gettempdir()) / f"pp-replay-synthetic-{os.getuid() if hasattr(os, 'getuid') else 0}"


@dataclass(frozen=True)
class CatalogueEntry:
    sec_code: str
    sec_name: str
    org_id: str
    title: str
    published: dt.date
    announcement_id: str
    category: str
    pdf: Path
    column: str = "szse"

    @property
    def adjunct_url(self) -> str:
        return f"finalpage/{self.published.isoformat()}/{self.announcement_id}.PDF"


@dataclass
class Scripted:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _read_company_list(corpus: Path) -> dict[str, dict[str, str]]:
    raw = (corpus / "gold" / "prospectus_company_list_dev5_gbk.csv").read_bytes()
    rows = csv.DictReader(io.StringIO(raw.decode("gbk")))
    return {r["stock_code"]: r for r in rows}


def corpus_catalogue(corpus: Path, extra: list[CatalogueEntry] | None = None) -> list[CatalogueEntry]:
    """The corpus PDFs as announcements. Prospectus metadata comes from the real company list, short
    names and orgIds from the recorded stock list; the key-page excerpts' titles say they are
    excerpts. Announcement ids other than 001282's real one are placeholders."""
    from scrapers.cninfo import parse_stock_list

    companies = _read_company_list(corpus)
    stocks = parse_stock_list((corpus / "api/cninfo/szse_stock_2026-06_bom_doubleencoded.json").read_bytes())
    pdf = corpus / "pdf"
    ids = {
        "001282": "1216830304",
        "603418": "1224640118",
        "301563": "1224660035",
        "688775": "1223700812",
        "920100": "1755859951",
    }
    column = {"SSE": "sse", "SZSE": "szse", "BSE": "bj"}
    entries = []
    for path in sorted((pdf / "prospectus").glob("*.pdf")):
        code = path.name[:6]
        c = companies[code]
        info = stocks.get(code)
        part = "目标章节 p28-42" if "section" in path.name else "关键页摘录"
        aid = ids[code] + ("1" if "section" in path.name else "")
        title = f"{c['prospectus_title'].split('公司')[-1] or c['prospectus_title']}（{part}）"
        entries.append(
            CatalogueEntry(
                code,
                info.name if info else c["company_name"],
                info.org_id if info else f"gssz0{code}",
                title,
                dt.date.fromisoformat(c["prospectus_date"]),
                aid,
                "category_sf_szsh",
                path,
                "szse" if code.startswith(("0", "3")) else column[c["exchange"]],
            )
        )
    # The three complete prospectuses (MANIFEST §1b): real patent tables and competitor chapters.
    # Names and orgIds from the recorded stock list; the months are the documents' own, the days and
    # the announcement ids are placeholders.
    full = pdf / "prospectus_full"
    for code, title, day, aid in (
        ("002638", "首次公开发行股票招股意向书", dt.date(2011, 11, 1), "1200400001"),
        ("300626", "首次公开发行股票并在创业板上市招股意向书", dt.date(2017, 3, 1), "1203100001"),
        ("002335", "首次公开发行股票招股意向书", dt.date(2010, 1, 4), "1200000001"),
    ):
        info = stocks.get(code)
        (path,) = full.glob(f"{code}_*.pdf")
        entries.append(
            CatalogueEntry(
                code,
                info.name if info else code,
                info.org_id if info else f"gssz0{code}",
                title,
                day,
                aid,
                "category_sf_szsh",
                path,
                "szse",
            )
        )
    # The annual reports: dates are placeholders (the corpus does not record them).
    entries.append(
        CatalogueEntry(
            "600519",
            "贵州茅台",
            "gssh0600519",
            "贵州茅台2024年年度报告",
            dt.date(2025, 4, 3),
            "1222958512",
            "category_ndbg_szsh",
            pdf / "announcements" / "600519_kweichow_moutai_2024_annual_report.pdf",
            "sse",
        )
    )
    entries.append(
        CatalogueEntry(
            "000430",
            "张家界",
            "gssz0000430",
            "2016年年度报告全文",
            dt.date(2017, 4, 28),
            "1203418712",
            "category_ndbg_szsh",
            pdf / "announcements" / "000430_zhangjiajie_2016_annual_report.pdf",
            "szse",
        )
    )
    return entries + list(extra or [])


def synthetic_catalogue() -> list[CatalogueEntry]:
    """The SYNTHETIC NEEQ announcement (replay/neeq_sample.py: no real one is in the corpus), listed on
    cninfo's NEEQ column as a 临时公告; its PDF is rendered into SYNTHETIC_DIR."""
    from replay.neeq_sample import NEEQ_CODE, NEEQ_FILE, NEEQ_NAME, NEEQ_ORG, synthetic_pdfs

    synthetic_pdfs(SYNTHETIC_DIR)
    return [
        CatalogueEntry(
            NEEQ_CODE,
            NEEQ_NAME,
            NEEQ_ORG,
            "关于预计2023年日常性关联交易的公告",
            dt.date(2023, 4, 20),
            "1216600001",
            "category_lsgg",
            SYNTHETIC_DIR / NEEQ_FILE,
            "third",
        )
    ]


#: the cookie the disclosure pages of bse.cn / neeq.com.cn set, which their APIs then expect
WARM_COOKIE = "JSESSIONID=replay-warm-up"


class ReplayServer:
    def __init__(
        self,
        corpus: Path = DEFAULT_CORPUS,
        catalogue: list[CatalogueEntry] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """``catalogue`` defaults to the corpus PDFs (the key-page excerpts, the three complete
        prospectuses and the two annual reports) and the SYNTHETIC NEEQ announcement."""
        self.corpus = Path(corpus)
        from replay.neeq_sample import synthetic_pdfs

        synthetic = synthetic_pdfs(SYNTHETIC_DIR)
        #: bse.cn / neeq.com.cn ``destFilePath`` → the file served for it
        self.disclosure_files: dict[str, Path] = {
            "/disclosure/2025/2025-08-22/1755859951_970173.pdf": self.corpus
            / "pdf/prospectus/920100_sanxie_motor_prospectus_keypages_annotated.pdf",
            **{f"/disclosure/2023/2023-04-20/{name}": path for name, path in synthetic.items() if "neeq" in name},
            **{f"/disclosure/2020/2020-11-20/{name}": path for name, path in synthetic.items() if "430047" in name},
        }
        self.catalogue = catalogue if catalogue is not None else corpus_catalogue(self.corpus) + synthetic_catalogue()
        self._scripts: dict[str, deque[Scripted]] = {}
        self._lock = threading.Lock()
        #: (method, path, query+form parameters, request headers) of every request, in order
        self.hits: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = []
        template = json.loads((self.corpus / "api/cninfo/hisAnnouncement_query_page_latest.json").read_text("utf-8"))
        self._row_template = template["announcements"][0]
        self._page_template = {k: v for k, v in template.items() if k != "announcements"}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("replay: " + fmt, *args)

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

            def do_HEAD(self) -> None:
                server._handle(self, "HEAD")

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="replay", daemon=True)
        self._thread.start()
        log.info("replay server on %s (%d catalogue entries)", self.url, len(self.catalogue))
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, path: str, *responses: Scripted) -> None:
        """Serve ``responses`` (in order) for ``path`` before falling back to the normal handler."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(responses)

    def settings_overrides(self) -> dict[str, str]:
        return {
            "cninfo_base_url": self.url,
            "cninfo_static_url": self.url,
            "sse_query_url": self.url,
            "sse_static_url": self.url,
            "bse_base_url": self.url,
            "neeq_base_url": self.url,
            "szse_base_url": self.url,
            "szse_static_url": self.url,
        }

    # --- dispatch ----------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        params = parse_qs(parts.query, keep_blank_values=True)
        if body and "json" not in (h.headers.get("Content-Type") or ""):
            params.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        with self._lock:
            self.hits.append((method, parts.path, params, dict(h.headers.items())))
            queue = self._scripts.get(parts.path)
            scripted = queue.popleft() if queue else None
        if scripted is not None:
            self._send(h, scripted.status, scripted.body, scripted.headers, method)
            return
        path = parts.path
        try:
            if path == "/new/hisAnnouncement/query":
                self._cninfo_query(h, params, method)
            elif path == "/new/information/topSearch/query":
                self._top_search(h, params, method)
            elif path == "/new/data/gfzr_stock.json":
                # no recording of NEEQ's list exists: built from the catalogue's NEEQ entries, in the
                # recorded lists' shape
                rows = [
                    {"code": e.sec_code, "orgId": e.org_id, "zwjc": e.sec_name, "category": "三板", "pinyin": ""}
                    for e in self.catalogue
                    if e.column == "third"
                ]
                self._send(
                    h,
                    200,
                    json.dumps({"stockList": rows}, ensure_ascii=False).encode(),
                    {"Content-Type": "application/json;charset=UTF-8"},
                    method,
                )
            elif path.startswith("/new/data/") and path.endswith("_stock.json"):
                market = path.rsplit("/", 1)[-1].split("_")[0]
                f = {
                    "szse": "szse_stock_2026-06_bom_doubleencoded.json",
                    "bj": "bj_stock_2026-06_bom_doubleencoded.json",
                }.get(market)
                if f is None:
                    self._send(h, 404, b"not recorded", {}, method)
                else:
                    self._send(
                        h,
                        200,
                        (self.corpus / "api/cninfo" / f).read_bytes(),
                        {"Content-Type": "application/json;charset=UTF-8"},
                        method,
                    )
            elif path == "/security/stock/queryCompanyBulletinNew.do":
                self._send(
                    h,
                    200,
                    (self.corpus / "api/sse/queryCompanyBulletinNew_page1_2026-08-01_08.jsonp").read_bytes(),
                    {"Content-Type": "text/javascript;charset=UTF-8"},
                    method,
                )
            elif path == "/disclosure/announcement.html":  # the page a browser opens first: its cookie
                self._send(
                    h,
                    200,
                    b"<html><body>announcement</body></html>",
                    {"Content-Type": "text/html", "Set-Cookie": f"{WARM_COOKIE}; Path=/"},
                    method,
                )
            elif path == "/disclosureInfoController/companyAnnouncement.do" and not self._browser_like(h):
                # like bse.cn (akshare #3527, #4073): a POST without the page's Referer and cookie is 403
                self._send(h, 403, b"<html><body>403 Forbidden</body></html>", {"Content-Type": "text/html"}, method)
            elif path == "/disclosureInfoController/companyAnnouncement.do":
                bse = "xxfcbj[]" in params
                name = "bse_companyAnnouncement" if bse else "neeq_companyAnnouncement"
                self._disclosure_listing(h, params, method, name)
            elif path == "/disclosureInfoController/zoneInfoResult.do":
                self._disclosure_listing(h, params, method, "bse_zoneInfoResult_9533")
            elif path in self.disclosure_files:
                self._file(h, self.disclosure_files[path], method)
            elif path.startswith("/finalpage/"):
                self._pdf(h, path, method)
            else:
                self._send(h, 404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"}, method)
        except (BrokenPipeError, ConnectionResetError):  # client went away mid-body
            pass

    # --- handlers ----------------------------------------------------------------------------------

    @staticmethod
    def _browser_like(h: BaseHTTPRequestHandler) -> bool:
        referer = h.headers.get("Referer") or ""
        return referer.endswith("/disclosure/announcement.html") and WARM_COOKIE in (h.headers.get("Cookie") or "")

    def _stock_rows(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        for f in ("szse_stock_2026-06_bom_doubleencoded.json", "bj_stock_2026-06_bom_doubleencoded.json"):
            rows += json.loads(decode_text((self.corpus / "api/cninfo" / f).read_bytes())).get("stockList", [])
        return rows

    def _full_names(self) -> dict[str, str]:
        """code → full company name (东莞勤上光电股份有限公司), from the recorded webapi company list."""
        path = self.corpus / "api/cninfo/webapi_company_list_export.json"
        try:
            records = json.loads(path.read_text("utf-8")).get("records", [])
        except (OSError, ValueError):
            return {}
        return {str(r.get("SECCODE")): str(r.get("ORGNAME") or "") for r in records if isinstance(r, dict)}

    def _top_search(self, h: BaseHTTPRequestHandler, p: dict[str, list[str]], method: str) -> None:
        """cninfo's search box: ``keyWord`` (a code, a short name, pinyin, or a part of the full name,
        so a former name inside it — 勤上光电 in 东莞勤上光电股份有限公司 — is found) → matching securities."""
        key = (p.get("keyWord") or [""])[0].strip().lower()
        limit = int((p.get("maxNum") or ["10"])[0] or 10)
        found: dict[str, dict[str, str]] = {}
        for e in self.catalogue:  # the catalogue first: companies not (yet) in any stock list
            if key and (key == e.sec_code or key in e.sec_name.lower()):
                category = "三板" if e.column == "third" else "A股"
                found.setdefault(
                    e.sec_code, {"code": e.sec_code, "orgId": e.org_id, "zwjc": e.sec_name, "category": category}
                )
        full = self._full_names()
        for r in self._stock_rows() if key else []:
            names = (str(r.get("zwjc", "")).lower(), full.get(str(r.get("code")), "").lower())
            if key in (str(r.get("code")), str(r.get("pinyin", "")).lower()) or any(key in n for n in names if n):
                found.setdefault(
                    str(r["code"]), {k: str(r.get(k, "")) for k in ("code", "orgId", "zwjc", "pinyin", "category")}
                )
        body = json.dumps(list(found.values())[:limit], ensure_ascii=False).encode()
        self._send(h, 200, body, {"Content-Type": "application/json;charset=UTF-8"}, method)

    def _cninfo_query(self, h: BaseHTTPRequestHandler, p: dict[str, list[str]], method: str) -> None:
        def one(name: str, default: str = "") -> str:
            return (p.get(name) or [default])[0]

        entries = self.catalogue
        stock = one("stock")
        if stock:
            # as on the live site, a code with the wrong orgId finds nothing (totalAnnouncement=0)
            wanted = {tuple([*x.split(","), ""][:2]) for x in stock.split(";") if x}
            entries = [e for e in entries if (e.sec_code, e.org_id) in wanted or (e.sec_code, "") in wanted]
        column = one("column")
        if column in ("third", "bj"):  # NEEQ's column; BSE's (column=bj, plate=bj)
            entries = [e for e in entries if e.column == column]
        elif not stock:  # szse is 沪深京: every A share, no NEEQ company
            entries = [e for e in entries if e.column != "third"]
        key = one("searchkey").strip()
        if key:
            entries = [e for e in entries if key in e.title]
        cats = {c for c in one("category").split(";") if c}
        if cats:
            entries = [e for e in entries if e.category in cats]
        se = one("seDate")
        if "~" in se and se.strip() != "~":
            a, b = (dt.date.fromisoformat(x.strip()) for x in se.split("~"))
            entries = [e for e in entries if a <= e.published <= b]
        entries = sorted(entries, key=lambda e: (e.published, e.announcement_id), reverse=True)
        if not entries:
            self._send(
                h,
                200,
                (self.corpus / "api/cninfo/hisAnnouncement_query_empty.json").read_bytes(),
                {"Content-Type": "application/json;charset=UTF-8"},
                method,
            )
            return
        size = max(1, int(one("pageSize", "30")))
        page = max(1, int(one("pageNum", "1")))
        chunk = entries[(page - 1) * size : page * size]
        highlight = one("isHLtitle") == "true" and key
        rows = []
        for e in chunk:
            row = copy.deepcopy(self._row_template)
            title = e.title.replace(key, f"<em>{key}</em>") if highlight else e.title
            beijing = dt.datetime.combine(e.published, dt.time(0), dt.timezone(dt.timedelta(hours=8)))
            row.update(
                secCode=e.sec_code,
                secName=e.sec_name,
                tileSecName=e.sec_name,
                orgId=e.org_id,
                announcementId=e.announcement_id,
                announcementTitle=title,
                shortTitle=e.title,
                announcementTime=int(beijing.timestamp() * 1000),
                adjunctUrl=e.adjunct_url,
                adjunctSize=max(1, e.pdf.stat().st_size // 1024),
                adjunctType="PDF",
                pageColumn=e.column.upper(),
                announcementType=e.category,
            )
            rows.append(row)
        total = len(entries)
        pages = (total + size - 1) // size
        payload = dict(
            self._page_template,
            announcements=rows,
            totalAnnouncement=total,
            totalRecordNum=total,
            totalpages=pages,
            hasMore=page < pages,
            totalSecurities=len({e.sec_code for e in entries}),
        )
        self._send(
            h,
            200,
            json.dumps(payload, ensure_ascii=False).encode(),
            {"Content-Type": "application/json;charset=UTF-8"},
            method,
        )

    def _disclosure_listing(self, h: BaseHTTPRequestHandler, p: dict[str, list[str]], method: str, name: str) -> None:
        """A reconstructed answer (replay/recordings) filtered by the request and paged (0-based, 20 a
        page), in the recording's own envelope and under the request's callback."""
        raw = (RECORDINGS / f"{name}_RECONSTRUCTED.jsonp").read_text("utf-8")
        payload = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
        head = payload[0]
        body = head["listInfo"]

        def one(key: str) -> str:
            return (p.get(key) or [""])[0].strip()

        def day(r: dict[str, Any]) -> dt.date:
            if r.get("publishDate"):
                return dt.date.fromisoformat(str(r["publishDate"])[:10])
            return dt.datetime.fromtimestamp(r["pubDate"]["time"] / 1000, dt.timezone(dt.timedelta(hours=8))).date()

        rows = body["content"]
        code, key = one("companyCd"), one("keyword")
        if code:
            rows = [r for r in rows if r["companyCd"] == code]
        if key:
            rows = [r for r in rows if key in r["disclosureTitle"]]
        if one("startTime"):
            rows = [r for r in rows if day(r) >= dt.date.fromisoformat(one("startTime"))]
        if one("endTime"):
            rows = [r for r in rows if day(r) <= dt.date.fromisoformat(one("endTime"))]
        size, page = int(body.get("size") or 20), int(one("page") or 0)
        pages = (len(rows) + size - 1) // size
        chunk = rows[page * size : (page + 1) * size]
        head["listInfo"] = dict(
            body,
            content=chunk,
            totalElements=len(rows),
            totalPages=pages,
            number=page,
            numberOfElements=len(chunk),
            firstPage=page == 0,
            lastPage=page >= pages - 1,
        )
        callback = one("callback") or "null"
        text = f"{callback}({json.dumps(payload, ensure_ascii=False)})"
        self._send(h, 200, text.encode(), {"Content-Type": "text/javascript;charset=UTF-8"}, method)

    def _file(self, h: BaseHTTPRequestHandler, path: Path, method: str) -> None:
        if not path.is_file():
            self._send(h, 404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"}, method)
            return
        self._send(h, 200, path.read_bytes(), {"Content-Type": "application/pdf"}, method)

    def _pdf(self, h: BaseHTTPRequestHandler, path: str, method: str) -> None:
        match = next((e for e in self.catalogue if "/" + e.adjunct_url == path), None)
        if match is None or not match.pdf.is_file():
            self._send(h, 404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"}, method)
            return
        data = match.pdf.read_bytes()
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0] or 0)
            if start >= len(data):
                self._send(h, 416, b"", {"Content-Range": f"bytes */{len(data)}"}, method)
                return
            self._send(
                h,
                206,
                data[start:],
                {
                    "Content-Type": "application/pdf",
                    "Accept-Ranges": "bytes",
                    "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}",
                },
                method,
            )
            return
        self._send(h, 200, data, {"Content-Type": "application/pdf", "Accept-Ranges": "bytes"}, method)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str], method: str) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", headers.get("X-Content-Length", str(len(body))))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(body)
