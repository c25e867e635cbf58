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
