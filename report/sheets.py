"""Every sheet described once: a list of columns, each a Chinese header with its value getter.

A header can never drift from its value: both sit in the same ``Column``. The Excel writer, the CSV
writer and the tests read these lists; a new column is one line here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.categories import name_of
from core.prospectus import classify
from core.records import Announcement, Document, DocumentExtraction
from report.run import RunReport

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

#: The LLM labels' values as the sheets show them.
ROLE_ZH = {"competitor": "竞争对手", "customer": "客户", "supplier": "供应商", "other": "其他", "unknown": "未知"}
LISTED_ZH = {"listed": "上市", "unlisted": "非上市", "unknown": "未知"}
DOMICILE_ZH = {"domestic": "境内", "foreign": "境外", "unknown": "未知"}
SECTION_ZH = {"document": "全文", "patent": "专利", "competitor": "竞争对手"}

#: Where a competitor name was read.
SOURCE_LABELS = {"table": "表格", "list": "列表项", "heading": "小标题", "prose": "正文"}
#: Which extractor found a competitor name: the rules, the model (grounded on its page), or both.
FOUND_BY_ZH = {"rules": "规则", "model": "模型"}


@dataclass(frozen=True)
class Link:
    text: str
    target: str | None


def page_link(url: str | None, page: int | None) -> Link:
    if not url:
        return Link("", None)
    return Link(f"p.{page}" if page else "PDF", f"{url}#page={page}" if page else url)


def file_link(path: str | None, base: Path | None = None) -> Link:
    """A link to a file on this machine: relative to ``base`` (the workbook's folder), so the link
    still works when outputs/ and data/ are moved together; absolute without a base."""
    if not path:
        return Link("", None)
    p = Path(path).resolve()
    if base is None:
        return Link(p.name, str(p))
    return Link(p.name, os.path.relpath(p, Path(base).resolve()))


#: hosts of a temporary server (the replay): its URLs are gone after the run
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Context:
    """Lookups shared by the sheets of one report; ``base`` is the folder the workbook is written to."""

    def __init__(self, report: RunReport, base: Path | None = None) -> None:
        self.report = report
        self.base = base
        self.docs = {d.key: d for d in report.documents}
        self.anns = {a.key: a for a in report.announcements}
        #: each document's local-file link, made once: resolving its path (and the base's) is a few
        #: system calls, and every row of a document links its file (60% of the parquet writer's rows)
        self._files: dict[str | None, Link] = {}

    def _file(self, path: str | None) -> Link:
        link = self._files.get(path)
        if link is None:
            link = self._files[path] = file_link(path, self.base)
        return link

    def pdf(self, doc_key: str, page: int | None) -> Link:
        """The exchange's own PDF URL (``#page=N``). A replay's URLs point at a server that is gone
        after the run, so there the link is the downloaded file (the page in the link text)."""
        d = self.docs.get(doc_key)
        url = d.url if d else (self.anns[doc_key].pdf_url if doc_key in self.anns else None)
        if d is not None and d.path and url and urlsplit(url).hostname in _LOOPBACK:
            local = self._file(d.path)
            if not page or local.target is None:
                return local
            return Link(f"p.{page}", f"{local.target}#page={page}")  # browsers' PDF viewers open at the page
        return page_link(url, page)

    @cached_property
    def competitor_labels(self) -> dict[tuple[str, str], Any]:
        """The report's competitor labels, looked up once per sheet (not once per row)."""
        return self.report.competitor_labels

    @cached_property
    def labels(self) -> dict[str, Any]:
        return self.report.labels

    def local(self, doc_key: str) -> Link:
        d = self.docs.get(doc_key)
        return self._file(d.path if d else None)

    def status(self, key: str) -> str:
        failures = self.report.failures_of(key)
        if failures:
            return "; ".join(f"{f.stage}: {f.text}" for f in failures)
        if key in self.report.skipped:
            return f"未读取: {self.report.skipped[key]}"
        return "正常" if key in self.docs else ""


@dataclass(frozen=True)
class Item:
    """One row's sources: the record, the document it belongs to (if any) and the report context."""

    ctx: Context
    key: str
    rec: Any
    doc: Document | None = None

    @property
    def code(self) -> str:
        return self.doc.sec_code if self.doc else ""

    @property
    def name(self) -> str:
        return self.doc.sec_name if self.doc else ""


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Item], object]
    wrap: bool = False
    #: a fixed width for columns nobody reads whole (hashes, keys); None = fitted to the text
    width: int | None = None
    #: on the printed A4 page; the others follow the printed block and are left out of the print area
    printed: bool = True


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    items: Callable[[Context], Iterable[Item]]

    def __post_init__(self) -> None:
        # the printed columns first, in their order, then the rest: one contiguous print area
        ordered = tuple(c for c in self.columns if c.printed) + tuple(c for c in self.columns if not c.printed)
        object.__setattr__(self, "columns", ordered)

    @property
    def printed(self) -> int:
        """How many columns (from the left) the print area holds."""
        return sum(c.printed for c in self.columns)

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns]

    def rows(self, ctx: Context) -> Iterator[list[object]]:
        for item in self.items(ctx):
            yield [c.get(item) for c in self.columns]


