"""What a recipe is: how one kind of table is found in a document and turned into records.

Patents, competitors and every table recipe of a user's TOML file implement :class:`Recipe`, and
:func:`extractors.document.build_extraction` loops over them. A recipe:

1. names the **candidate pages** from the fast text pass (pdfplumber reads only those);
2. **recognises** its tables among the merged tables of those pages (``kind_of``);
3. **collects** its records from the tables it recognised (and from the page text, where a recipe
   reads text too);
4. names the **sheet** its records go to.

A new kind of table is one module implementing this protocol plus one line in
:data:`extractors.recipes.kinds.BUILTIN_KINDS` (or, for a plain table, a ``[[recipe]]`` in TOML).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from core.records import Engine, TableKind
from extractors.locate import Located
from extractors.merge import MergedTable

if TYPE_CHECKING:  # types only: reading recipes does not load PDFium
    from extractors.pdftext import PdfText


@dataclass(frozen=True)
class DocContext:
    """What every recipe sees of one document: its page texts and the sections the text pass found."""

    doc_key: str
    text: PdfText
    located: Sequence[Located] = ()
    issuer: str | None = None
    #: whose tables the table recipes read
    recipe_engine: Engine = "pdfplumber"


@dataclass(frozen=True)
class Found:
    """A recipe's output for one document: its records, and a note for each thing it could not do."""

    records: tuple[object, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


class Recipe(Protocol):
    #: the recipe's name (``patents``, ``competitors``, ``关联交易-采购``)
    @property
    def name(self) -> str: ...

    #: the sheet its records go to
    @property
    def sheet(self) -> str: ...

    def candidate_pages(self, doc: DocContext) -> set[int]:
        """The pages pdfplumber must read for this recipe (never the whole document)."""
        ...

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        """The kind this recipe gives a table it recognises, else None (user recipes label none)."""
        ...

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        """Its records in this document, from the merged tables of every engine (pure)."""
        ...
