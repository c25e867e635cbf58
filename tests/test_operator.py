"""What an operator sees: exit codes and log lines that are true, the state of a partial run, a
quiet day, the files left on disk, and what the served deployments show in the UI."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from replay import ReplayServer
from tests.conftest import make_settings


def test_extract_on_a_missing_file_exits_2_with_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from flows.cli import EXIT_USAGE, main

    with caplog.at_level(logging.INFO):
        code = main(["extract", str(tmp_path / "nope.pdf"), "--out", str(tmp_path / "out")])
    assert code == EXIT_USAGE
    assert [r.getMessage() for r in caplog.records] == [f"no such file or folder: {tmp_path / 'nope.pdf'}"]
    assert not (tmp_path / "out").exists()


def test_export_as_csv_logs_only_what_it_wrote(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from flows.export import export

    with caplog.at_level(logging.INFO, logger="flows"):
        path = export(make_settings(tmp_path), tmp_path / "out", formats=["csv"])
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("export:"))
    assert not path.exists() and path.with_name(path.stem + "_csv").is_dir()
    assert line.endswith(str(path.with_name(path.stem + "_csv"))) and ".xlsx" not in line


def test_a_partial_run_is_a_failed_state_named_partial_with_exit_1() -> None:
    from flows.cli import EXIT_PARTIAL, exit_code
    from flows.pipeline import Outcome, state_of

    state = state_of(Outcome(Path("a.xlsx"), "partial", "2 of 3 documents extracted; 1 items failed"))
    assert state.is_failed() and state.name == "Partial"  # red in the UI, not a green Completed
    assert exit_code(state) == EXIT_PARTIAL


def test_downloading_leaves_no_lock_file_beside_the_pdf(tmp_path: Path, replay: ReplayServer) -> None:
    from core.manifest import Manifest
    from scrapers.base import Query
    from scrapers.download import Downloader
    from scrapers.http import HttpClient
    from scrapers.registry import adapter_for
    from tests.conftest import replay_settings

    settings = replay_settings(replay, tmp_path)
    with HttpClient(settings) as http:
        anns = (
            adapter_for("cninfo", http, settings)
            .search(Query(codes=("001282",), start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1)))
            .announcements
        )
        doc = Downloader(http, settings, Manifest(settings.manifest_path)).fetch(next(a for a in anns if a.pdf_url))
    assert Path(doc.path).is_file()
    assert sorted(p.name for p in settings.pdf_dir.iterdir() if p.is_file()) == [Path(doc.path).name]


@pytest.mark.prefect
def test_a_quiet_day_logs_info_and_writes_no_workbook_unless_asked(
    tmp_path: Path, replay_env: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    from core.manifest import Manifest
    from flows.pipeline import daily_flow

    with caplog.at_level(logging.INFO):
        state = daily_flow(today=dt.date(2026, 11, 20), lookback_days=2, return_state=True)
    assert state.is_completed() and "no new announcements" in str(state.message)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "nothing matched" in r.getMessage()]
    assert not list((tmp_path / "outputs").glob("*.xlsx"))
    assert Manifest(tmp_path / "data" / "manifest.sqlite").last_successful_window_end("daily") == dt.date(2026, 11, 20)

    asked = daily_flow(today=dt.date(2026, 11, 22), workbook_when_empty=True, return_state=True)
    assert asked.is_completed() and len(list((tmp_path / "outputs").glob("prospectus_daily_*.xlsx"))) == 1


@pytest.mark.prefect
def test_the_served_deployments_show_the_timezone_and_take_company_names() -> None:
    from prefect.client.orchestration import get_client

    from flows.serve import deployments

    daily, adhoc = deployments("30 18 * * *", Settings().timezone)

    async def applied() -> tuple[Any, Any]:
        ids = [await daily.apply(), await adhoc.apply()]
        async with get_client() as client:
            return await client.read_deployment(ids[0]), await client.read_deployment(ids[1])

    d, a = asyncio.run(applied())
    assert d.schedules[0].schedule.timezone == "Asia/Shanghai"
    assert "Asia/Shanghai" in (d.description or "") and "tz:Asia/Shanghai" in d.tags  # shown on the page
    assert "companies" in a.parameter_openapi_schema["properties"]  # a field in the UI's run form


def test_a_run_says_it_is_starting_before_it_imports_prefect(tmp_path: Path) -> None:
    """The first line comes before Prefect's import and start-up (seconds), not after them."""
    import os
    import subprocess
    import sys

    probe = (
        "import logging, os, sys\n"
        "class First(logging.Handler):\n"
        "    def emit(self, r):\n"
        "        print('prefect' in sys.modules, r.getMessage(), flush=True); os._exit(0)\n"
        "logging.getLogger('flows').addHandler(First())\n"
        "from flows.cli import main\n"
        "main(['run', '--replay', '--code', '001282'])\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "PREFECT_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("False ad-hoc run: starting Prefect"), out.stdout + out.stderr[-2000:]


@pytest.mark.prefect
def test_the_adhoc_flow_resolves_company_names_as_the_cli_does(tmp_path: Path, replay_env: ReplayServer) -> None:
    from flows.pipeline import adhoc_flow

    state = adhoc_flow(companies=["三联锻造"], start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31), llm=False,
                       return_state=True)  # fmt: skip
    assert state.is_completed(), state.message
    from openpyxl import load_workbook

    sheet = load_workbook(state.result())["Documents"]
    codes = {str(row[0].value) for row in sheet.iter_rows(min_row=2)}  # the first column: 代码
    assert codes == {"001282"}, codes  # 三联锻造


def test_the_python_api_returns_a_partial_runs_workbook(monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.pipeline
    from flows.api import run
    from flows.pipeline import Outcome, state_of

    partial = state_of(Outcome(Path("x.xlsx"), "partial", "2 of 3 documents extracted"))
    monkeypatch.setattr(flows.pipeline, "adhoc_flow", lambda **_: partial)
    assert run(codes=["001282"]) == Path("x.xlsx")
