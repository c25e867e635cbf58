"""Scheduled daily runs with Prefect's own scheduler (``flow.serve``), never a home-made one.

``python -m flows serve`` registers the ``prospectus-daily`` deployment with a cron schedule in
Asia/Shanghai time and runs it from this process. For several machines, deploy the same flow to a
work pool instead (README: "Scaling out").
"""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron

from flows.pipeline import adhoc_flow, daily_flow


def serve_daily(cron: str, timezone: str = "Asia/Shanghai") -> None:
    from prefect import serve

    daily: Any = daily_flow.to_deployment(name="daily", schedules=[Cron(cron, timezone=timezone)])
    adhoc: Any = adhoc_flow.to_deployment(name="adhoc")
    serve(daily, adhoc)
