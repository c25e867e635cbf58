"""Scheduled daily runs with Prefect's own scheduler (``flow.serve``), never a home-made one.

``python -m flows serve`` registers the ``prospectus-daily`` deployment with a cron schedule in
Asia/Shanghai time (PP_TIMEZONE) and runs it from this process, against the local Prefect server that
``flows.cli`` starts (``flows.server.local_server``) unless ``PREFECT_API_URL`` names one. For several
machines, deploy the same flow to a work pool instead (README: "Scaling out").
"""

from __future__ import annotations

from typing import Any

from prefect.schedules import Cron

from flows.pipeline import adhoc_flow, daily_flow


def deployments(cron: str, timezone: str = "Asia/Shanghai") -> list[Any]:
    """The daily deployment on its cron schedule and the parameterised ad-hoc one.

    Prefect's UI shows a cron schedule without its timezone, so the daily deployment says it in its
    description and in a tag (``tz:Asia/Shanghai``), both shown on the deployments page."""
    daily: Any = daily_flow.to_deployment(
        name="daily",
        schedules=[Cron(cron, timezone=timezone)],
        description=f"Daily run at cron `{cron}`, timezone **{timezone}**. " + (daily_flow.description or ""),
        tags=[f"tz:{timezone}"],
    )
    adhoc: Any = adhoc_flow.to_deployment(name="adhoc")
    return [daily, adhoc]


def serve_daily(cron: str, timezone: str = "Asia/Shanghai") -> None:
    from prefect import serve

    serve(*deployments(cron, timezone))
