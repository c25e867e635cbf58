"""The parameters of a run, validated before anything starts (no Prefect import here).

The CLI, the Prefect UI form (through the ad-hoc flow's signature, which is these fields) and the
Python API all build a :class:`RunParams`; a bad value or an unknown name is refused with one line
that says what is expected.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.categories import (
    EXCHANGE_MARKETS,
    Market,
    check_exchange,
    check_market,
    resolve_category,
    resolve_market,
)
from core.errors import ConfigError
from core.records import Exchange


def parse_date(value: str) -> dt.date:
    """YYYY-MM-DD, or a clear error that shows the format."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"bad date {value!r}: use YYYY-MM-DD, e.g. 2025-09-30") from None


#: the longest first window a daily run may ask for (the CLI's --lookback-days takes the same bound)
MAX_LOOKBACK_DAYS = 20_000


def check_daily_window(today: dt.date | None, lookback_days: int, now: dt.date) -> dt.date:
    """The daily window's last day, checked as the CLI checks its flags (the served deployment's form
    and API take the same parameters): not after today in Beijing, and a lookback of 1 to 20,000
    days. A :class:`ConfigError` says what is expected."""
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise ConfigError(f"lookback_days: 1 to {MAX_LOOKBACK_DAYS} days, got {lookback_days}")
    if today is not None and today > now + dt.timedelta(days=1):
        raise ConfigError(f"today: {today} is after today in Beijing ({now}); a daily window cannot end in the future")
    return today or now


class RunParams(BaseModel):
    """Parameters of a run, validated once where the run is asked for: the CLI builds it from its flags
    (their ``dest`` are these names), the ad-hoc flow's signature is these fields (the Prefect UI form),
    the Python API's ``run(**kw)`` takes them, and the daily flow builds one for its window. An
    unknown name is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")

    exchange: Exchange = Field(
        default="cninfo",
        description="where to search: cninfo (SZSE, SSE, BSE and NEEQ) or an exchange's own site "
        "(the exchanges registered in scrapers/registry.py)",
    )
    codes: list[str] = Field(default_factory=list, description="six-digit stock codes, e.g. 001282")
    market: Market | None = Field(
        default=None,
        description="market of a search without codes, on cninfo: 沪深 (sh-sz), 京 (bj), 三板 (neeq) or all; "
        "empty = 沪深京 (cninfo's default column); codes imply their market",
    )
    keyword: str | None = Field(default=None, description="must appear in the title, e.g. 招股说明书")
    categories: list[str] = Field(
        default_factory=list, description="names or cninfo codes: 年报, 半年报, 首发, category_ndbg_szsh …"
    )
    start: dt.date | None = Field(default=None, description="first publication date, YYYY-MM-DD (Beijing)")
    end: dt.date | None = Field(default=None, description="last publication date, YYYY-MM-DD (Beijing)")
    max_documents: int | None = Field(default=None, ge=1, description="cap on documents downloaded and processed")
    llm: bool = Field(default=True, description="use the configured model; off = the labelled offline backend")
    all_versions: bool = Field(
        default=False,
        description="keep every prospectus version, summary and notice; off = per company only the latest "
        "full prospectus is read and the rest are listed with the reason",
    )
    tables: list[str] = Field(
        default_factory=list, description="table recipes to extract, e.g. 关联交易, 前五名客户 (see --list-tables)"
    )
    llm_batch: bool = Field(
        default=False,
        description="ask the model through the OpenAI Batch API after the extractions (half the price, no rate "
        "limit to stall on; endpoints without batches are asked online)",
    )
    companies: list[str] = Field(
        default_factory=list,
        description="companies by short name, full or former name, or pinyin initials, e.g. 三联锻造; resolved to "
        "codes (added to codes) when the run starts",
    )

    @field_validator("codes")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not re.fullmatch(r"[0-9]{6}", c.strip())]
        if bad:
            raise ValueError(f"stock codes are six digits (e.g. 001282), got {', '.join(map(repr, bad))}")
        return [c.strip() for c in codes]

    @field_validator("market", mode="before")
    @classmethod
    def _market(cls, market: object) -> object:
        return resolve_market(market) if isinstance(market, str) and market.strip() else (market or None)

    @field_validator("categories")
    @classmethod
    def _categories(cls, categories: list[str]) -> list[str]:
        return [resolve_category(c) for c in categories]

    @model_validator(mode="after")
    def _window(self) -> RunParams:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        check_exchange(self.exchange, self.categories)
        own = EXCHANGE_MARKETS.get(self.exchange)  # the market its adapter registered (bse → bj)
        if self.market and self.exchange != "cninfo" and self.market != own:
            raise ValueError(f"--market {self.market} is not {self.exchange}'s market; search --exchange cninfo")
        if self.exchange == "cninfo" and not self.codes:
            check_market(self.market, self.categories)
        return self

    @classmethod
    def checked(cls, **values: object) -> RunParams:
        """Validate, turning pydantic's report into one line per problem (a :class:`ConfigError`)."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            lines = [
                f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            ]
            raise ConfigError("; ".join(lines)) from None
