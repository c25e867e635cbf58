"""What an LLM task is: one object holding everything that differs from one task to another.

``LLMService.run_task`` runs any task (validation, re-asks, cache, usage are the service's); the
pipeline loops over :data:`llm.tasks.TASKS`. A new task is one module that builds a ``Task`` and
one line in the registry. A task with a ``fold`` (:data:`llm.tasks.EXTRACTION_TASKS`) changes a
document's extraction itself, before the other tasks run on it (``LLMService.fold``).

A task with a ``group_size`` lets ``LLMService.run_all`` ask several of its items in one call: one
prompt over their payloads (``group_prompt``, each payload with its ``id``), one answer holding a
list of per-item answers keyed by that ``id`` (:func:`group_schema`). Each item's answer is still
validated against ``schema`` and cached under its own key, as if it had been asked alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field, create_model

from core.records import Announcement, DocumentExtraction
from llm.schemas import StrictOut

#: the key of a group answer's list, and of each item's id in the group prompt and answer
GROUP_ANSWERS = "answers"
GROUP_ID = "id"

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
    #: up to this many items of one ``run_all`` call asked in one call (None: one call per item)
    group_size: int | None = None
    #: the user message for several items: their payloads, each with its ``id`` (needed with group_size)
    group_prompt: Callable[[Sequence[dict[str, Any]]], str] | None = None
    #: a group call's answer budget per item (the call asks for this times its items, when above
    #: PP_LLM_MAX_TOKENS)
    group_item_tokens: int = 200

    @property
    def grouped(self) -> bool:
        """Whether ``run_all`` may ask several of its items in one call."""
        return self.group_prompt is not None and (self.group_size or 0) > 1


_GROUP_SCHEMAS: dict[type[BaseModel], type[BaseModel]] = {}


def group_schema(schema: type[BaseModel]) -> type[BaseModel]:
    """The answer of a group call: ``{"answers": [{"id": 0, ...schema's fields}, ...]}``. It is sent to
    the model as the JSON Schema to follow; the service reads each item of it against ``schema`` on
    its own, so one invalid item does not cost the others."""
    if (known := _GROUP_SCHEMAS.get(schema)) is not None:
        return known
    item = create_model(
        f"{schema.__name__}Item",
        __base__=schema,
        **{GROUP_ID: (int, Field(description="the id of the item this answer is for, as given"))},  # type: ignore[call-overload]
    )
    group: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{schema.__name__}Group",
        __base__=StrictOut,
        **{GROUP_ANSWERS: (list[item], Field(description="one answer per item, each with its id"))},
    )
    return _GROUP_SCHEMAS.setdefault(schema, group)
