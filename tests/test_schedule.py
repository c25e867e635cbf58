"""The daily schedule fires: Prefect's own scheduler turns the served cron into runs.

This is what broke silently under SQLAlchemy 2.1 (Prefect 3.8's scheduler fails every loop with
"Can't evaluate bulk DML statement", and the UI shows the deployment on with nothing upcoming):
the test registers the deployment against the Prefect API started for the tests, runs one pass of
the scheduler service itself, and reads the scheduled runs back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from replay import ReplayServer

pytestmark = pytest.mark.prefect


def test_daily_cron_in_beijing_time_is_scheduled_at_1030_utc() -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.server.services.scheduler import schedule_deployments

    from flows.serve import deployments

    daily, _ = deployments("30 18 * * *", "Asia/Shanghai")

    async def scheduled() -> list[Any]:
        deployment_id = await daily.apply()
        await schedule_deployments()  # one pass of the scheduler service, as the server loop runs it
        async with get_client() as client:
            return await client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id]))
            )

    runs = asyncio.run(scheduled())
    assert len(runs) >= 3, "the scheduler created no runs for the cron deployment"
    starts = sorted(r.expected_start_time for r in runs)
    assert all((s.hour, s.minute) == (10, 30) for s in starts)  # 18:30 Asia/Shanghai
    assert all(s > dt.datetime.now(dt.UTC) for s in starts)
    assert {r.state.type.value for r in runs} == {"SCHEDULED"}


def test_deployment_run_with_parameters_executes_the_flow(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    """What `prefect deployment run prospectus-adhoc/adhoc -p codes='["300626"]' -p start=2017-01-01`
    does: a flow run with JSON parameters, picked up and executed by a runner."""
    import warnings

    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.runner import Runner

    from flows.serve import deployments

    _, adhoc = deployments("30 18 * * *", "Asia/Shanghai")

    async def triggered() -> Any:
        await adhoc.apply()
        run = await run_deployment(
            "prospectus-adhoc/adhoc",
            parameters={"codes": ["300626"], "start": "2017-01-01", "end": "2017-12-31"},
            timeout=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            await Runner().execute_flow_run(run.id)
        async with get_client() as client:
            return await client.read_flow_run(run.id)

    run = asyncio.run(triggered())
    assert run.state.type.value == "COMPLETED", run.state.message
    assert run.name == "adhoc 300626 2017-01-01~2017-12-31"  # named from its parameters
    assert len(list((tmp_path / "outputs").glob("prospectus_adhoc_*.xlsx"))) == 1
