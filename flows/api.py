"""The Python API for notebooks and scripts: the same code the flows run, as DataFrames.

    from flows.api import company, search, extract, run

    company("三联锻造")                        # → [StockInfo(code='001282', …)]
    df = search(company="sldz", categories=["首发"], start="2023-01-01", end="2023-12-31")
    ex = extract("prospectus.pdf", tables=["关联交易"])
    ex.patents, ex.competitors, ex.table("关联交易-销售")   # DataFrames
    path = run(codes=["001282"], start="2023-01-01", end="2023-12-31")   # the whole pipeline

``search`` and ``extract`` need no Prefect; ``run`` is the ad-hoc flow (embedded Prefect), so its
workbook, cache and manifest are the ones a flow run writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from core.errors import ConfigError
from core.params import RunParams
from core.records import Document, DocumentExtraction
from core.settings import Settings, current_settings
from extractors.document import extract_document
from extractors.recipes import load_recipes, select
from report.run import RunReport
from report.sheets import COMPETITORS, PATENTS, Context, Link, Sheet
from run.plan import query_of
from scrapers.cninfo import CninfoAdapter, NameMatch, StockInfo
from scrapers.http import HttpClient
from scrapers.registry import adapter_for


def company(text: str, settings: Settings | None = None) -> list[StockInfo]:
    """Companies whose code, short name, pinyin initials, full or former name match ``text`` (best first)."""
    return _match(text, settings).found


def _match(text: str, settings: Settings | None) -> NameMatch:
    s = settings or current_settings()
    with HttpClient(s) as http:
        return CninfoAdapter(http, s).find_company(text)


def resolve_company(text: str, settings: Settings | None = None) -> str:
    """The one code ``text`` names; ambiguous or unknown names raise ConfigError listing candidates
    (the nearest names when nothing matches)."""
    match = _match(text, settings)
    found = match.found
    if len(found) == 1:
        return found[0].code
    if not found:
        near = "、".join(f"{c.name} ({c.code})" for c in match.suggestions)
        raise ConfigError(f"no company matches {text!r}" + (f"; nearest: {near}" if near else ""))
    listed = ", ".join(f"{c.code} {c.name}" for c in found[:10])
    raise ConfigError(f"{text!r} matches {len(found)} companies: {listed}{' …' if len(found) > 10 else ''}")


def search(
    codes: Sequence[str] = (),
    *,
    company: str | None = None,
    keyword: str | None = None,
    categories: Sequence[str] = (),
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    exchange: str = "cninfo",
    market: str | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Announcements (nothing is downloaded): one row each, categories by name or code."""
    s = settings or current_settings()
    all_codes = [*codes, *([resolve_company(company, s)] if company else [])]
    params = RunParams.checked(
        exchange=exchange, codes=all_codes, keyword=keyword, categories=list(categories), start=start, end=end,
        market=market,
    )  # fmt: skip
    with HttpClient(s) as http:
        result = adapter_for(params.exchange, http, s).search(query_of(params))
    return pd.DataFrame(
        [
            {
                "来源": a.source,
                "代码": a.sec_code,
                "简称": a.sec_name,
                "日期": a.published,
                "标题": a.title,
                "类别": a.category,
                "PDF": a.pdf_url,
                "key": a.key,
            }
            for a in result.announcements
        ],
        columns=["来源", "代码", "简称", "日期", "标题", "类别", "PDF", "key"],
    )


