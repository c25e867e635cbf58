"""The registered LLM tasks. A new task: one module building a ``Task``, one line here.

``TASKS`` enrich a run's records (labels, summaries), each record kept in the run's ``llm`` results.
``EXTRACTION_TASKS`` refine a document's extraction first (their ``fold`` merges their records into
it), so the enrichment tasks see the refined extraction: the model's competitor names are classified
like the rules'.
"""

from __future__ import annotations

from typing import Any

from llm.tasks import announcement, competitor, competitor_extract, summary
from llm.tasks.base import ModelInfo, Task

TASKS: dict[str, Task[Any, Any, Any]] = {t.name: t for t in (announcement.TASK, summary.TASK, competitor.TASK)}
EXTRACTION_TASKS: dict[str, Task[Any, Any, Any]] = {t.name: t for t in (competitor_extract.TASK,)}
#: every task by name (the cache key and the offline backend look tasks up here)
ALL_TASKS: dict[str, Task[Any, Any, Any]] = {**EXTRACTION_TASKS, **TASKS}

__all__ = ["ALL_TASKS", "EXTRACTION_TASKS", "TASKS", "ModelInfo", "Task"]
