"""Command line: ``python -m flows {run,daily,serve,replay-server}``.

``--replay`` starts the local replay server (real recordings and corpus PDFs on 127.0.0.1) and
points every exchange base URL at it, so the whole pipeline runs with no internet.

Parameters are checked before Prefect starts. Exit codes: 0 the run completed, 1 it completed with
some items failed (Prefect state 'Partial'), 2 bad parameters, 3 the run failed (nothing matched, or
every document failed).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.categories import CATEGORY_NAMES
from core.errors import ConfigError
from core.params import RunParams, parse_date
from core.settings import Settings, using_settings

if TYPE_CHECKING:
    from flows.server import TemporaryAPI

log = logging.getLogger("flows")


EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 2, 3, 4


def _date(value: str) -> dt.date:
    try:
        return parse_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


class _QuietTaskStates(logging.Filter):
    """Drop Prefect's per-task 'Finished in state …' lines from the console (the UI keeps them), and its
    per-task warning that a timeout cannot interrupt a worker thread: our stages enforce their own
    deadlines inside the task (core.http request/download deadlines), so the warning is one line of
    noise per document."""

    _NOISE = ("Finished in state", "running in a worker thread")

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("prefect.task_runs"):
            return True
        message = record.getMessage()
        return not any(noise in message for noise in self._NOISE)


def _quiet_console() -> None:
    for handler in [*logging.getLogger().handlers, *logging.getLogger("prefect").handlers]:
        if isinstance(handler, logging.StreamHandler) and type(handler).__name__ != "APILogHandler":
            handler.addFilter(_QuietTaskStates())


@contextlib.contextmanager
def replay_settings(corpus: Path | None, settings: Settings) -> Iterator[Settings]:
    """Start the replay server; the settings point every exchange base URL at it."""
    from replay import DEFAULT_CORPUS, ReplayServer

    with ReplayServer(corpus or DEFAULT_CORPUS) as server:
        yield settings.model_copy(update={**server.settings_overrides(), "min_interval_s": 0.0})


def recipe_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--table",
        action="append",
        default=[],
        help="repeatable table recipe, e.g. 关联交易, 前五名客户 (python -m flows tables lists them)",
    )
    p.add_argument("--recipes", type=Path, default=None, help="a TOML file of your own table recipes")
    p.add_argument(
        "--recipe-engine",
        choices=["pdfplumber", "tabula"],
        default=None,
        help="whose tables the recipes read (default PP_RECIPE_ENGINE, pdfplumber; tabula needs Java)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m flows", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="cmd", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--replay", action="store_true", help="run against the local replay server (no internet)")
        p.add_argument("--corpus", type=Path, default=None, help="corpus folder for --replay")
        p.add_argument(
            "--exchange",
            default="cninfo",
            choices=["cninfo", "sse", "szse", "bse", "neeq"],
            help="where to search (default cninfo: SZSE, SSE and BSE)",
        )
        p.add_argument(
            "--category",
            action="append",
            default=[],
            help="repeatable; a name or a cninfo code: "
            + ", ".join(f"{names[0]} ({code})" for code, names in CATEGORY_NAMES.items()),
        )
        p.add_argument("--tabula", action="store_true", help="also run tabula-py (needs Java) on target pages")
        p.add_argument("--keyword", default=None, help="text the title must contain, e.g. 招股说明书")
        p.add_argument("--no-llm", action="store_true", help="use the offline backend even if a key is set")
        p.add_argument(
            "--all-versions",
            action="store_true",
            help="read every prospectus version (申报稿, 注册稿, 意向书 …), summary and notice; by default only "
            "the latest full prospectus per company, the rest listed in Announcements with the reason",
        )
        p.add_argument(
            "--task-runner",
            choices=["threads", "dask"],
            default="threads",
            help="where extraction runs: the run's own worker processes (threads, the default) or a Dask "
            "cluster (dask); Prefect's tasks run in the flow's threads either way",
        )
        p.add_argument(
            "--workers",
            type=_positive,
            default=None,
            help="extraction processes, or with dask local Dask workers (default PP_EXTRACT_PROCESSES: one per CPU)",
        )
        p.add_argument(
            "--dask-address",
            default=None,
            help="with --task-runner dask: an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (its workers "
            "must read this run's PP_DATA_DIR)",
        )
        recipe_flags(p)

    run = sub.add_parser("run", help="ad-hoc run with filters")
    common(run)
    run.add_argument("--code", action="append", default=[], help="six-digit stock code, repeatable")
    run.add_argument(
        "--company", action="append", default=[], help="company by short name or pinyin initials, e.g. 三联锻造"
    )
    run.add_argument("--start", type=_date, default=None, help="first publication date, YYYY-MM-DD (Beijing time)")
    run.add_argument("--end", type=_date, default=None, help="last publication date, YYYY-MM-DD (Beijing time)")
    run.add_argument("--max-documents", type=_positive, default=None, help="process at most N documents (≥ 1)")

    daily = sub.add_parser("daily", help="incremental run since the last successful daily run")
    common(daily)
    daily.add_argument("--lookback-days", type=_positive, default=1, help="first run only: how many days back to start")

    ex = sub.add_parser("extract", help="extract PDFs already on disk (files or folders) into a workbook + CSVs")
    ex.add_argument("paths", nargs="+", type=Path, help="PDF files or folders of them")
    ex.add_argument("--out", type=Path, default=None, help="output folder (default PP_OUTPUTS_DIR)")
    ex.add_argument("--tabula", action="store_true", help="also run tabula-py (needs Java) on target pages")
    recipe_flags(ex)

    exp = sub.add_parser("export", help="one merged workbook (and CSV/parquet) over every run in the store")
    exp.add_argument("--since", type=_date, default=None, help="only what was first stored from this date (Beijing)")
    exp.add_argument(
        "--since-last-export", action="store_true", help="only what was first stored after the previous export"
    )
    exp.add_argument("--format", default="xlsx,csv,parquet", help="comma-separated: xlsx, csv, parquet (default all)")
    exp.add_argument("--out", type=Path, default=None, help="output folder (default PP_OUTPUTS_DIR)")

    tables = sub.add_parser("tables", help="list the table recipes (built-in and --recipes FILE)")
    tables.add_argument("--recipes", type=Path, default=None, help="a TOML file of your own table recipes")
    tables.add_argument("file", nargs="?", type=Path, help="with --page: preview the numbered tables of a page")
    tables.add_argument("--page", type=_positive, default=None, help="the page to preview (1-based)")

    serve = sub.add_parser("serve", help="serve the daily flow on its cron schedule (flow.serve)")
    serve.add_argument("--cron", default=None, help="default: PP_DAILY_CRON (Asia/Shanghai)")

    rs = sub.add_parser("replay-server", help="run the replay server in the foreground")
    rs.add_argument("--corpus", type=Path, default=None, help="corpus folder (default ../shared/corpus)")
    rs.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no phoning home from offline machines
    for noisy in ("httpx", "httpx2", "pdfminer", "prefect.server"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    settings = Settings()
    if getattr(args, "tabula", False):
        settings = settings.model_copy(update={"tabula_enabled": True})
    if getattr(args, "recipes", None):
        settings = settings.model_copy(update={"recipes_file": args.recipes})
    if getattr(args, "recipe_engine", None):
        settings = settings.model_copy(update={"recipe_engine": args.recipe_engine})
    if args.cmd in ("extract", "tables"):
        from extractors.recipes import load_recipes, select

        try:
            recipes = load_recipes(settings.recipes_file)
            chosen = select(recipes, args.table) if args.cmd == "extract" else []
        except ConfigError as exc:
            parser.error(str(exc))
        if args.cmd == "tables" and args.file is not None:
            from extractors.tables import page_tables

            for t in page_tables(args.file, args.page or 1):
                kind = "box  " if t.box else "table"
                log.info("%d %s bbox %s %d×%d  %s", t.index, kind, t.bbox, t.rows, t.columns, " | ".join(t.first_row))
            return EXIT_OK
        if args.cmd == "tables":
            for r in recipes.values():
                log.info("%s → sheet %s: %s", r.name, r.sheet, r.description)
            return EXIT_OK
        from flows.local import extract_files

        path = extract_files(args.paths, args.out or settings.outputs_dir, chosen, settings)
        log.info("workbook: %s (CSVs in %s)", path, path.with_name(path.stem + "_csv"))
        return EXIT_OK
    if args.cmd == "export":
        from flows.export import export

        if args.since and args.since_last_export:
            parser.error("give --since or --since-last-export, not both")
        formats = [f.strip() for f in args.format.split(",") if f.strip()]
        try:
            path = export(
                settings,
                args.out or settings.outputs_dir,
                since=args.since,
                since_last_export=args.since_last_export,
                formats=formats,
            )
        except ConfigError as exc:
            parser.error(str(exc))
        log.info("export: %s", path)
        return EXIT_OK
    if args.cmd == "replay-server":
        from replay import DEFAULT_CORPUS, ReplayServer

        with ReplayServer(args.corpus or DEFAULT_CORPUS, port=args.port) as s:
            log.info("replay server on %s — export PP_CNINFO_BASE_URL=%s PP_CNINFO_STATIC_URL=%s", s.url, s.url, s.url)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
        return 0

    if args.cmd in ("run", "daily"):
        try:  # refuse bad parameters now, not after Prefect's start-up
            if args.cmd == "run":
                params = RunParams.checked(
                    exchange=args.exchange,
                    codes=args.code,
                    keyword=args.keyword,
                    categories=args.category,
                    start=args.start,
                    end=args.end,
                    max_documents=args.max_documents,
                    all_versions=args.all_versions,
                    tables=args.table,
                )
            else:
                params = RunParams.checked(
                    exchange=args.exchange, categories=args.category, all_versions=args.all_versions, tables=args.table
                )
            if params.tables:
                from extractors.recipes import load_recipes, select

                select(load_recipes(settings.recipes_file), params.tables)
        except ConfigError as exc:
            parser.error(str(exc))

    from flows.server import temporary_api

    if args.cmd == "serve":
        from flows.serve import serve_daily

        _quiet_console()
        serve_daily(args.cron or settings.daily_cron, settings.timezone)
        return 0
    # one Prefect API for the run, started now as a child process, so that its
    # start-up overlaps the flow's imports below, and without loading Prefect's server here
    with temporary_api() as api:
        return _run_flow(args, params, settings, api)


def _run_flow(args: argparse.Namespace, params: RunParams, settings: Settings, api: TemporaryAPI) -> int:
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.pipeline import adhoc_flow, daily_flow
    from flows.processes import task_threads

    _quiet_console()
    if args.workers:
        settings = settings.model_copy(update={"extract_processes": args.workers})
    if args.task_runner == "dask":
        if importlib.util.find_spec("distributed") is None:
            sys.exit("the dask mode needs: pip install -e '.[dask]'")
        settings = settings.model_copy(update={"extract_on_dask": True, "dask_address": args.dask_address})
    runner: Any = ThreadPoolTaskRunner(
        max_workers=task_threads(settings.max_workers, settings.extract_processes, settings.llm_concurrency)
    )
    ctx = replay_settings(args.corpus, settings) if args.replay else contextlib.nullcontext(settings)
    api_url = api.ready()
    with ctx as run_settings, using_settings(run_settings):
        if args.task_runner == "dask":
            log.info("dask: extraction on the Dask cluster; one Prefect API for the run at %s", api_url)
        if args.cmd == "run" and args.company:
            from flows.api import resolve_company

            try:
                params.codes += [resolve_company(name, run_settings) for name in args.company]
            except ConfigError as exc:
                log.error("%s", exc)
                return EXIT_USAGE
        if args.cmd == "run":
            start, end = args.start, args.end
            if args.replay and start is None and end is None:
                start, end = dt.date(2009, 1, 1), dt.date.today()  # the corpus spans 2010-2025
            state = adhoc_flow.with_options(task_runner=runner, timeout_seconds=run_settings.run_timeout_s)(
                exchange=params.exchange,
                codes=params.codes,
                keyword=params.keyword,
                categories=params.categories,
                start=start,
                end=end,
                max_documents=params.max_documents,
                llm=not args.no_llm,
                all_versions=params.all_versions,
                tables=params.tables,
                return_state=True,
            )
        else:
            state = daily_flow.with_options(task_runner=runner, timeout_seconds=run_settings.run_timeout_s)(
                exchange=params.exchange,
                categories=params.categories or None,
                keyword=args.keyword,
                lookback_days=args.lookback_days,
                all_versions=params.all_versions,
                tables=params.tables,
                return_state=True,
            )
    return exit_code(state)


def exit_code(state: Any) -> int:
    """0 completed, 1 partial, 3 failed, 4 cancelled (SIGTERM, Ctrl-C); the state's message and the
    workbook are logged."""
    path = (
        state.result(raise_on_failure=False)
        if state.is_completed() or state.is_failed() or state.is_cancelled()
        else None
    )
    if state.is_completed():
        partial = state.name == "Partial"
        log.log(logging.WARNING if partial else logging.INFO, "%s: %s — %s", state.name, state.message, path)
        return EXIT_PARTIAL if partial else EXIT_OK
    log.error("%s: %s — %s", state.name, state.message, path if isinstance(path, str) else "")
    return EXIT_CANCELLED if state.is_cancelled() else EXIT_FAILED
