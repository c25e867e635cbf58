"""The only package that imports Prefect: the flows, their CLI and the served deployments."""

import os

# The project's own loggers (per-document lines, the OFFLINE-backend warning …) reach the Prefect UI.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "extractors,scrapers,llm,report,run,core")
# … and the same loggers used outside a flow (tests, the Python API) stay quiet about the API.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
