"""The parameters of a run, validated before anything starts (no Prefect import here).

The CLI, the Prefect UI form (through the flows' signatures) and the Python API all build a
:class:`RunParams`; a bad value is refused with one line that says what is expected.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError
from core.records import Exchange

#: cninfo's current category codes (its history-notice.js, as akshare's stock_disclosure_cninfo reads
#: them) and the names users write for them (年报, 首发, 招股说明书 …).
CATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    "category_ndbg_szsh": ("年报", "年度报告"),
    "category_bndbg_szsh": ("半年报", "半年度报告"),
    "category_yjdbg_szsh": ("一季报", "第一季度报告"),
    "category_sjdbg_szsh": ("三季报", "第三季度报告"),
    "category_yjygjxz_szsh": ("业绩预告", "业绩快报"),
    "category_qyfpxzcs_szsh": ("权益分派",),
    "category_dshgg_szsh": ("董事会",),
    "category_jshgg_szsh": ("监事会",),
    "category_gddh_szsh": ("股东大会", "股东会"),
    "category_rcjy_szsh": ("日常经营",),
    "category_gszl_szsh": ("公司治理",),
    "category_zj_szsh": ("中介报告",),
    "category_sf_szsh": ("首发", "招股说明书", "招股意向书", "招股", "上市公告书", "发行公告", "IPO"),
    "category_zf_szsh": ("增发",),
    "category_gqjl_szsh": ("股权激励",),
    "category_pg_szsh": ("配股",),
    "category_jj_szsh": ("解禁",),
    "category_gszq_szsh": ("公司债",),
    "category_kzzq_szsh": ("可转债",),
    "category_qtrz_szsh": ("其他融资",),
    "category_gqbd_szsh": ("股权变动",),
    "category_bcgz_szsh": ("补充更正", "更正"),
    "category_cqdq_szsh": ("澄清致歉",),
    "category_fxts_szsh": ("风险提示",),
    "category_tbclts_szsh": ("特别处理和退市",),
    "category_tszlq_szsh": ("退市整理期",),
}
#: Codes of the pre-2019 API, still in users' scripts: read as the current code.
LEGACY_CATEGORIES = {"category_scgkfx_szsh": "category_sf_szsh", "category_kzhz_szsh": "category_kzzq_szsh"}
_BY_NAME = {name.lower(): code for code, names in CATEGORY_NAMES.items() for name in names}


def resolve_category(value: str) -> str:
    """A cninfo code, or a name users write for one ('年报' → 'category_ndbg_szsh')."""
    v = value.strip()
    if v in CATEGORY_NAMES:
        return v
    if v in LEGACY_CATEGORIES:
        return LEGACY_CATEGORIES[v]
    if v.lower() in _BY_NAME:
        return _BY_NAME[v.lower()]
    known = "、".join(f"{names[0]}({code})" for code, names in CATEGORY_NAMES.items())
    raise ValueError(f"unknown category {value!r}; use a name or code: {known}")


def parse_date(value: str) -> dt.date:
    """YYYY-MM-DD, or a clear error that shows the format."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"bad date {value!r}: use YYYY-MM-DD, e.g. 2025-09-30") from None


class RunParams(BaseModel):
    """Parameters of an ad-hoc run (also the Prefect UI form)."""

    exchange: Exchange = Field(default="cninfo", description="cninfo (SZSE/SSE/BSE), sse, szse, bse or neeq")
    codes: list[str] = Field(default_factory=list, description="six-digit stock codes, e.g. 001282")
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

    @field_validator("codes")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not re.fullmatch(r"\d{6}", c.strip())]
        if bad:
            raise ValueError(f"stock codes are six digits (e.g. 001282), got {', '.join(map(repr, bad))}")
        return [c.strip() for c in codes]

    @field_validator("categories")
    @classmethod
    def _categories(cls, categories: list[str]) -> list[str]:
        return [resolve_category(c) for c in categories]

    @model_validator(mode="after")
    def _window(self) -> RunParams:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
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
