"""The registered LLM tasks. A new task: one module building a ``Task``, one line here."""

from __future__ import annotations

from typing import Any

from llm.tasks import announcement, competitor, summary
from llm.tasks.base import ModelInfo, Task

TASKS: dict[str, Task[Any, Any, Any]] = {t.name: t for t in (announcement.TASK, summary.TASK, competitor.TASK)}

__all__ = ["TASKS", "ModelInfo", "Task"]