@dataclass(frozen=True)
class Extraction:
    """One document's results; each part converts to a DataFrame. Columns are the workbook's and the
    CSV files' own (Chinese: 专利号, 专利类型, 页码 …) unless ``lang="en"``, which gives the records'
    field names (number, patent_type, page …)."""

    record: DocumentExtraction
    lang: Literal["zh", "en"] = "zh"
    #: the PDF the record was read from (for the sheets' page links)
    path: str = ""

    @property
    def patents(self) -> pd.DataFrame:
        if self.lang == "en":
            return _frame([p.model_dump(mode="json", exclude={"doc_key"}) for p in self.record.patents])
        return self._sheet(PATENTS)

    @property
    def competitors(self) -> pd.DataFrame:
        if self.lang == "en":
            return _frame([c.model_dump(mode="json", exclude={"doc_key"}) for c in self.record.competitors])
        return self._sheet(COMPETITORS)

    def _sheet(self, sheet: Sheet) -> pd.DataFrame:
        """The sheet's rows for this one document, as the workbook shows them (a link as its target)."""
        doc = Document(
            key=self.record.doc_key, sec_code=self.record.doc_key[:6] if self.record.doc_key[:6].isdigit() else "",
            sec_name="", title=Path(self.path).stem, published=self.record.document_date or dt.date.today(),
            url=Path(self.path).resolve().as_uri() if self.path else "", path=self.path, sha256="", size=0,
        )  # fmt: skip
        report = RunReport(
            flow="extract", parameters={}, started=dt.datetime.now(dt.UTC), documents=[doc],
            extractions={doc.key: self.record},
        )  # fmt: skip
        rows = [[v.target or v.text if isinstance(v, Link) else v for v in row] for row in sheet.rows(Context(report))]
        return pd.DataFrame(rows, columns=sheet.header)

    @property
    def sections(self) -> pd.DataFrame:
        return _frame([s.model_dump(mode="json", exclude={"doc_key", "text"}) for s in self.record.sections])

    def table(self, recipe: str) -> pd.DataFrame:
        """The rows of one recipe's tables with the recipe sheet's columns: page, table, unit line,
        period (期间), segment (范围), group (分组), then a column per recipe column; a number is given
        with the text as printed (``X(原文)``) and the unit it was printed in (``X(单位)``) beside it."""
        rows = []
        for r in self.record.recipe_rows:
            if r.recipe != recipe:
                continue
            row: dict[str, Any] = {"页码": r.page, "表": r.table, "单位": r.unit, "期间": r.period}
            row |= {"范围": r.segment, "分组": r.group}
            for c in r.cells:
                row[c.column] = c.value if c.value is not None else c.text
                if c.value is not None:
                    row[f"{c.column}(原文)"], row[f"{c.column}(单位)"] = c.text, c.unit
            rows.append(row)
        return _frame(rows)

    @property
    def notes(self) -> tuple[str, ...]:
        return (*self.record.warnings, *self.record.recipe_notes)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def extract(
    pdf: str | Path,
    *,
    tables: Sequence[str] = (),
    recipes_file: Path | None = None,
    use_tabula: bool = False,
    recipe_engine: Literal["pdfplumber", "tabula"] = "pdfplumber",
    lang: Literal["zh", "en"] = "zh",
) -> Extraction:
    """Extract one PDF on disk: patents, competitors, sections and the named tables. The DataFrames'
    columns are the workbook's (Chinese), or with ``lang="en"`` the records' field names."""
    path = Path(pdf)
    chosen = select(load_recipes(recipes_file), tables) if tables else []
    return Extraction(
        extract_document(path, path.name, use_tabula=use_tabula, recipes=chosen, recipe_engine=recipe_engine),
        lang,
        str(path),
    )


def run(**parameters: Any) -> Path:
    """The ad-hoc pipeline (embedded Prefect) with :class:`core.params.RunParams`' fields, checked
    before Prefect starts (a bad one raises ConfigError); returns the workbook path. A failed run
    raises with its state's message; a partial one returns its workbook."""
    params = RunParams.checked(**parameters)
    from flows.pipeline import adhoc_flow

    state = adhoc_flow(**params.model_dump(), return_state=True)
    if state.is_failed() and state.name != "Partial":  # Partial: a Failed state, with its workbook
        raise RuntimeError(f"run failed: {state.message} (workbook: {state.result(raise_on_failure=False)})")
    return Path(str(state.result(raise_on_failure=False)))


def search_text(
    pattern: str,
    files: list[str | Path] | None = None,
    *,
    since: str | dt.date | None = None,
    company: str | None = None,
    limit: int = 200,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Pages of the downloaded documents (or of ``files``) that contain ``pattern``: one row per page
    with 代码, 简称, 日期, 标题, 页码, 片段 and 页面链接 (the page itself, ``#page=N``). Documents are
    indexed once (``data/text_index.sqlite``)."""
    from flows.grep import HEADER
    from flows.grep import search_text as _search

    hits = _search(
        pattern,
        settings or current_settings(),
        files=[Path(f) for f in files or []],
        since=dt.date.fromisoformat(since) if isinstance(since, str) else since,
        company=company,
        limit=limit,
    )
    rows = [[h.sec_code, h.sec_name, h.published, h.title, h.page, h.snippet, h.link, h.path] for h in hits]
    return pd.DataFrame(rows, columns=list(HEADER))
