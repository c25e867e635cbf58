"""Generated PDFs: multi-page patent tables, bookmarks, and the bad files (encrypted, scanned, truncated)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from core.errors import EncryptedPDFError, PDFError, ScannedPDFError
from core.records import PatentType, SectionKind
from extractors.document import extract_document
from extractors.pdftext import read_text
from replay.pdfrender import Grid, Heading, NewPage, Para, render

HEADER = ("序号", "专利权人", "专利名称", "专利号", "申请日", "授权日", "专利类型", "取得方式")


def patent_rows(n: int) -> list[tuple[str, ...]]:
    return [
        (
            str(i),
            "发行人",
            f"一种用于新能源汽车铝合金门槛梁型材的挤压模具及其制备方法（第{i}项）",
            f"ZL2021{'1' if i % 4 == 0 else '2'}{i:07d}.{i % 10}",
            f"2021.{1 + i % 12}.{1 + i % 28}",
            "2022.6.30",
            "发明专利" if i % 4 == 0 else "实用新型",
            "原始取得",
        )
        for i in range(1, n + 1)
    ]


@pytest.fixture(scope="module")
def patent_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "patents.pdf"
    filler = [Para("本节介绍发行人的主要固定资产和无形资产情况。" * 6) for _ in range(8)]
    return render(
        path,
        [
            Heading("第六节 业务与技术"),
            *filler,
            NewPage(),
            Heading("（三）专利"),
            Para("截至本招股说明书签署日，发行人拥有 70 项专利，具体如下："),
            Grid(HEADER, patent_rows(70), [10, 16, 50, 32, 18, 18, 16, 14], split_in_row=True),
            Heading("（四）商标"),
            Para("发行人拥有注册商标 3 项。"),
        ],
        running_header="某某科技股份有限公司 招股说明书",
    )


def test_patent_table_across_pages_every_row_with_its_page(patent_pdf: Path) -> None:
    result = extract_document(patent_pdf, "doc")
    assert result.patent_pages[0] == 2 and 1 not in result.patent_pages
    assert len(result.patents) == 70
    assert [int(p.seq or 0) for p in result.patents] == list(range(1, 71))
    text = read_text(patent_pdf)
    for p in result.patents:  # each row's page really holds its patent number
        assert p.number in text.page(p.page).replace("\n", "").replace(" ", "")
    assert len({p.page for p in result.patents}) >= 3
    first = result.patents[0]
    assert first.name == "一种用于新能源汽车铝合金门槛梁型材的挤压模具及其制备方法（第1项）"
    assert (first.owner, first.application_date, first.grant_date) == (
        "发行人",
        dt.date(2021, 2, 2),
        dt.date(2022, 6, 30),
    )
    assert first.patent_type is PatentType.UTILITY and result.patents[3].patent_type is PatentType.INVENTION
    (table,) = [t for t in result.tables if t.kind == "patent"]
    assert len(table.rows) == 70


def test_outline_bookmarks_locate_the_competitor_chapter(tmp_path: Path) -> None:
    plain = render(
        tmp_path / "plain.pdf",
        [Para("概览。" * 40), NewPage(), Para("公司的竞争情况如下。" * 30), NewPage(), Para("其他内容。" * 40)],
    )
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.add_outline_item("第五节 业务与技术", 0)
    writer.add_outline_item("（二）发行人主要竞争对手", 1)
    writer.add_outline_item("（三）其他", 2)
    marked = tmp_path / "marked.pdf"
    with open(marked, "wb") as f:
        writer.write(f)
    result = extract_document(marked, "doc")
    (section,) = result.sections
    assert (section.kind, section.located_by, section.pages) == (SectionKind.COMPETITOR, "outline", (2, 3))


def test_encrypted_pdf_is_reported_not_crashed_on(tmp_path: Path) -> None:
    path = render(tmp_path / "enc.pdf", [Para("机密内容")], encrypt="secret")
    with pytest.raises(EncryptedPDFError, match="password"):
        extract_document(path, "doc")


def test_scanned_pdf_without_text_layer_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    for _ in range(3):
        c.setFillGray(0.5)
        c.rect(50, 50, 400, 600, fill=1)  # a page that is only a picture
        c.showPage()
    c.save()
    with pytest.raises(ScannedPDFError, match="OCR"):
        extract_document(path, "doc")


def test_truncated_pdf_is_a_pdf_error(patent_pdf: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(patent_pdf.read_bytes()[:2000])
    with pytest.raises(PDFError):
        extract_document(path, "doc")


def test_html_saved_as_pdf_is_a_pdf_error(tmp_path: Path) -> None:
    path = tmp_path / "page.pdf"
    path.write_text("<html><body>404</body></html>", "utf-8")
    with pytest.raises(PDFError, match="cannot open"):
        extract_document(path, "doc")
