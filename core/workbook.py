"""The review workbook: one sheet per record type, built from a :class:`RunReport`.

Every sheet has a frozen, styled header row, an autofilter, widths fitted to CJK text (a Han character
is two columns wide), wrapped long text, and on every row a hyperlink to the source PDF with its page
number (``…pdf#page=N`` opens at the page in browsers' PDF viewers) plus the local file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.records import (
    Announcement,
    AnnouncementLabel,
    CompetitorLabel,
    Document,
    DocumentExtraction,
    Summary,
)

MAX_CELL = 32_000
MAX_WIDTH = 60
WRAP_WIDTH = 45
MAX_LINES = 12
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LINK_FONT = Font(color="0563C1", underline="single")


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
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    llm_backend: str = ""
    llm_usage: dict[str, int] = field(default_factory=dict)
    skipped_documents: int = 0


def display_width(value: object) -> int:
    text = str(value) if value is not None else ""
    first = text.split("\n", 1)[0]
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in first)


def _clean(value: object) -> object:
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        return text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…(truncated)"
    if isinstance(value, tuple | list):
        return _clean(", ".join(str(v) for v in value))
    return value


@dataclass(frozen=True)
class Link:
    text: str
    target: str | None


def page_link(url: str | None, page: int | None) -> Link:
    if not url:
        return Link("", None)
    return Link(f"p.{page}" if page else "PDF", f"{url}#page={page}" if page else url)


def file_link(path: str | None) -> Link:
    if not path:
        return Link("", None)
    p = Path(path)
    return Link(p.name, p.resolve().as_uri())


def write_sheet(
    ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]], wrap: Sequence[str] = ()
) -> int:
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    widths = [display_width(h) for h in header]
    n = 0
    for n, row in enumerate(rows, start=1):
        values = []
        for v in row:
            values.append(v.text if isinstance(v, Link) else _clean(v))
        ws.append(values)
        for i, v in enumerate(row):
            cell = ws.cell(row=n + 1, column=i + 1)
            if isinstance(v, Link) and v.target:
                cell.hyperlink = v.target
                cell.font = LINK_FONT
            elif isinstance(v, dt.date | dt.datetime):
                cell.number_format = "yyyy-mm-dd" if not isinstance(v, dt.datetime) else "yyyy-mm-dd hh:mm"
            if n <= 300:
                widths[i] = max(widths[i], display_width(cell.value))
    wrap_cols = {header.index(w) for w in wrap if w in header}
    for i, w in enumerate(widths):
        letter = get_column_letter(i + 1)
        ws.column_dimensions[letter].width = min(MAX_WIDTH if i not in wrap_cols else WRAP_WIDTH, w + 2)
    lines: dict[int, int] = {}
    for i in wrap_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            text = str(cell.value or "")
            needed = sum(1 + display_width(part) // WRAP_WIDTH for part in text.split("\n")) if text else 1
            lines[cell.row] = max(lines.get(cell.row, 1), needed)
    for row_no, n in lines.items():  # viewers that do not autofit wrapped rows still show the text
        if n > 1:
            ws.row_dimensions[row_no].height = 15 * min(n, MAX_LINES)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    # printing: landscape, all columns on one page width, header row repeated on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    return n


#: Where a competitor name was read.
SOURCE_LABELS = {"table": "表格", "list": "列表项", "heading": "小标题", "prose": "正文"}


@dataclass(frozen=True)
class PatentCheck:
    stated: int | None
    extracted: int
    note: str


def is_prospectus(title: str) -> bool:
    return bool(re.search(r"招股(?:说明|意向)书", title)) and not re.search(r"摘要|提示性公告|附录", title)


def patent_check(ex: DocumentExtraction) -> PatentCheck:
    """Stated (the '拥有专利N项' sentence that describes the list) against the rows extracted."""
    stated = ex.patent_statement
    extracted = len(ex.patents)
    if not ex.patent_pages:
        note = "未定位到专利章节" + (f"（文中声明{stated.total}项，第{stated.page}页）" if stated else "")
        return PatentCheck(stated.total if stated else None, extracted, note if stated or extracted else "")
    if stated is None:
        return PatentCheck(None, extracted, "无数量声明")
    if stated.total == extracted:
        return PatentCheck(stated.total, extracted, "一致")
    return PatentCheck(
        stated.total, extracted, f"不一致：声明{stated.total}项（第{stated.page}页），提取{extracted}项"
    )


SHEETS = ("Announcements", "Documents", "Patents", "Competitors", "Summaries", "Tables", "Run info")


def build_workbook(report: RunReport) -> Workbook:
    wb = Workbook()
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    docs = {d.key: d for d in report.documents}
    anns = {a.key: a for a in report.announcements}

    def src(doc_key: str, page: int | None) -> tuple[Link, Link]:
        d = docs.get(doc_key)
        url = d.url if d else (anns[doc_key].pdf_url if doc_key in anns else None)
        return page_link(url, page), file_link(d.path if d else None)

    failures: dict[str, list[tuple[str, str]]] = {}
    for key, stage, err in report.failures:
        failures.setdefault(key, []).append((stage, err))

    def status(key: str) -> str:
        if key in failures:
            return "; ".join(f"{stage}: {err}" for stage, err in failures[key])
        return "ok" if key in docs else ""

    def announcement_row(a: Announcement) -> list[object]:
        label = report.labels.get(a.key)
        return [
            a.source,
            a.sec_code,
            a.sec_name,
            a.published,
            a.title,
            a.category,
            label.category if label else "",
            label.confidence if label else None,
            label.rationale if label else "",
            label.backend if label else "",
            status(a.key),
            page_link(a.pdf_url, None),
            a.key,
        ]

    write_sheet(
        wb.create_sheet("Announcements"),
        [
            "来源",
            "代码",
            "简称",
            "日期",
            "标题",
            "交易所类别",
            "分类",
            "置信度",
            "理由",
            "分类后端",
            "状态",
            "PDF",
            "key",
        ],
        (announcement_row(a) for a in report.announcements),
        wrap=["标题", "理由", "状态"],
    )

    def doc_row(d: Document) -> list[object]:
        ex = report.extractions.get(d.key)
        errors = "; ".join(err for _, err in failures.get(d.key, []))
        check = patent_check(ex) if ex else None
        return [
            d.sec_code,
            d.sec_name,
            d.published,
            d.title,
            ex.pages if ex else d.pages,
            d.size,
            d.sha256,
            ex.patent_pages if ex else "",
            ex.competitor_pages if ex else "",
            check.stated if check else None,
            check.extracted if check else None,
            check.note if check else "",
            (len(ex.competitors) if ex.competitors or not is_prospectus(d.title) else "未定位到竞争对手章节")
            if ex
            else None,
            round(ex.seconds, 2) if ex else None,
            "; ".join((*ex.warnings, errors)) if ex else errors,
            page_link(d.url, None),
            file_link(d.path),
            d.key,
        ]

    write_sheet(
        wb.create_sheet("Documents"),
        [
            "代码",
            "简称",
            "日期",
            "标题",
            "页数",
            "字节",
            "sha256",
            "专利页",
            "竞争对手页",
            "专利数(声明)",
            "专利数(提取)",
            "专利核对",
            "竞争对手数",
            "提取秒数",
            "警告/错误",
            "PDF",
            "本地文件",
            "key",
        ],
        (doc_row(d) for d in report.documents),
        wrap=["标题", "警告/错误", "专利核对"],
    )

    def patent_rows() -> Iterable[list[object]]:
        for key, ex in report.extractions.items():
            d = docs.get(key)
            for p in ex.patents:
                pdf, local = src(key, p.page)
                yield [
                    d.sec_code if d else "",
                    d.sec_name if d else "",
                    p.seq,
                    p.name,
                    p.number,
                    p.patent_type.value,
                    p.status.value,
                    p.owner,
                    p.application_date,
                    p.grant_date,
                    p.acquisition,
                    p.validity,
                    p.legal_status,
                    p.encumbrance,
                    p.region,
                    p.note,
                    p.section_title,
                    "表格" if p.source == "table" else "文本",
                    p.page,
                    pdf,
                    local,
                    key,
                ]

    write_sheet(
        wb.create_sheet("Patents"),
        [
            "代码",
            "简称",
            "序号",
            "专利名称",
            "专利号",
            "专利类型",
            "状态",
            "专利权人",
            "申请日",
            "授权日",
            "取得方式",
            "有效期",
            "法律状态",
            "他项权利",
            "国家/地区",
            "注",
            "所在列表",
            "来源",
            "页码",
            "PDF",
            "本地文件",
            "key",
        ],
        patent_rows(),
        wrap=["专利名称"],
    )

    def competitor_rows() -> Iterable[list[object]]:
        for key, ex in report.extractions.items():
            d = docs.get(key)
            for c in ex.competitors:
                label = report.competitor_labels.get((key, c.name))
                pdf, local = src(key, c.page)
                yield [
                    d.sec_code if d else "",
                    d.sec_name if d else "",
                    c.name,
                    c.short_name,
                    (label.stock_code if label else None) or c.stock_code,
                    label.role if label else "",
                    label.listed if label else "",
                    label.domicile if label else "",
                    label.rationale if label else "",
                    label.backend if label else "",
                    SOURCE_LABELS.get(c.source, c.source),
                    c.context,
                    c.section_title,
                    c.page,
                    pdf,
                    local,
                    key,
                ]

    write_sheet(
        wb.create_sheet("Competitors"),
        [
            "代码",
            "发行人",
            "竞争对手",
            "简称",
            "股票代码",
            "角色",
            "是否上市",
            "境内/境外",
            "判断依据",
            "分类后端",
            "出处",
            "上下文",
            "章节",
            "页码",
            "PDF",
            "本地文件",
            "key",
        ],
        competitor_rows(),
        wrap=["上下文", "判断依据"],
    )

    def summary_rows() -> Iterable[list[object]]:
        for s in report.summaries:
            d = docs.get(s.doc_key)
            pdf, local = src(s.doc_key, s.pages[0] if s.pages else None)
            yield [
                d.sec_code if d else "",
                d.sec_name if d else "",
                s.kind,
                s.pages,
                s.summary,
                "\n".join(f"• {k}" for k in s.key_points),
                f"{s.backend}:{s.model}",
                pdf,
                local,
                s.doc_key,
            ]

    write_sheet(
        wb.create_sheet("Summaries"),
        ["代码", "简称", "章节", "页码", "摘要", "要点", "后端:模型", "PDF", "本地文件", "key"],
        summary_rows(),
        wrap=["摘要", "要点"],
    )

    def table_rows() -> tuple[list[str], list[list[object]]]:
        width = max((len(t.header) for ex in report.extractions.values() for t in ex.tables), default=1)
        rows: list[list[object]] = []
        for key, ex in report.extractions.items():
            for n, t in enumerate(ex.tables, start=1):
                pdf, _ = src(key, t.rows[0].page if t.rows else None)
                rows.append([key, n, t.engine, t.kind, t.rows[0].page if t.rows else None, 0, "header", pdf, *t.header])
                for i, r in enumerate(t.rows, start=1):
                    rows.append([key, n, t.engine, t.kind, r.page, i, "", src(key, r.page)[0], *r.cells])
        return ["key", "表", "引擎", "类型", "页码", "行", "表头", "PDF", *[f"c{i + 1}" for i in range(width)]], rows

    header, rows = table_rows()
    write_sheet(wb.create_sheet("Tables"), header, rows)

    info: list[tuple[str, object]] = [
        ("flow", report.flow),
        ("started (UTC)", report.started.isoformat(timespec="seconds")),
        ("finished (UTC)", report.finished.isoformat(timespec="seconds") if report.finished else ""),
        *((f"param: {k}", str(v)) for k, v in report.parameters.items()),
        ("announcements", len(report.announcements)),
        ("documents", len(report.documents)),
        ("documents already processed (skipped)", report.skipped_documents),
        ("patents", sum(len(e.patents) for e in report.extractions.values())),
        ("competitors", sum(len(e.competitors) for e in report.extractions.values())),
        ("LLM backend", report.llm_backend),
        *((f"LLM {k}", v) for k, v in report.llm_usage.items()),
        *(("warning", w) for w in report.warnings),
        *((f"failure: {stage}", f"{key}: {err}") for key, stage, err in report.failures),
    ]
    write_sheet(wb.create_sheet("Run info"), ["item", "value"], info, wrap=["value"])
    return wb


def write_workbook(report: RunReport, outputs_dir: Path, name: str | None = None) -> Path:
    outputs_dir.mkdir(parents=True, exist_ok=True)
    stamp = (report.finished or report.started).strftime("%Y%m%d_%H%M%S")
    path = outputs_dir / (name or f"prospectus_{report.flow}_{stamp}.xlsx")
    tmp = path.with_suffix(".xlsx.part")
    build_workbook(report).save(tmp)
    tmp.replace(path)
    return path