# --- derived values -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatentCheck:
    stated: int | None
    extracted: int
    note: str


def is_prospectus(title: str) -> bool:
    """A full prospectus (any version), not a summary, notice or appendix of one."""
    return (c := classify(title)) is not None and c.full


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
    return PatentCheck(stated.total, extracted, f"不一致：声明{stated.total}项（第{stated.page}页），提取{extracted}项")


def _extraction(i: Item) -> DocumentExtraction | None:
    return i.ctx.report.extractions.get(i.key)


def _check(i: Item) -> PatentCheck | None:
    ex = _extraction(i)
    return patent_check(ex) if ex else None


def _competitor_count(i: Item) -> object:
    ex = _extraction(i)
    if ex is None:
        return None
    return len(ex.competitors) if ex.competitors or not is_prospectus(i.rec.title) else "未定位到竞争对手章节"


def _doc_notes(i: Item) -> str:
    ex = _extraction(i)
    errors = "; ".join(f.text for f in i.ctx.report.failures_of(i.key))
    return "; ".join((*ex.warnings, errors)) if ex and (ex.warnings or errors) else errors


def _label(i: Item) -> Any:
    return i.ctx.competitor_labels.get((i.key, i.rec.name))


def _where(i: Item) -> str:
    """Where the rules read the name; a name only the model found: its quote (the 上下文 column)."""
    return SOURCE_LABELS.get(i.rec.source, i.rec.source) if "rules" in i.rec.found_by else "模型引文"


def _ann_label(i: Item) -> Any:
    return i.ctx.labels.get(i.key)


# --- the sheets -----------------------------------------------------------------------------------------


def _announcements(ctx: Context) -> Iterable[Item]:
    return (Item(ctx, a.key, a) for a in ctx.report.announcements)


def _documents(ctx: Context) -> Iterable[Item]:
    return (Item(ctx, d.key, d, d) for d in ctx.report.documents)


def _patents(ctx: Context) -> Iterable[Item]:
    for key, ex in ctx.report.extractions.items():
        for p in ex.patents:
            yield Item(ctx, key, p, ctx.docs.get(key))


def _competitors(ctx: Context) -> Iterable[Item]:
    for key, ex in ctx.report.extractions.items():
        for c in ex.competitors:
            yield Item(ctx, key, c, ctx.docs.get(key))


def _summaries(ctx: Context) -> Iterable[Item]:
    return (Item(ctx, s.doc_key, s, ctx.docs.get(s.doc_key)) for s in ctx.report.summaries)


def _ann(get: Callable[[Announcement], object]) -> Callable[[Item], object]:
    return lambda i: get(i.rec)


def _new(i: Item) -> str:
    new = i.ctx.report.new_keys
    return "新" if new is not None and i.key in new else ""


#: marks rows first seen by this run (daily) or since the last export (export)
NEW = Column("新增", _new, width=6)

ANNOUNCEMENTS = Sheet(
    "Announcements",
    (
        Column("来源", _ann(lambda a: a.source)),
        Column("代码", _ann(lambda a: a.sec_code)),
        Column("简称", _ann(lambda a: a.sec_name)),
        Column("日期", _ann(lambda a: a.published)),
        Column("标题", _ann(lambda a: a.title), wrap=True),
        Column("交易所类别", _ann(lambda a: name_of(a.category) if a.category else "")),
        Column("文件类型", _ann(lambda a: c.label if (c := classify(a.title)) else "")),
        Column("分类", lambda i: _ann_label(i).category if _ann_label(i) else ""),
        Column("置信度", lambda i: _ann_label(i).confidence if _ann_label(i) else None, printed=False),
        Column("理由", lambda i: _ann_label(i).rationale if _ann_label(i) else "", wrap=True, printed=False),
        Column("分类后端", lambda i: _ann_label(i).backend if _ann_label(i) else "", printed=False),
        Column("状态", lambda i: i.ctx.status(i.key), wrap=True),
        Column("PDF", lambda i: i.ctx.pdf(i.key, None), printed=False),
        Column("key", lambda i: i.key, width=24, printed=False),
        NEW,
    ),
    _announcements,
)

