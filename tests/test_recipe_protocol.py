"""One home per kind of table: patents, competitors and table recipes all implement ``Recipe``, and the
document loops over them. A recipe written in Python (not TOML) is one object passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.records import Engine, RecipeCell, RecipeRow, TableKind
from extractors.document import extract_document
from extractors.merge import MergedTable
from extractors.recipes import TableRecipe
from extractors.recipes.base import DocContext, Found, Recipe
from extractors.recipes.kinds import BUILTIN_KINDS, COMPETITORS, PATENTS
from tests.conftest import PDF

KEYPAGES = PDF / "prospectus" / "301563_ickey_prospectus_keypages_annotated.pdf"


@dataclass(frozen=True)
class HeaderOfEveryTableOnPage:
    """A recipe in Python: the header of every table on one page, a row each."""

    page: int
    name: str = "表头"
    sheet: str = "表头"

    def candidate_pages(self, doc: DocContext) -> set[int]:
        return {self.page} if self.page <= doc.text.page_count else set()

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        return None

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        rows = [
            RecipeRow(
                recipe=self.name,
                doc_key=doc.doc_key,
                page=t.first_page,
                table=n,
                cells=tuple(RecipeCell(column=f"c{i + 1}", text=h) for i, h in enumerate(t.header)),
            )
            for n, t in enumerate((t for t in tables.get("pdfplumber", ()) if t.first_page == self.page), start=1)
        ]
        return Found(records=tuple(rows), notes=() if rows else (f"{self.name}: no table on page {self.page}",))


def test_builtin_kinds_and_table_recipes_share_one_protocol() -> None:
    recipes: list[Recipe] = [PATENTS, COMPETITORS, TableRecipe.parse({"name": "x", "page": 1}, "test")]
    assert [r.name for r in recipes] == ["patents", "competitors", "x"]
    assert [r.sheet for r in recipes] == ["Patents", "Competitors", "x"]
    assert BUILTIN_KINDS == (PATENTS, COMPETITORS)  # a table reading as a patent list is never a competitor table


@pytest.mark.slow
def test_a_python_recipe_is_read_on_its_own_pages_next_to_the_builtin_ones() -> None:
    plain = extract_document(KEYPAGES, "301563")
    ex = extract_document(KEYPAGES, "301563", recipes=[HeaderOfEveryTableOnPage(1)])
    assert ex.recipe_rows and {r.page for r in ex.recipe_rows} == {1}
    assert [c.text for c in ex.recipe_rows[0].cells][:2] == ["序号", "姓名"]
    # the built-in recipes give the same records whatever else runs beside them
    assert ex.patents == plain.patents and ex.competitors == plain.competitors
    missing = extract_document(KEYPAGES, "301563", recipes=[HeaderOfEveryTableOnPage(9999)])
    assert missing.recipe_rows == () and missing.recipe_notes == ("表头: no table on page 9999",)


@pytest.mark.slow
def test_a_third_registered_kind_runs_on_every_document_and_its_rows_reach_the_workbook(tmp_path: Path) -> None:
    """The trap: the document called patents and competitors by name and dropped any other record, so
    a kind registered beside them was lost silently."""
    from openpyxl import load_workbook

    from extractors.recipes.kinds import register_kind, unregister_kind
    from flows.local import extract_files
    from tests.conftest import make_settings

    register_kind(HeaderOfEveryTableOnPage(1, name="首页表头", sheet="首页表头"))
    try:
        # a kind registered at run time runs where it is registered: here, in-process (one "process")
        path = extract_files([KEYPAGES], tmp_path / "out", [], make_settings(tmp_path, extract_processes=1)).path
        assert path is not None
    finally:
        unregister_kind("首页表头")
    wb = load_workbook(path)
    assert "首页表头" in wb.sheetnames
    values = list(wb["首页表头"].iter_rows(values_only=True))
    header, first = values[0], dict(zip(values[0], values[1], strict=True))
    assert len(values) > 1 and first["页码"] == 1 and (first["c1"], first["c2"]) == ("序号", "姓名"), header


@dataclass(frozen=True)
class GivesStrings:
    name: str = "strings"
    sheet: str = "strings"

    def candidate_pages(self, doc: DocContext) -> set[int]:
        return set()

    def kind_of(self, table: MergedTable, doc: DocContext) -> TableKind | None:
        return None

    def collect(self, doc: DocContext, tables: Mapping[Engine, Sequence[MergedTable]]) -> Found:
        return Found(records=("not a record",))


def test_a_kind_whose_records_have_no_place_is_refused_not_dropped() -> None:
    from extractors.document import extract_text_pages
    from extractors.recipes.kinds import register_kind, unregister_kind

    register_kind(GivesStrings())
    try:
        with pytest.raises(TypeError, match="no known place: str"):
            extract_text_pages("k", ["正文"])
    finally:
        unregister_kind("strings")
    assert extract_text_pages("k", ["正文"]).doc_key == "k"
