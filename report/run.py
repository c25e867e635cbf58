"""What a run produced, handed from the flow to every writer."""

from __future__ import annotations

import datetime as dt
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
    labels: dict[str, AnnouncementLabel] = field(default_factory=dict)
    documents: list[Document] = field(default_factory=list)
    extractions: dict[str, DocumentExtraction] = field(default_factory=dict)
    summaries: list[Summary] = field(default_factory=list)
    competitor_labels: dict[tuple[str, str], CompetitorLabel] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    llm_backend: str = ""
    llm_usage: dict[str, int] = field(default_factory=dict)
    skipped_documents: int = 0
    #: the table recipes the run asked for: one sheet each
    recipes: list[TableRecipe] = field(default_factory=list)

    def failures_of(self, key: str) -> list[Failure]:
        return [f for f in self.failures if f.key == key]
