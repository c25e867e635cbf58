"""tabula-py as the second engine (needs Java, which `make` installs with apt when missing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.errors import EngineUnavailableError
from extractors import tabula_engine
from extractors.document import extract_document
from extractors.pdftext import read_text
from replay.pdfrender import Grid, Heading, Para, render
from tests.test_generated_pdfs import HEADER, patent_rows

pytestmark = [
    pytest.mark.java,
    pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime (scripts/ensure-java.sh installs one)"),
]


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(
        tmp_path_factory.mktemp("tabula") / "t.pdf",
        [
            Heading("（三）专利"),
            Para("发行人拥有 70 项专利："),
            Grid(HEADER, patent_rows(70), [10, 16, 50, 32, 18, 18, 16, 14], split_in_row=True),
        ],
    )


def test_one_call_finds_each_pages_table_and_its_page(pdf: Path) -> None:
    text = read_text(pdf)
    pages = range(1, text.page_count + 1)
    fragments = tabula_engine.extract_fragments(pdf, pages, {p: text.page(p) for p in pages})
    assert [f.page for f in fragments] == list(pages)
    assert fragments[0].rows[1][:2] == ("1", "发行人")
    assert not [c for f in fragments for r in f.rows for c in r if "\r" in c or "\n" in c]


def test_second_engine_in_the_document_pipeline(pdf: Path) -> None:
    result = extract_document(pdf, "d", use_tabula=True)
    engines = {t.engine: t for t in result.tables}
    assert set(engines) == {"pdfplumber", "tabula"}
    assert len(engines["tabula"].rows) == 70 and engines["tabula"].kind == "patent"
    assert len(result.patents) == 70  # pdfplumber's rows; tabula only fills pages it missed


def test_without_java_tabula_is_skipped_with_a_warning(pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabula_engine, "java_available", lambda: False)
    with pytest.raises(EngineUnavailableError, match="Java"):
        tabula_engine.extract_fragments(pdf, [1])
    result = extract_document(pdf, "d", use_tabula=True)
    assert result.warnings and "tabula skipped" in result.warnings[0] and len(result.patents) == 70


def test_a_table_below_another_is_placed_below_it_not_at_the_first_line_holding_its_first_cell() -> None:
    # kuangda p.122: the regional sales table, whose header prints '2010 年 1-6 月', then '4、向前五大客户
    # 的销售情况' and the customers' table whose first row is '2010年1-6月' too: its caption is the
    # heading above it, not the page's first lines
    from tests.conftest import PDF

    path = PDF / "prospectus_full" / "002516_kuangda_auto_fabric_prospectus_2010_full.pdf"
    text = read_text(path)
    fragments = tabula_engine.extract_fragments(path, [122], {122: text.page(122)})
    customers = next(f for f in fragments if any("长春富维" in c for r in f.rows for c in r))
    assert "4、向前五大客户的销售情况" in customers.caption
    assert customers.top > fragments[0].top
