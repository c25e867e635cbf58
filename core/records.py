"""Typed records at every stage boundary.

``Announcement`` (scrape) → ``Document`` (download) → ``ExtractedTable`` / ``Section`` / ``PatentRecord`` /
``CompetitorMention`` (extract) → ``Summary`` / ``AnnouncementLabel`` / ``CompetitorLabel`` (LLM) → sheet rows.

All records are frozen pydantic models: they validate on construction, pickle across Prefect task
boundaries and serialise to JSON for the manifest and the caches.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from core.categories import check_exchange_name, check_registered_exchange, registered_exchanges
from core.errors import RateLimitedError, TransientHTTPError


class _RegisteredChoices:
    """The JSON schema of :data:`Exchange` lists the exchanges registered when it is made (the Prefect
    UI form's choices), so the choices come from ``scrapers/registry.py`` like the check itself."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        out: dict[str, Any] = handler(schema)
        if registered_exchanges():
            out["enum"] = list(registered_exchanges())
        return out


#: An exchange a run can search: a name registered by ``scrapers.registry.register`` (the one line that
#: adds an exchange; core.categories keeps the names, core never imports scrapers). Run parameters
#: and adapters use it.
Exchange = Annotated[str, AfterValidator(check_registered_exchange), _RegisteredChoices()]
#: The exchange a record came from: a well-formed name, not checked against the registry, so records
#: scraped from an exchange that is no longer registered still load from the store and the caches.
ExchangeName = Annotated[str, AfterValidator(check_exchange_name)]


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    #: the name the cumulative store keeps this record under (core.store): stable across a move or a
    #: rename of the class, so declare it on every record that is stored, and never change it
    type_name: ClassVar[str] = ""


# --- scrape ---------------------------------------------------------------------------------------


class Announcement(Record):
    type_name: ClassVar[str] = "announcement"
    source: ExchangeName
    announcement_id: str
    sec_code: str
    sec_name: str
    title: str
    published: dt.date = Field(description="disclosure date in Beijing time")
    pdf_url: str | None = Field(description="absolute URL of the attachment; None when not yet posted")
    org_id: str | None = None
    category: str | None = Field(default=None, description="exchange category label or code")
    size_kb: int | None = None
    published_at: dt.datetime | None = None

    @property
    def key(self) -> str:
        """Stable identity across reruns: the source plus the exchange's own id."""
        return f"{self.source}:{self.announcement_id}"


# --- download -------------------------------------------------------------------------------------


class Document(Record):
    type_name: ClassVar[str] = "document"
    key: str = Field(description="Announcement.key of the source announcement")
    sec_code: str
    sec_name: str
    title: str
    published: dt.date
    url: str
    path: str
    sha256: str
    size: int
    pages: int | None = None


# --- extract --------------------------------------------------------------------------------------


class SectionKind(StrEnum):
    PATENT = "patent"
    COMPETITOR = "competitor"


class Section(Record):
    doc_key: str
    kind: SectionKind
    title: str
    pages: tuple[int, ...] = Field(description="1-based PDF page numbers")
    text: str
    located_by: Literal["outline", "heading", "keyword"]
    page_starts: tuple[int, ...] = Field(
        default=(),
        description="where each page of ``pages`` starts in ``text`` (character offsets); empty when unknown",
    )

    def page_texts(self) -> tuple[tuple[int, str], ...]:
        """(page, that page's text) for every page of the section; empty when the offsets are unknown
        (a section stored before they were kept): nothing can then be checked against one page."""
        if not self.page_starts or len(self.page_starts) != len(self.pages):
            return ()
        ends = (*self.page_starts[1:], len(self.text) + 1)
        return tuple(
            (p, self.text[a : b - 1] if b - 1 >= a else "")
            for p, a, b in zip(self.pages, self.page_starts, ends, strict=True)
        )


class TableRow(Record):
    page: int
    cells: tuple[str, ...]


Engine = Literal["pdfplumber", "tabula", "html", "text"]
TableKind = Literal["patent", "patent_reference", "competitor", "other"]


class ExtractedTable(Record):
    doc_key: str
    engine: Engine
    kind: TableKind
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]

    @property
    def pages(self) -> tuple[int, ...]:
        return tuple(sorted({r.page for r in self.rows}))


class PatentType(StrEnum):
    INVENTION = "发明"
    UTILITY = "实用新型"
    DESIGN = "外观设计"
    OTHER = "其他"


class PatentStatus(StrEnum):
    GRANTED = "已授权"
    PENDING = "申请中"


class PatentRecord(Record):
    doc_key: str
    page: int = Field(description="1-based PDF page where the row starts")
    name: str = Field(description="专利名称")
    number: str = Field(description="专利号 / 申请号 exactly as printed, whitespace removed")
    patent_type: PatentType = Field(description="专利类型")
    status: PatentStatus = Field(default=PatentStatus.GRANTED, description="已授权 or 申请中 (from heading or row)")
    application_date: dt.date | None = Field(default=None, description="申请日")
    grant_date: dt.date | None = Field(default=None, description="授权日 / 授权公告日")
    owner: str | None = Field(default=None, description="专利权人 (column or holder group heading)")
    acquisition: str | None = Field(default=None, description="取得方式")
    validity: str | None = Field(default=None, description="有效期 / 保护期限, as printed")
    legal_status: str | None = Field(default=None, description="the 状态 column as printed")
    encumbrance: str | None = Field(default=None, description="他项权利 / 质押, as printed")
    region: str | None = Field(default=None, description="国家/地区 of a foreign patent")
    seq: str | None = Field(default=None, description="序号, footnote marker split off")
    note: str | None = Field(default=None, description="footnote marker printed with the 序号 (注1)")
    section_title: str | None = Field(default=None, description="heading of the list the row belongs to")
    source: Literal["table", "text"] = Field(default="table", description="table cells or the text fallback")


