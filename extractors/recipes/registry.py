"""The extraction kinds registered beyond the built-in patents and competitors.

Light on purpose (no PDF engine): the flow process reads it to name the registered kinds' sheets and
cache keys without loading what the kinds themselves load. :func:`extractors.recipes.kinds.registered_kinds`
gives every kind a document runs.
"""

from __future__ import annotations

from extractors.recipes.base import Recipe

_REGISTERED: list[Recipe] = []


def register_kind(kind: Recipe) -> Recipe:
    """Run ``kind`` on every document, after the built-in ones; its records are kept in the extraction
    (a :class:`core.records.RecipeRow` gets a sheet named after the kind). Registering the same name
    again replaces the earlier kind. Register at import time of a module the worker processes load
    too (``extractors.recipes.kinds`` itself, or one it imports), so that every process runs it."""
    _REGISTERED[:] = [k for k in _REGISTERED if k.name != kind.name]
    _REGISTERED.append(kind)
    return kind


def unregister_kind(name: str) -> None:
    _REGISTERED[:] = [k for k in _REGISTERED if k.name != name]


def extra_kinds() -> tuple[Recipe, ...]:
    """The registered kinds, in the order they were registered."""
    return tuple(_REGISTERED)
