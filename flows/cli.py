"""Command line: ``python -m flows {run,daily,serve,replay-server}``.

``--replay`` starts the local replay server (real recordings and corpus PDFs on 127.0.0.1) and
points every exchange base URL at it, so the whole pipeline runs with no internet.

Parameters are checked before Prefect starts. Exit codes: 0 the run completed, 1 it completed with
some items failed (Prefect state 'Partial', of type Failed: red in the UI), 2 bad parameters or a
missing input file, 3 the run failed (nothing matched, or every document failed), 4 cancelled
(SIGTERM, Ctrl-C).
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.categories import CATEGORY_NAMES
from core.errors import ConfigError
from core.params import MAX_LOOKBACK_DAYS, RunParams, parse_date
from core.settings import Settings, using_settings
from run.plan import recipes_for
from scrapers.registry import exchanges  # each exchange registers its name and category codes on import

if TYPE_CHECKING:
    from flows.server import TemporaryAPI

log = logging.getLogger("flows")


EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 2, 3, 4
#: the RunParams fields the daily flow takes as they are (its window comes from the manifest)
DAILY_FIELDS = {"exchange", "market", "keyword", "all_versions", "tables", "llm_batch"}


#: Dates the CLI accepts: the exchanges' history (1990 on) to far ahead; outside, a date is a typo
#: (``0001-01-01`` overflowed the conversion to a UTC timestamp).
FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2199, 12, 31)
#: --lookback-days at most (back to 1990 and then some): more overflowed the date arithmetic.


def _date(value: str) -> dt.date:
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise argparse.ArgumentTypeError(f"{day} is outside {FIRST_DATE} ~ {LAST_DATE}")
    return day


def _positive(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def _days(value: str) -> int:
    n = _positive(value)
    if n > MAX_LOOKBACK_DAYS:
        raise argparse.ArgumentTypeError(f"at most {MAX_LOOKBACK_DAYS} days, got {n}")
    return n


def _check_state(settings: Settings) -> str | None:
    """One line saying why the data folder cannot be used, before any work: it is a file, or its
    store or manifest was written by a newer version (StoreSchemaError)."""
    from core.errors import StoreSchemaError
    from core.manifest import SCHEMA_VERSION as MANIFEST_VERSION
    from core.sqlite import check_version
    from core.store import SCHEMA_VERSION as STORE_VERSION

    for name, folder in (("data folder (PP_DATA_DIR)", settings.data_dir), ("outputs folder", settings.outputs_dir)):
        if folder.exists() and not folder.is_dir():
            return f"the {name} {folder} is a file, not a folder"
    try:
        check_version(settings.store_path, STORE_VERSION)
        check_version(settings.manifest_path, MANIFEST_VERSION)
    except StoreSchemaError as exc:
        return str(exc)
    return None


class _QuietTaskStates(logging.Filter):
    """Drop Prefect's per-task 'Finished in state …' lines from the console (the UI keeps them): the
    run's own ``download n/N`` / ``extract n/N`` lines (core.progress) say it once per document. (Its
    warning that a task timeout cannot interrupt a worker thread is no longer caused: the tasks run in
    threads carry no Prefect timeout. It stays filtered here should one come back.)"""

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
        dest="tables",
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

    _flow_parsers(sub)
    _local_parsers(sub)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    """The flags of the flow commands (run, daily)."""
    p.add_argument("--replay", action="store_true", help="run against the local replay server (no internet)")
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder for --replay")
    p.add_argument(
        "--exchange",
        default="cninfo",
        choices=exchanges(),
        help="where to search (default cninfo: SZSE, SSE and BSE)",
    )
    p.add_argument(
        "--market",
        default=None,
        help="without --code, the market searched on cninfo: 沪深 (sh-sz), 京 (bj), 三板 (neeq) or all; "
        "default 沪深京 (cninfo's default column); codes imply their market",
    )
    p.add_argument(
        "--category",
        dest="categories",
        action="append",
        default=[],
        help="repeatable; a name or a cninfo code: "
        + ", ".join(f"{names[0]} ({code})" for code, names in CATEGORY_NAMES.items()),
    )
    p.add_argument("--tabula", action="store_true", help="also run tabula-py (needs Java) on target pages")
    p.add_argument("--keyword", default=None, help="text the title must contain, e.g. 招股说明书")
    p.add_argument(
        "--no-llm", dest="llm", action="store_false", help="use the offline backend even if a key is set"
    )
    p.add_argument(
        "--llm-batch",
        dest="llm_batch",
        action="store_true",
        help="ask the model through the OpenAI Batch API once every document is extracted (half the price, "
        "no rate limit to stall on; an endpoint without batches is asked online)",
    )
    p.add_argument(
        "--all-versions",
        action="store_true",
        help="read every prospectus version (申报稿, 注册稿, 意向书 …), summary and notice; by default only "
        "the latest full prospectus per company, the rest listed in Announcements with the reason",
    )
    _engine_flags(p)
    recipe_flags(p)


def _engine_flags(p: argparse.ArgumentParser) -> None:
    """Where the extraction runs: the run's own processes or Dask."""
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