DOCUMENTS = Sheet(
    "Documents",
    (
        Column("代码", lambda i: i.rec.sec_code),
        Column("简称", lambda i: i.rec.sec_name),
        Column("日期", lambda i: i.rec.published),
        Column("标题", lambda i: i.rec.title, wrap=True),
        Column("页数", lambda i: ex.pages if (ex := _extraction(i)) else i.rec.pages),
        Column("字节", lambda i: i.rec.size, printed=False),
        Column("sha256", lambda i: i.rec.sha256, width=18, printed=False),
        Column("专利页", lambda i: ex.patent_pages if (ex := _extraction(i)) else ""),
        Column("竞争对手页", lambda i: ex.competitor_pages if (ex := _extraction(i)) else ""),
        Column("专利数(声明)", lambda i: c.stated if (c := _check(i)) else None),
        Column("专利数(提取)", lambda i: c.extracted if (c := _check(i)) else None),
        Column("专利核对", lambda i: c.note if (c := _check(i)) else "", wrap=True),
        Column("竞争对手数", _competitor_count),
        Column("提取秒数", lambda i: round(ex.seconds, 2) if (ex := _extraction(i)) else None, printed=False),
        Column("警告/错误", _doc_notes, wrap=True),
        Column("PDF", lambda i: i.ctx.pdf(i.key, None), printed=False),
        Column("本地文件", lambda i: i.ctx.local(i.key), width=18, printed=False),
        Column("key", lambda i: i.key, width=24, printed=False),
        NEW,
    ),
    _documents,
)

#: where a row was read: its page, a link to that page of the PDF, the local file and the document key
_PAGE_SOURCE = (
    Column("页码", lambda i: i.rec.page),
    Column("PDF", lambda i: i.ctx.pdf(i.key, i.rec.page), printed=False),
    Column("本地文件", lambda i: i.ctx.local(i.key), width=18, printed=False),
    Column("key", lambda i: i.key, width=24, printed=False),
)

PATENTS = Sheet(
    "Patents",
    (
        Column("代码", lambda i: i.code),
        Column("简称", lambda i: i.name),
        Column("序号", lambda i: i.rec.seq),
        Column("专利名称", lambda i: i.rec.name, wrap=True),
        Column("专利号", lambda i: i.rec.number),
        Column("专利类型", lambda i: i.rec.patent_type.value),
        Column("状态", lambda i: i.rec.status.value),
        Column("专利权人", lambda i: i.rec.owner),
        Column("申请日", lambda i: i.rec.application_date),
        Column("授权日", lambda i: i.rec.grant_date),
        Column("取得方式", lambda i: i.rec.acquisition, printed=False),
        Column("有效期", lambda i: i.rec.validity, printed=False),
        Column("法律状态", lambda i: i.rec.legal_status, printed=False),
        Column("他项权利", lambda i: i.rec.encumbrance),
        Column("国家/地区", lambda i: i.rec.region, printed=False),
        Column("注", lambda i: i.rec.note, printed=False),
        Column("所在列表", lambda i: i.rec.section_title),
        Column("来源", lambda i: "表格" if i.rec.source == "table" else "文本", printed=False),
        *_PAGE_SOURCE,
        NEW,
    ),
    _patents,
)

