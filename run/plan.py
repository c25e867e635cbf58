"""What a run reads, decided before anything is downloaded (pure: no I/O, no Prefect).

``plan(params, scraped)`` turns the exchange's answer (or the query's failure) into the documents to
read (newest prospectus per company unless ``all_versions``, largest first, under the cap), the
announcements left out on purpose with the reason, and the failure rows of the scrape.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.errors import PipelineError, RunCancelledError
from core.params import RunParams
from core.prospectus import choose
from core.records import Announcement, Failure
from core.settings import Settings
from extractors.recipes import TableRecipe, load_recipes, select
from extractors.recipes.registry import extra_kinds
from run.stages import Stage
from scrapers.base import Query, ScrapeResult

#: the manifest stage of a document's extraction (with the recipes' key: cached results stay honest)
EXTRACT_STAGE = "extract-v5"  # v5: the cover's issuer, competitor and recipe rules of 2026-12-03; v4: the cover date


def query_of(params: RunParams) -> Query:
    """The exchange query the parameters ask for."""
    return Query(
        codes=tuple(params.codes),
        keyword=params.keyword,
        categories=tuple(params.categories),
        start=params.start,
        end=params.end,
        market=params.market,
    )


def recipes_for(params: RunParams, settings: Settings) -> list[TableRecipe]:
    """The table recipes the run asked for (a name not in the recipes file is a ConfigError)."""
    return select(load_recipes(settings.recipes_file), params.tables) if params.tables else []


def sheet_recipes(recipes: Sequence[TableRecipe]) -> list[TableRecipe]:
    """One sheet per table recipe asked for, and per extraction kind registered beyond the built-in
    patents and competitors (its rows are :class:`core.records.RecipeRow` under its name)."""
    asked = {r.name for r in recipes}
    extra = [
        k if isinstance(k, TableRecipe) else TableRecipe(name=k.name, sheet=k.sheet)
        for k in extra_kinds()
        if k.name not in asked
    ]
    return [*recipes, *extra]


def recipes_key(recipes: Sequence[TableRecipe], engine: str = "pdfplumber") -> str:
    """A stage-name suffix that changes when the recipes, their engine or the registered kinds change."""
    kinds = [repr(k) for k in extra_kinds()]
    if not recipes and not kinds:
        return ""
    return ":" + hashlib.sha256(repr([engine, *sorted(repr(r) for r in recipes), *kinds]).encode()).hexdigest()[:12]


def extract_stage(recipes: Sequence[TableRecipe], settings: Settings) -> str:
    """The manifest stage under which a document's extraction is kept."""
    return EXTRACT_STAGE + recipes_key(recipes, settings.recipe_engine) + (":tabula" if settings.tabula_enabled else "")


def no_match_hint(params: RunParams) -> str:
    parts = [
        f"codes {', '.join(params.codes)} (listed on {params.exchange}?)" if params.codes else "",
        f"categories {', '.join(params.categories)}" if params.categories else "",
        f"keyword {params.keyword!r}" if params.keyword else "",
        f"dates {params.start or '…'} ~ {params.end or '…'}",
    ]
    return "nothing matched: check " + ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Plan:
    """What the run reads and what it already knows failed."""

    #: every announcement the exchange returned
    announcements: tuple[Announcement, ...] = ()
    #: the documents to read, in the order the exchange gave them
    wanted: tuple[Announcement, ...] = ()
    #: announcements not read on purpose (an older version, a summary …), with the reason
    skipped: dict[str, str] = field(default_factory=dict)
    failures: tuple[Failure, ...] = ()
    warnings: tuple[str, ...] = ()
    #: lines for the Run info sheet
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def order(self) -> list[int]:
        """Largest first (by the size the exchange announces), so no worker is left alone with a
        600-page prospectus at the end."""
        return sorted(range(len(self.wanted)), key=lambda i: -(self.wanted[i].size_kb or 0))


def plan(
    params: RunParams,
    scraped: ScrapeResult | PipelineError,
    *,
    max_documents: int = 0,
    cancelled: str | None = None,
    daily: bool = False,
) -> Plan:
    """The run's decisions from the exchange's answer (or the query's failure): ``max_documents`` is
    the settings' cap (the parameters' own wins); ``cancelled`` (the reason) reads nothing."""
    failures: list[Failure] = []
    warnings: list[str] = []
    if isinstance(scraped, PipelineError):  # the query itself failed: the run fails, with its workbook
        failures.append(Failure.of(f"{params.exchange}:query", Stage.QUERY, scraped))
        scraped = ScrapeResult(source=params.exchange)
    warnings += scraped.warnings
    failures += [
        Failure(key=f"{params.exchange}:row", stage=Stage.SCRAPE, error_type="ExchangeResponseError",
                message=f"{why}; row: {raw}")
        for why, raw in scraped.rejected
    ]  # fmt: skip
    announcements = scraped.announcements
    if not announcements and not failures and not daily:  # a daily window with nothing new is a quiet day
        warnings.append(no_match_hint(params))
    choice = choose([a for a in announcements if a.pdf_url], keep_all=params.all_versions)
    wanted = list(choice.kept)
    cap = params.max_documents or max_documents
    if cap and len(wanted) > cap:
        warnings.append(f"{len(wanted)} documents found; only the newest {cap} processed")
        wanted = wanted[:cap]
    failures += [
        Failure(key=a.key, stage=Stage.DOWNLOAD, error_type="", message="no attachment posted yet")
        for a in announcements
        if not a.pdf_url
    ]
    if cancelled is not None:
        stop = RunCancelledError(f"not started: cancelled ({cancelled})")
        failures += [Failure.of(a.key, Stage.DOWNLOAD, stop) for a in wanted]
        wanted = []
    return Plan(
        announcements=tuple(announcements),
        wanted=tuple(wanted),
        skipped={a.key: why for a, why in choice.skipped},
        failures=tuple(failures),
        warnings=tuple(warnings),
        parameters={"rows fetched / reported": f"{scraped.fetched_rows} / {scraped.reported_total}"},
    )