def _flow_parsers(sub: Any) -> None:
    """run and daily."""
    run = sub.add_parser("run", help="ad-hoc run with filters")
    _common(run)
    run.add_argument("--code", dest="codes", action="append", default=[], help="six-digit stock code, repeatable")
    run.add_argument(
        "--company",
        dest="companies",
        action="append",
        default=[],
        help="company by short name, full or former name, or pinyin initials, e.g. 三联锻造",
    )
    run.add_argument("--start", type=_date, default=None, help="first publication date, YYYY-MM-DD (Beijing time)")
    run.add_argument("--end", type=_date, default=None, help="last publication date, YYYY-MM-DD (Beijing time)")
    run.add_argument("--max-documents", type=_positive, default=None, help="process at most N documents (≥ 1)")

    daily = sub.add_parser("daily", help="incremental run since the last successful daily run")
    _common(daily)
    daily.add_argument("--lookback-days", type=_days, default=1, help="first run only: how many days back to start")
    daily.add_argument(
        "--workbook-when-empty", action="store_true", help="write a workbook even when nothing in the window is new"
    )


def _local_parsers(sub: Any) -> None:
    """The commands that run no flow: extract, export, tables, grep, serve, replay-server."""
    ex = sub.add_parser(
        "extract",
        help="PDFs already on disk (files or folders) as a run: extraction, summaries and roles, the workbook, "
        "CSV, parquet and the store (so export includes them)",
    )
    ex.add_argument("paths", nargs="+", type=Path, help="PDF files or folders of them")
    ex.add_argument("--out", type=Path, default=None, help="output folder (default PP_OUTPUTS_DIR)")
    ex.add_argument("--tabula", action="store_true", help="also run tabula-py (needs Java) on target pages")
    ex.add_argument("--no-llm", action="store_true", help="use the offline backend even if a key is set")
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

    grep = sub.add_parser("grep", help="search inside the downloaded documents (and PDFs named) for a text")
    grep.add_argument("pattern", help="the text to find, e.g. 主要竞争对手 (a plain string, not a regex)")
    grep.add_argument("files", nargs="*", type=Path, help="search only these PDFs or folders (indexed once)")
    grep.add_argument("--since", type=_date, default=None, help="only documents published from this date")
    grep.add_argument("--company", default=None, help="only this company: a code or part of its short name")
    grep.add_argument("--limit", type=_positive, default=200, help="at most this many pages (default 200)")
    grep.add_argument("--out", type=Path, default=None, help="output folder for the sheet (default PP_OUTPUTS_DIR)")

    serve = sub.add_parser(
        "serve",
        help="serve the daily flow on its cron schedule, with a local Prefect server (UI, scheduler) "
        "unless PREFECT_API_URL is set",
    )
    serve.add_argument("--cron", default=None, help="default: PP_DAILY_CRON (Asia/Shanghai)")
    serve.add_argument(
        "--port",
        type=int,
        default=None,
        help="port of the local Prefect server serve starts when PREFECT_API_URL is not set "
        "(default PREFECT_SERVER_API_PORT, 4200)",
    )

    rs = sub.add_parser("replay-server", help="run the replay server in the foreground")
    rs.add_argument("--corpus", type=Path, default=None, help="corpus folder (default ../shared/corpus)")
    rs.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")


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
    settings = _settings(args)
    if args.cmd in ("run", "daily", "export") and (why := _check_state(settings)):
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: {why}\n")
    command = _COMMANDS.get(args.cmd, _cmd_flow)
    return command(parser, args, settings)


