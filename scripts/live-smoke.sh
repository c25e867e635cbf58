#!/usr/bin/env bash
# Live smoke test for a machine with internet (NOT part of the tests): an SH, an SZ, a BSE and a NEEQ code
# through each adapter, then each market's keyword search on cninfo (--market 沪深 / 京 / 三板), the BSE
# prospectus zone and NEEQ's own site (which may refuse scripted clients: that is reported, with the
# cninfo route, not counted as a failure), printing rows found, pages fetched and the first title; then
# one ad-hoc run with --max-documents 1 end to end.
# Usage: scripts/live-smoke.sh [YYYY-MM-DD start] [YYYY-MM-DD end]
set -uo pipefail
cd "$(dirname "$0")/.."
START=${1:-$(date -d '-90 days' +%F)}
END=${2:-$(date +%F)}
PY=.venv/bin/python
$PY - "$START" "$END" <<'PY'
import datetime as dt, logging, sys
from core.errors import ScrapeError
from core.settings import Settings
from scrapers.base import Query
from scrapers.http import HttpClient
from scrapers.registry import adapter_for

logging.basicConfig(level=logging.WARNING)
log = logging.getLogger("live-smoke")
log.setLevel(logging.INFO)
start, end = (dt.date.fromisoformat(a) for a in sys.argv[1:3])
# 836624 新圆沉香 is a NEEQ company (430047 is BSE's 诺思兰德, renumbered 920047)
NEEQ = "836624"
searches = [
    *[("cninfo", Query(codes=(c,), start=start, end=end)) for c in ("600519", "000001", "920100", NEEQ)],
    ("sse", Query(codes=("600519",), start=start, end=end)),
    ("szse", Query(codes=("000001",), start=start, end=end)),
    ("bse", Query(codes=("920100",), start=start, end=end)),
    # each market's keyword search, as its users run it
    ("cninfo", Query(market="sh-sz", keyword="年度报告", start=start, end=end)),
    ("cninfo", Query(market="bj", keyword="年度报告", start=start, end=end)),
    ("cninfo", Query(market="neeq", keyword="日常性关联交易", start=start, end=end)),
    ("bse", Query(categories=("category_sf_szsh",), start=start - dt.timedelta(days=275), end=end)),
    ("neeq", Query(codes=(NEEQ,), start=start, end=end)),
]
settings = Settings()
failed = 0
for exchange, q in searches:
    what = ",".join(q.codes) or f"{q.market or ''} {q.keyword or ''} {','.join(q.categories)}".strip()
    try:
        with HttpClient(settings) as http:
            r = adapter_for(exchange, http, settings).search(q)
        first = r.announcements[0].title if r.announcements else "—"
        log.info("%-6s %s: %d rows (%d reported), %d pages; first: %s", exchange, what, len(r.announcements), r.reported_total, r.pages_fetched, first)
        failed += not r.announcements
    except ScrapeError as exc:
        refused = exchange == "neeq" and "--market 三板" in str(exc)  # its one-line refusal naming cninfo
        (log.warning if refused else log.error)("%-6s %s: %s", exchange, what, exc)
        failed += not refused
    except Exception as exc:  # a smoke test reports every failure and goes on
        failed += 1
        log.error("%-6s %s: %s: %s", exchange, what, type(exc).__name__, exc)
sys.exit(1 if failed else 0)
PY
rc=$?
$PY -m flows run --code 600519 --category 年报 --start "$START" --end "$END" --max-documents 1 --no-llm || rc=1
exit $rc
