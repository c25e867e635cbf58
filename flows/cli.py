"""Command line: ``python -m flows {run,daily,serve,replay-server}``.

``--replay`` starts the local replay server (real recordings and corpus PDFs on 127.0.0.1) and
points every exchange base URL at it, so the whole pipeline runs with no internet.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from core.settings import Settings, using_settings
from scrapers.cninfo import CATEGORIES

log = logging.getLogger("flows")


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


@contextlib.contextmanager
def replay_settings(corpus: Path | None, settings: Settings) -> Iterator[Settings]:
    """Start the replay server; the settings point every exchange base URL at it."""
    from replay import DEFAULT_CORPUS, ReplayServer

    with ReplayServer(corpus or DEFAULT_CORPUS) as server:
        yield settings.model_copy(update={**server.settings_overrides(), "min_interval_s": 0.0})


def _task_runner(kind: str, workers: int):  # type: ignore[no-untyped-def]
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            sys.exit("the dask task runner needs: pip install -e '.[dask]'")
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flows", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="cmd", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--replay", action="store_true", help="run against the local replay server")
        p.add_argument("--corpus", type=Path, default=None, help="corpus folder for --replay")
        p.add_argument("--exchange", default="cninfo", choices=["cninfo", "sse", "szse", "bse", "neeq"])
        p.add_argument(
            "--category",
            action="append",
            default=[],
            help="repeatable cninfo category: " + ", ".join(f"{k} ({v})" for k, v in CATEGORIES.items()),
        )
        p.add_argument("--tabula", action="store_true", help="also run tabula-py (needs Java) on target pages")
        p.add_argument("--keyword", default=None)
        p.add_argument("--no-llm", action="store_true", help="use the offline backend even if a key is set")
        p.add_argument("--task-runner", choices=["threads", "dask"], default="threads")
        p.add_argument("--workers", type=int, default=None)

    run = sub.add_parser("run", help="ad-hoc run with filters")
    common(run)
    run.add_argument("--code", action="append", default=[], help="six-digit stock code, repeatable")
    run.add_argument("--start", type=_date, default=None)
    run.add_argument("--end", type=_date, default=None)
    run.add_argument("--max-documents", type=int, default=None)

    daily = sub.add_parser("daily", help="incremental run since the last successful daily run")
    common(daily)
    daily.add_argument("--lookback-days", type=int, default=1)

    serve = sub.add_parser("serve", help="serve the daily flow on its cron schedule (flow.serve)")
    serve.add_argument("--cron", default=None, help="default: PP_DAILY_CRON (Asia/Shanghai)")

    rs = sub.add_parser("replay-server", help="run the replay server in the foreground")
    rs.add_argument("--corpus", type=Path, default=None)
    rs.add_argument("--port", type=int, default=8765)

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no phoning home from offline machines
    for noisy in ("httpx", "pdfminer", "prefect.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    settings = Settings()
    if getattr(args, "tabula", False):
        settings = settings.model_copy(update={"tabula_enabled": True})
    if args.cmd == "replay-server":
        from replay import DEFAULT_CORPUS, ReplayServer

        with ReplayServer(args.corpus or DEFAULT_CORPUS, port=args.port) as s:
            log.info("replay server on %s — export PP_CNINFO_BASE_URL=%s PP_CNINFO_STATIC_URL=%s", s.url, s.url, s.url)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
        return 0

    from flows.pipeline import adhoc_flow, daily_flow

    if args.cmd == "serve":
        from flows.serve import serve_daily

        serve_daily(args.cron or settings.daily_cron, settings.timezone)
        return 0

    runner = _task_runner(args.task_runner, args.workers or settings.max_workers)
    ctx = replay_settings(args.corpus, settings) if args.replay else contextlib.nullcontext(settings)
    with ctx as run_settings, using_settings(run_settings):
        if args.cmd == "run":
            start, end = args.start, args.end
            if args.replay and start is None and end is None:
                start, end = dt.date(2009, 1, 1), dt.date.today()  # the corpus spans 2010-2025
            path = adhoc_flow.with_options(task_runner=runner)(
                exchange=args.exchange,
                codes=args.code,
                keyword=args.keyword,
                categories=args.category,
                start=start,
                end=end,
                max_documents=args.max_documents,
                llm=not args.no_llm,
            )
        else:
            path = daily_flow.with_options(task_runner=runner)(
                exchange=args.exchange,
                categories=args.category or ["category_scgkfx_szsh"],
                keyword=args.keyword,
                lookback_days=args.lookback_days,
            )
    log.info("done: %s", path)
    return 0