def _settings(args: argparse.Namespace) -> Settings:
    """The settings, with the command line's overrides."""
    settings = Settings()
    if getattr(args, "tabula", False):
        settings = settings.model_copy(update={"tabula_enabled": True})
    if getattr(args, "recipes", None):
        settings = settings.model_copy(update={"recipes_file": args.recipes})
    if getattr(args, "recipe_engine", None):
        settings = settings.model_copy(update={"recipe_engine": args.recipe_engine})
    return settings


def _recipes(parser: argparse.ArgumentParser, settings: Settings) -> dict[str, Any]:
    from extractors.recipes import load_recipes

    try:
        return dict(load_recipes(settings.recipes_file))
    except ConfigError as exc:
        parser.error(str(exc))
    except (OSError, UnicodeError) as exc:  # a recipes file in GBK, unreadable, missing
        parser.error(f"recipes file {settings.recipes_file}: {exc}")


def _cmd_tables(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    recipes = _recipes(parser, settings)
    if args.file is not None:
        from extractors.tables import page_tables

        for t in page_tables(args.file, args.page or 1):
            kind = "box  " if t.box else "table"
            log.info("%d %s bbox %s %d×%d  %s", t.index, kind, t.bbox, t.rows, t.columns, " | ".join(t.first_row))
        return EXIT_OK
    for r in recipes.values():
        log.info("%s → sheet %s: %s", r.name, r.sheet, r.description)
    return EXIT_OK


def _cmd_extract(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    from extractors.recipes import select
    from flows.local import extract_files

    try:
        chosen = select(_recipes(parser, settings), args.tables)
    except ConfigError as exc:
        parser.error(str(exc))
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        log.error("no such file or folder: %s", ", ".join(missing))
        return EXIT_USAGE
    outcome = extract_files(args.paths, args.out or settings.outputs_dir, chosen, settings, use_llm=not args.no_llm)
    return {"completed": EXIT_OK, "partial": EXIT_PARTIAL}.get(outcome.status, EXIT_FAILED)


def _cmd_export(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    from flows.export import export

    if args.since and args.since_last_export:
        parser.error("give --since or --since-last-export, not both")
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    try:
        export(
            settings, args.out or settings.outputs_dir, since=args.since, since_last_export=args.since_last_export,
            formats=formats,
        )  # fmt: skip
    except ConfigError as exc:
        parser.error(str(exc))
    return EXIT_OK


def _cmd_grep(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    from flows import grep as grep_cmd

    return grep_cmd.main(
        args.pattern, settings, files=args.files, since=args.since, company=args.company, limit=args.limit,
        outputs_dir=args.out,
    )  # fmt: skip


def _cmd_replay_server(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    from replay import DEFAULT_CORPUS, ReplayServer

    with ReplayServer(args.corpus or DEFAULT_CORPUS, port=args.port) as s:
        log.info("replay server on %s — export PP_CNINFO_BASE_URL=%s PP_CNINFO_STATIC_URL=%s", s.url, s.url, s.url)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


def _cmd_serve(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    return _serve(args, settings)


def _cmd_flow(parser: argparse.ArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    """``run`` and ``daily``: the parameters checked before Prefect starts, then the flow."""
    try:  # refuse bad parameters now, not after Prefect's start-up: the one RunParams of the run
        params = RunParams.checked(**{k: v for k, v in vars(args).items() if k in RunParams.model_fields})
        recipes_for(params, settings)
    except (ConfigError, OSError, UnicodeError) as exc:  # a recipes file in GBK, unreadable, missing
        parser.error(str(exc))
    # the first line at once: importing Prefect and starting its API take seconds before the flow logs
    log.info(
        "%s: starting Prefect and the flow%s",
        "ad-hoc run" if args.cmd == "run" else "daily run",
        " against the replay server" if args.replay else "",
    )
    from flows.server import temporary_api

    # one Prefect API for the run, started now as a child process, so that its
    # start-up overlaps the flow's imports below, and without loading Prefect's server here
    with temporary_api() as api:
        return _run_flow(args, params, settings, api)


_COMMANDS: dict[str, Callable[[argparse.ArgumentParser, argparse.Namespace, Settings], int]] = {
    "tables": _cmd_tables,
    "extract": _cmd_extract,
    "export": _cmd_export,
    "grep": _cmd_grep,
    "replay-server": _cmd_replay_server,
    "serve": _cmd_serve,
}


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    """A local Prefect server (UI and scheduler) unless ``PREFECT_API_URL`` names one, and the
    deployments served from this process until Ctrl-C or SIGTERM; then what it started is stopped."""
    import signal

    cron = args.cron or settings.daily_cron
    log.info("serve: starting Prefect (a local server unless PREFECT_API_URL is set) …")
    from flows.server import local_server

    # Prefect's runner turns SIGTERM into an exit once it runs; before that (while the server
    # starts) SIGTERM is an exit too, so the server this started is stopped either way
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        with local_server(args.port) as server:
            from flows.serve import serve_daily

            _quiet_console()
            log.info(
                "Prefect %s: %s — UI %s; daily runs at cron %r (%s); Ctrl-C stops serve%s",
                "server started here" if server.proc else "server (PREFECT_API_URL)",
                server.url,
                server.ui_url or "(none)",
                cron,
                settings.timezone,
                " and the server" if server.proc else "",
            )
            serve_daily(cron, settings.timezone)
    except ConfigError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    log.info("serve stopped")
    return EXIT_OK


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(0)


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
        if args.cmd == "run" and params.companies:  # resolved now: an ambiguous name is exit 2, before the run
            from flows.api import resolve_company

            try:
                codes = [*params.codes, *(resolve_company(name, run_settings) for name in params.companies)]
            except ConfigError as exc:
                log.error("%s", exc)
                return EXIT_USAGE
            params = params.model_copy(update={"codes": codes, "companies": []})
        if args.cmd == "run":
            if args.replay and params.start is None and params.end is None:  # the corpus spans 2010-2025
                params = params.model_copy(update={"start": dt.date(2009, 1, 1), "end": dt.date.today()})
            state = adhoc_flow.with_options(task_runner=runner, timeout_seconds=run_settings.run_timeout_s)(
                **params.model_dump(), return_state=True
            )
        else:
            state = daily_flow.with_options(task_runner=runner, timeout_seconds=run_settings.run_timeout_s)(
                **params.model_dump(include=DAILY_FIELDS),
                categories=params.categories or None,
                lookback_days=args.lookback_days,
                workbook_when_empty=args.workbook_when_empty,
                return_state=True,
            )
    return exit_code(state)


def exit_code(state: Any) -> int:
    """0 completed, 1 partial (a Failed state named 'Partial'), 3 failed, 4 cancelled (SIGTERM,
    Ctrl-C); the state's message and the workbook (if one was written) are logged."""
    path = (
        state.result(raise_on_failure=False)
        if state.is_completed() or state.is_failed() or state.is_cancelled()
        else None
    )
    where = f" — {path}" if isinstance(path, str) and path else ""
    if state.name == "Partial":
        log.warning("%s: %s%s", state.name, state.message, where)
        return EXIT_PARTIAL
    if state.is_completed():
        log.info("%s: %s%s", state.name, state.message, where)
        return EXIT_OK
    log.error("%s: %s%s", state.name, state.message, where)
    return EXIT_CANCELLED if state.is_cancelled() else EXIT_FAILED