COMPETITORS = Sheet(
    "Competitors",
    (
        Column("代码", lambda i: i.code),
        Column("发行人", lambda i: i.name),
        Column("竞争对手", lambda i: i.rec.name),
        Column("简称", lambda i: i.rec.short_name),
        Column("股票代码", lambda i: (lab.stock_code if (lab := _label(i)) else None) or i.rec.stock_code),
        Column("角色", lambda i: "、".join(i.rec.roles)),
        Column("来源", lambda i: "+".join(FOUND_BY_ZH[f] for f in i.rec.found_by)),
        Column("关系", lambda i: ROLE_ZH.get(lab.role, lab.role) if (lab := _label(i)) else ""),
        Column("是否上市", lambda i: LISTED_ZH.get(lab.listed, lab.listed) if (lab := _label(i)) else ""),
        Column("境内/境外", lambda i: DOMICILE_ZH.get(lab.domicile, lab.domicile) if (lab := _label(i)) else ""),
        Column("判断依据", lambda i: lab.rationale if (lab := _label(i)) else "", wrap=True, printed=False),
        Column("分类后端", lambda i: lab.backend if (lab := _label(i)) else "", printed=False),
        Column("出处", _where),
        Column("上下文", lambda i: i.rec.context, wrap=True, printed=False),
        Column("章节", lambda i: i.rec.section_title),
        *_PAGE_SOURCE,
        NEW,
    ),
    _competitors,
)

SUMMARIES = Sheet(
    "Summaries",
    (
        Column("代码", lambda i: i.code),
        Column("简称", lambda i: i.name),
        Column("章节", lambda i: SECTION_ZH.get(i.rec.kind, i.rec.kind)),
        Column("页码", lambda i: i.rec.pages),
        Column("摘要", lambda i: i.rec.summary, wrap=True),
        Column("要点", lambda i: "\n".join(f"• {k}" for k in i.rec.key_points), wrap=True),
        Column("后端:模型", lambda i: f"{i.rec.backend}:{i.rec.model}", printed=False),
        Column("PDF", lambda i: i.ctx.pdf(i.key, i.rec.pages[0] if i.rec.pages else None), printed=False),
        Column("本地文件", lambda i: i.ctx.local(i.key), width=18, printed=False),
        Column("key", lambda i: i.key, width=24, printed=False),
    ),
    _summaries,
)

#: The record sheets, in workbook order (Tables and Run info follow: their width varies per run).
RECORD_SHEETS: tuple[Sheet, ...] = (ANNOUNCEMENTS, DOCUMENTS, PATENTS, COMPETITORS, SUMMARIES)
SHEETS = (*(s.name for s in RECORD_SHEETS), "Tables", "Run info")

#: LLM tasks whose records the sheets above show as their own columns (the 分类 columns of
#: Announcements, the 关系 columns of Competitors, the Summaries sheet). Every other registered task
#: gets a sheet of its own, built from its record's fields: a new task shows up with no change here.
SHOWN_BY_RECORD_SHEETS = frozenset({"announcement", "competitor", "summary"})


def _field(name: str) -> Callable[[Item], object]:
    def get(i: Item) -> object:
        value = getattr(i.rec, name)
        if isinstance(value, tuple | list):
            return "\n".join(str(v) for v in value)
        return value if value is None or isinstance(value, int | float | str) else str(value)

    return get


def task_sheet(task: str, records: list[Any]) -> Sheet:
    """The sheet of an LLM task that no record sheet shows: one column per field of its record, the
    document's code and name first when the record carries a ``doc_key``."""
    fields = list(type(records[0]).model_fields) if records and hasattr(records[0], "model_fields") else []
    keyed = "doc_key" in fields

    def items(ctx: Context) -> Iterable[Item]:
        for r in records:
            key = getattr(r, "doc_key", "") if keyed else getattr(r, "key", "")
            yield Item(ctx, key, r, ctx.docs.get(key))

    lead = (Column("代码", lambda i: i.code), Column("简称", lambda i: i.name)) if keyed else ()
    return Sheet(f"LLM {task}"[:31], (*lead, *(Column(f, _field(f), wrap=True) for f in fields)), items)


def record_sheets(report: RunReport) -> list[Sheet]:
    """The record sheets, then one sheet per LLM task that none of them shows."""
    extra = [task_sheet(name, recs) for name, recs in report.llm.items() if name not in SHOWN_BY_RECORD_SHEETS]
    return [*RECORD_SHEETS, *extra]


def table_rows(ctx: Context) -> tuple[list[str], Iterator[list[object]]]:
    """Every extracted table, header row first, cells spread over c1…cN (the rows made as they are read)."""
    report = ctx.report
    width = max((len(t.header) for ex in report.extractions.values() for t in ex.tables), default=1)

    def rows() -> Iterator[list[object]]:  # made as they are read: a run's tables are never all in memory
        for key, ex in report.extractions.items():
            for n, t in enumerate(ex.tables, start=1):
                first = t.rows[0].page if t.rows else None
                yield [key, n, t.engine, t.kind, first, 0, "header", ctx.pdf(key, first), *t.header]
                for i, r in enumerate(t.rows, start=1):
                    yield [key, n, t.engine, t.kind, r.page, i, "", ctx.pdf(key, r.page), *r.cells]

    return ["key", "表", "引擎", "类型", "页码", "行", "表头", "PDF", *[f"c{i + 1}" for i in range(width)]], rows()


