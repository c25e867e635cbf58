"""Render small PDFs with CJK text and ruled tables (reportlab, built-in STSong-Light CID font).

Used by the tests to make fixtures (multi-page patent tables with repeated headers, rows split by a
page break, encrypted and image-only files) and by the replay server to rebuild a prospectus excerpt
from the real MinerU patent tables in the corpus. No font files are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

BODY = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
HEAD = ParagraphStyle("head", parent=BODY, fontSize=12, leading=20, spaceBefore=6, spaceAfter=4)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10)


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Grid:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    col_widths_mm: Sequence[float] | None = None
    split_in_row: bool = False


@dataclass(frozen=True)
class NewPage:
    pass


Block = Heading | Para | Grid | NewPage


def render(path: Path | str, blocks: Sequence[Block], *, running_header: str = "", encrypt: str | None = None) -> Path:
    """Write ``blocks`` to ``path``; a running header and page number go on every page."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def decorate(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont(FONT, 9)
        if running_header:
            canvas.drawString(20 * mm, A4[1] - 12 * mm, running_header)
            canvas.line(20 * mm, A4[1] - 13.5 * mm, A4[0] - 20 * mm, A4[1] - 13.5 * mm)
        canvas.drawCentredString(A4[0] / 2, 10 * mm, str(doc.page))
        canvas.restoreState()

    story: list[object] = []
    for b in blocks:
        if isinstance(b, Heading):
            story.append(Paragraph(b.text, HEAD))
        elif isinstance(b, Para):
            story.append(Paragraph(b.text, BODY))
        elif isinstance(b, NewPage):
            story.append(PageBreak())
        else:
            data = [[Paragraph(str(c), CELL) for c in b.header]]
            data += [[Paragraph(str(c), CELL) for c in row] for row in b.rows]
            widths = [w * mm for w in b.col_widths_mm] if b.col_widths_mm else None
            table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1 if b.split_in_row else 0)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ]
                )
            )
            story += [table, Spacer(1, 4 * mm)]
    kwargs = {}
    if encrypt is not None:
        from reportlab.lib.pdfencrypt import StandardEncryption

        kwargs["encrypt"] = StandardEncryption(encrypt, canPrint=0)
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        topMargin=22 * mm,
        bottomMargin=20 * mm,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        **kwargs,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return path
