"""The base of every model answer, and the JSON Schema form that strict structured outputs need.

Each task's own answer model sits in its module under :mod:`llm.tasks`.
"""

from __future__ import annotations

import copy
import functools

from pydantic import BaseModel, ConfigDict


class StrictOut(BaseModel):
    """A model answer: validated, no extra keys."""

    model_config = ConfigDict(extra="forbid")


def strict_json_schema(model: type[BaseModel]) -> dict[str, object]:
    """JSON Schema for OpenAI ``strict`` structured outputs: every property required, no extras (a
    copy: the caller may change it)."""
    return copy.deepcopy(_strict_json_schema(model))


@functools.cache
def _strict_json_schema(model: type[BaseModel]) -> dict[str, object]:
    """Built once per answer model: pydantic's schema generation cost ~10 ms a call."""
    schema = model.model_json_schema()

    def fix(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for key in ("title", "default"):
                node.pop(key, None)
            for v in node.values():
                fix(v)
        elif isinstance(node, list):
            for v in node:
                fix(v)

    fix(schema)
    return schema