#: Run info's Chinese labels for its keys (the keys stay, in their own column, for programs)
RUN_INFO_LABELS = {
    "data source": "数据来源",
    "flow": "流程",
    "started": "开始（北京时间）",
    "finished": "结束（北京时间）",
    "announcements": "公告数",
    "documents": "文件数",
    "documents already processed (skipped)": "已处理过的文件（本次跳过）",
    "announcements not read (older prospectus versions, summaries, notices)": (
        "未读取的公告（旧版本、摘要、提示性公告等）"
    ),
    "new announcements": "新增公告",
    "new documents": "新增文件",
    "patents": "专利数",
    "competitors": "竞争对手数",
    "LLM backend": "模型后端",
    "warning": "警告",
}
_LABEL_PREFIXES = {"param: ": "参数: ", "LLM ": "模型: ", "failure: ": "失败: ", "recipe: ": "表格配方: "}
RUN_INFO_HEADER = ["项目", "值", "key"]


def run_info_label(key: str) -> str:
    if key in RUN_INFO_LABELS:
        return RUN_INFO_LABELS[key]
    for prefix, zh in _LABEL_PREFIXES.items():
        if key.startswith(prefix):
            return zh + key[len(prefix) :]
    return key


def beijing(t: dt.datetime | None) -> str:
    """A time as Beijing time, to the second (naive times are UTC)."""
    if t is None:
        return ""
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


#: what a workbook built from the offline replay says of itself, on top of Run info and on every
#: sheet's printed header: its data are recordings, and its announcement ids and days placeholders
REPLAY_BANNER = "回放数据：本地录制的交易所响应与语料PDF，公告编号和日期为占位值，不是真实披露"


def from_replay(report: RunReport) -> bool:
    """True when the run read a replay server (its URLs are on this machine): the data are recordings."""
    urls = [d.url for d in report.documents] + [a.pdf_url or "" for a in report.announcements]
    return any(urlsplit(u).hostname in _LOOPBACK for u in urls if u)


def run_info(report: RunReport) -> list[tuple[str, object, str]]:
    """The run's parameters, counts, LLM use, warnings and every failure, one item a row:
    (Chinese label, value, the key programs read)."""
    return [(run_info_label(k), v, k) for k, v in _run_info(report)]


def _extraction_totals(report: RunReport) -> tuple[int, int, list[tuple[str, object]]]:
    """Patents, competitors and the recipes' notes over the run's extractions, read in one pass (a
    run's extractions are read back from the store, one document at a time)."""
    patents = competitors = 0
    notes: list[tuple[str, object]] = []
    for key, ex in report.extractions.items():
        patents += len(ex.patents)
        competitors += len(ex.competitors)
        notes += [(f"recipe: {key}", note) for note in ex.recipe_notes]
    return patents, competitors, notes


def _run_info(report: RunReport) -> list[tuple[str, object]]:
    patents, competitors, recipe_notes = _extraction_totals(report)
    return [
        *((("data source", REPLAY_BANNER),) if from_replay(report) else ()),
        ("flow", report.flow),
        ("started", beijing(report.started)),
        ("finished", beijing(report.finished)),
        *((f"param: {k}", str(v)) for k, v in report.parameters.items()),
        ("announcements", len(report.announcements)),
        ("documents", len(report.documents)),
        ("documents already processed (skipped)", report.skipped_documents),
        ("announcements not read (older prospectus versions, summaries, notices)", len(report.skipped)),
        *(
            (
                ("new announcements", sum(a.key in report.new_keys for a in report.announcements)),
                ("new documents", sum(d.key in report.new_keys for d in report.documents)),
            )
            if report.new_keys is not None
            else ()
        ),
        ("patents", patents),
        ("competitors", competitors),
        ("LLM backend", report.llm_backend),
        *((f"LLM {name}: records", len(recs)) for name, recs in report.llm.items()),
        *((f"LLM {k}", v) for k, v in report.llm_usage.items()),
        *(("warning", w) for w in report.warnings),
        *((f"failure: {f.stage}", f"{f.key}: {f.text}") for f in report.failures),
        *recipe_notes,
    ]
