"""What a run produced, handed from the flow to every writer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from core.records import (
    Announcement,
    AnnouncementLabel,
    CompetitorLabel,
    Document,
    DocumentExtraction,
    Failure,
    Summary,
)
from extractors.recipes import TableRecipe


@dataclass
class RunReport:
    flow: str
    parameters: dict[str, Any]
    started: dt.datetime
    finished: dt.datetime | None = None
    announcements: list[Announcement] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    #: by document key; a flow's run reads them back from the store (core.store.RunExtractions)
    extractions: MutableMapping[str, DocumentExtraction] = field(default_factory=dict)
    #: every LLM task's output records, by task name, as :data:`llm.tasks.TASKS` registers them (a
    #: flow's run: read back from the store, core.store.RunLLM)
    llm: Mapping[str, list[Any]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    llm_backend: str = ""
    llm_usage: dict[str, int] = field(default_factory=dict)
    skipped_documents: int = 0
    #: keys first seen by this run (a daily run) or since the last export (an export); None = not known
    new_keys: set[str] | None = None
    #: announcements not downloaded on purpose (an older prospectus version, a summary …): the reason
    skipped: dict[str, str] = field(default_factory=dict)
    #: the table recipes the run asked for: one sheet each
    recipes: list[TableRecipe] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, AnnouncementLabel]:
        return {r.key: r for r in self.llm.get("announcement", ())}

    @property
    def summaries(self) -> list[Summary]:
        return list(self.llm.get("summary", ()))

    @property
    def competitor_labels(self) -> dict[tuple[str, str], CompetitorLabel]:
        return {(r.doc_key, r.name): r for r in self.llm.get("competitor", ())}

    def failures_of(self, key: str) -> list[Failure]:
        return [f for f in self.failures if f.key == key]