class StatedPatentCount(Record):
    page: int
    total: int
    by_type: dict[str, int] = Field(default_factory=dict)
    scope: str | None = None
    sentence: str


CompetitorSource = Literal["table", "list", "heading", "prose"]
CompetitorRole = Literal["竞争对手", "可比公司"]
FoundBy = Literal["rules", "model"]


class CompetitorMention(Record):
    doc_key: str
    name: str
    page: int
    context: str = Field(description="the sentence the name was found in")
    stock_code: str | None = None
    short_name: str | None = None
    section_title: str | None = None
    source: CompetitorSource = Field(default="prose", description="table / list item / sub-heading / prose")
    roles: tuple[CompetitorRole, ...] = Field(
        default=("竞争对手",), description="竞争对手 (named as a competitor) and/or 可比公司 (a comparable company)"
    )
    found_by: tuple[FoundBy, ...] = Field(
        default=("rules",), description="which extractor found the name: the rules, the model, or both"
    )


class RecipeCell(Record):
    column: str = Field(description="the recipe's column name, or the printed header for other columns")
    text: str = Field(description="the cell as printed")
    value: float | None = Field(
        default=None,
        description="the number, for the recipe's numeric columns: amounts in 元 (or 股), shares as printed",
    )
    unit: str | None = Field(default=None, description="the unit the cell is printed in (万元, 元, 股, %)")


class RecipeRow(Record):
    """One row of a table that a table recipe names (关联交易, 前五名客户 …), with its source."""

    recipe: str
    doc_key: str
    page: int
    table: int = Field(description="1-based number of the matched table in the document, for this recipe")
    unit: str | None = Field(default=None, description="from the 单位 line above the table, e.g. 元, 万元")
    cells: tuple[RecipeCell, ...]
    period: str | None = Field(default=None, description="the reporting period the row belongs to (2010年度)")
    group: str | None = Field(default=None, description="the group title above the row (一、油田专用设备制造)")
    segment: str | None = Field(
        default=None,
        description="the segment the table covers when its heading names one (境外, 内销, a product line); "
        "None for a company-wide table",
    )

    def get(self, column: str) -> RecipeCell | None:
        return next((c for c in self.cells if c.column == column), None)


# --- failures -------------------------------------------------------------------------------------


class Failure(Record):
    """One item that failed, and why: recorded in the manifest, shown in Run info and the run state."""

    key: str = Field(description="the announcement or document key (or the query, for a scrape)")
    stage: str
    error_type: str = Field(description="the PipelineError subclass, e.g. InvalidPDFError")
    message: str
    retryable: bool = False

    @classmethod
    def of(cls, key: str, stage: str, exc: BaseException) -> Failure:
        return cls(
            key=key,
            stage=stage,
            error_type=type(exc).__name__,
            message=str(exc),
            retryable=isinstance(exc, TransientHTTPError | RateLimitedError),
        )

    @property
    def text(self) -> str:
        return f"{self.error_type}: {self.message}" if self.error_type else self.message


# --- LLM ------------------------------------------------------------------------------------------


class LLMUsage(Record):
    task: str
    model: str
    backend: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    attempts: int = 1

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Summary(Record):
    type_name: ClassVar[str] = "summary"
    doc_key: str
    kind: str = Field(description="section kind or 'document'")
    pages: tuple[int, ...]
    summary: str
    key_points: tuple[str, ...] = ()
    backend: str
    model: str


class AnnouncementLabel(Record):
    type_name: ClassVar[str] = "announcement-label"
    key: str
    title: str
    category: str
    confidence: float
    rationale: str
    backend: str


class CompetitorLabel(Record):
    type_name: ClassVar[str] = "competitor-label"
    doc_key: str
    name: str
    role: Literal["competitor", "customer", "supplier", "other", "unknown"]
    listed: Literal["listed", "unlisted", "unknown"]
    domicile: Literal["domestic", "foreign", "unknown"]
    stock_code: str | None
    rationale: str
    backend: str


# --- extraction result of one document ------------------------------------------------------------


class DocumentExtraction(Record):
    type_name: ClassVar[str] = "document-extraction"
    doc_key: str
    pages: int
    patent_pages: tuple[int, ...]
    competitor_pages: tuple[int, ...]
    sections: tuple[Section, ...]
    tables: tuple[ExtractedTable, ...]
    patents: tuple[PatentRecord, ...]
    competitors: tuple[CompetitorMention, ...]
    stated_patents: tuple[StatedPatentCount, ...] = ()
    #: the statement that describes the extracted list (see extractors.patents.stated_total)
    patent_statement: StatedPatentCount | None = None
    #: rows of the tables that the run's table recipes name
    recipe_rows: tuple[RecipeRow, ...] = ()
    #: per recipe, why it gave nothing here ('no table matched', 'page 9 is beyond the document')
    recipe_notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    #: the opening text (cover and table of contents skipped) for a whole-document summary
    lead_text: str = ""
    lead_pages: tuple[int, ...] = ()
    #: the date the document gives itself on its cover (extractors.docdate), and how it was read
    document_date: dt.date | None = None
    date_source: str | None = None
    #: the issuer's legal name as its cover prints it (extractors.docdate.cover_issuer)
    issuer_name: str | None = None
