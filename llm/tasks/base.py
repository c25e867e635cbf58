"""What an LLM task is: one object holding everything that differs from one task to another.

``LLMService.run_task`` runs any task (validation, re-asks, cache, usage are the service's); the
pipeline loops over :data:`llm.tasks.TASKS`. A new task is one module that builds a ``Task`` and
one line in the registry. A task with a ``fold`` (:data:`llm.tasks.EXTRACTION_TASKS`) changes a
document's extraction itself, before the other tasks run on it (``LLMService.fold``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from core.records import Announcement, DocumentExtraction

In = TypeVar("In")
Out = TypeVar("Out", bound=BaseModel)
Rec = TypeVar("Rec")


@dataclass(frozen=True)
class ModelInfo:
    """Which model answered: ``backend:model`` is written next to every output."""

    backend: str
    model_id: str

    @property
    def label(self) -> str:
        return f"{self.backend}:{self.model_id}"


@dataclass(frozen=True)
class Task(Generic[In, Out, Rec]):
    #: the task's name (the cache, the usage table and the failure stage 'llm-<name>' use it)
    name: str
    #: bump it and the cache stops serving answers to the old prompt
    version: str
    #: what the model must return (validated; sent as JSON Schema)
    schema: type[Out]
    #: the items of a run this task works on, each with the key its failures are filed under
    inputs: Callable[[Sequence[Announcement], Sequence[DocumentExtraction]], Iterable[tuple[str, In]]]
    #: the structured input: the prompt, the offline rule and the cache key are built from it
    payload: Callable[[In], dict[str, Any]]
    #: the user message, from the payload
    prompt: Callable[[dict[str, Any]], str]
    #: the offline backend's answer, from the payload (deterministic, labelled offline)
    offline: Callable[[dict[str, Any]], Out]
    #: the output record, from the item and the validated answer
    record: Callable[[In, Out, ModelInfo], Rec]
    #: for a task that refines the extraction: the document's extraction with its records folded in
    fold: Callable[[DocumentExtraction, Sequence[Rec]], DocumentExtraction] | None = None
    #: the answer's token budget when it needs more than PP_LLM_MAX_TOKENS (a list of companies with
    #: quotes is longer than a label); the larger of the two is asked for
    max_tokens: int | None = None
