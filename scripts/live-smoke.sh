#!/usr/bin/env bash
# Live smoke test for a machine with internet (NOT part of the tests): one SH, one SZ and one BSE code
# through each adapter, printing rows found, pages fetched and the first title; then one ad-hoc run
# with --max-documents 1 end to end. Usage: scripts/live-smoke.sh [YYYY-MM-DD start] [YYYY-MM-DD end]
set -uo pipefail
cd "$(dirname "$0")/.."
START=${1:-$(date -d '-90 days' +%F)}
END=${2:-$(date +%F)}
PY=.venv/bin/python
$PY - "$START" "$END" <<'PY'
import datetime as dt, logging, sys
from core.settings import Settings
from scrapers.base import Query
from scrapers.http import HttpClient
from scrapers.registry import adapter_for

logging.basicConfig(level=logging.WARNING)
log = logging.getLogger("live-smoke")
log.setLevel(logging.INFO)
start, end = (dt.date.fromisoformat(a) for a in sys.argv[1:3])
codes = {"cninfo": ["600519", "000001", "920100", "430047"], "sse": ["600519"], "szse": ["000001"], "bse": ["920100"], "neeq": ["430047"]}
settings = Settings()
failed = 0
for exchange, group in codes.items():
    for code in group:
        try:
            with HttpClient(settings) as http:
                r = adapter_for(exchange, http, settings).search(Query(codes=(code,), start=start, end=end))
            first = r.announcements[0].title if r.announcements else "—"
            log.info("%-6s %s: %d rows (%d reported), %d pages; first: %s", exchange, code, len(r.announcements), r.reported_total, r.pages_fetched, first)
            failed += not r.announcements
        except Exception as exc:  # a smoke test reports every failure and goes on
            failed += 1
            log.error("%-6s %s: %s: %s", exchange, code, type(exc).__name__, exc)
sys.exit(1 if failed else 0)
PY
rc=$?
$PY -m flows run --code 600519 --category 年报 --start "$START" --end "$END" --max-documents 1 --no-llm || rc=1
exit $rc
