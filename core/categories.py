"""One category vocabulary: what users mean (年报, 首发, 临时公告 …) and each exchange's own codes for it.

cninfo is the reference: its current category codes (its history-notice.js, as akshare's
``stock_disclosure_cninfo`` reads them) are the vocabulary's keys, each with the names users write. A
run's categories are resolved to these keys; each adapter then translates them to its exchange's own
codes, and a category an exchange has no verified equivalent for is **refused** with a message that
says where it can be searched instead, never silently ignored:

* cninfo, A shares (SZSE, SSE, BSE): the key itself;
* cninfo, NEEQ companies (``column=third``): NEEQ's own cninfo categories (定期/临时/中介机构/
  首次信息披露/持续信息披露);
* each exchange's own site: the codes its adapter registers (:func:`register_exchange`, called by
  scrapers/<exchange>.py — the adapter is the exchange's one home: its codes, URLs and request shape).
  SZSE and SSE register the periodic reports, BSE registers 首发 (its IPO zone, ``disclosureTypes[]=9533``);
  anything else is refused with a pointer to cninfo, never silently ignored.

A search without stock codes names its **market** (:data:`Market`): cninfo's ``column``/``plate`` for
沪深京, BSE or NEEQ (三板), whose companies have their own category set on cninfo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from core.errors import ConfigError

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
    if v in NEEQ_CATEGORY_NAMES:
        return v
    if v.lower() in _BY_NAME:
        return _BY_NAME[v.lower()]
    known = "、".join(f"{names[0]}({code})" for code, names in CATEGORY_NAMES.items())
    raise ValueError(f"unknown category {value!r}; use a name or code: {known}")


#: NEEQ companies on cninfo (``column=third``) have their own categories.
NEEQ_CATEGORY_NAMES: dict[str, tuple[str, ...]] = {
    "category_dqgg": ("定期报告", "定期公告"),
    "category_lsgg": ("临时公告",),
    "category_zjjg": ("中介机构公告", "中介机构"),
    "category_scpl": ("首次信息披露", "公开转让说明书"),
    "category_cxpl": ("持续信息披露",),
}
_BY_NAME.update({name.lower(): code for code, names in NEEQ_CATEGORY_NAMES.items() for name in names})

#: A-share category → the NEEQ category that holds it (periodic reports are 定期, the rest 临时).
NEEQ_EQUIVALENT: dict[str, str] = {
    **{
        c: "category_dqgg"
        for c in ("category_ndbg_szsh", "category_bndbg_szsh", "category_yjdbg_szsh", "category_sjdbg_szsh")
    },
    "category_zj_szsh": "category_zjjg",
    "category_sf_szsh": "category_scpl",
    **{
        c: "category_lsgg"
        for c in (
            "category_yjygjxz_szsh",
            "category_qyfpxzcs_szsh",
            "category_dshgg_szsh",
            "category_jshgg_szsh",
            "category_gddh_szsh",
            "category_rcjy_szsh",
            "category_gszl_szsh",
            "category_zf_szsh",
            "category_gqjl_szsh",
            "category_gqbd_szsh",
            "category_bcgz_szsh",
            "category_cqdq_szsh",
            "category_fxts_szsh",
        )
    },
}

#: The daily flow's categories per exchange when none are given: new prospectuses on cninfo; on an
#: exchange's own site, where 首发 has no verified code, every announcement of the window.
DAILY_DEFAULT: dict[str, tuple[str, ...]] = {"cninfo": ("category_sf_szsh",)}


def name_of(code: str) -> str:
    """The usual Chinese name of a category code ('category_ndbg_szsh' → '年报'); the code if unknown."""
    names = CATEGORY_NAMES.get(code) or NEEQ_CATEGORY_NAMES.get(code)
    return names[0] if names else code


def neeq_categories(categories: list[str] | tuple[str, ...]) -> list[str]:
    """The NEEQ cninfo categories for a query's categories (refused when one has no NEEQ equivalent)."""
    out: list[str] = []
    missing = []
    for c in categories:
        code = c if c in NEEQ_CATEGORY_NAMES else NEEQ_EQUIVALENT.get(c)
        if code is None:
            missing.append(name_of(c))
        elif code not in out:
            out.append(code)
    if missing:
        raise ConfigError(
            f"NEEQ companies have no category {'、'.join(missing)} on cninfo; use "
            f"{'、'.join(n[0] for n in NEEQ_CATEGORY_NAMES.values())}"
        )
    return out


#: Each exchange's own codes for the vocabulary's categories, registered by its adapter module
#: (scrapers/<exchange>.py calls :func:`register_exchange`): the exchange's one home. cninfo takes the
#: vocabulary itself.
EXCHANGE_CATEGORIES: dict[str, Mapping[str, object]] = {}
#: exchange → the cninfo market its own site covers (bse → bj); absent: no one market (cninfo, a toy)
EXCHANGE_MARKETS: dict[str, str] = {}
#: The exchanges a run can search, in registration order: filled by ``scrapers.registry.register``
#: (the one line that adds an exchange), so this is the same set as the registry's adapters. core
#: never imports scrapers: a process that has not imported ``scrapers.registry`` knows none.
REGISTERED: dict[str, None] = {}


def register_exchange(exchange: str, categories: Mapping[str, object], *, market: str | None = None) -> None:
    """Record the categories ``exchange``'s own site has verified codes for (vocabulary key → its code)
    and the cninfo market that site covers (called by the adapter module when it is imported)."""
    check_exchange_name(exchange)
    EXCHANGE_CATEGORIES[exchange] = categories
    if market is not None:
        EXCHANGE_MARKETS[exchange] = resolve_market(market)


def add_exchange(exchange: str) -> None:
    """Make ``exchange`` one a run may name (``scrapers.registry.register`` calls it with the adapter)."""
    REGISTERED[check_exchange_name(exchange)] = None


def drop_exchange(exchange: str) -> None:
    """Forget ``exchange``: a run may no longer name it (records already scraped from it still load:
    see :func:`check_exchange_name`)."""
    REGISTERED.pop(exchange, None)


def registered_exchanges() -> tuple[str, ...]:
    return tuple(REGISTERED)


#: an exchange's name: lower-case ASCII, short, no ':' (it begins every Announcement.key, "cninfo:…")
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def check_exchange_name(name: str) -> str:
    """A well-formed exchange name (ValueError otherwise). What a stored record's ``source`` must be:
    a record scraped from an exchange that is no longer registered still loads."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"exchange name {name[:40]!r}: lower-case letters, digits, '_' or '-', e.g. cninfo")
    return name


def check_registered_exchange(name: str) -> str:
    """A registered exchange (ValueError naming the registered ones otherwise): what a run may search."""
    if name not in REGISTERED:
        if not REGISTERED:
            raise ValueError(f"unknown exchange {name[:40]!r}: no exchange is registered (import scrapers.registry)")
        raise ValueError(f"unknown exchange {name[:40]!r}; choose one of {', '.join(REGISTERED)}")
    return name


def check_exchange(exchange: str, categories: list[str]) -> None:
    """Refuse categories that ``exchange``'s own site has no verified code for (ValueError, one line).
    An exchange whose module registered no codes is checked by its adapter itself when it runs."""
    if exchange == "cninfo" or not categories or exchange not in EXCHANGE_CATEGORIES:
        return
    known = EXCHANGE_CATEGORIES[exchange]
    missing = [name_of(c) for c in categories if c not in known]
    if missing:
        offered = "、".join(name_of(c) for c in known) or "none"
        raise ValueError(
            f"{exchange}'s own site takes no category {'、'.join(missing)} here (verified: {offered}); "
            "search --exchange cninfo (it covers SZSE, SSE, BSE and, with --market 三板, NEEQ) or use --keyword"
        )


# --- markets of a code-less cninfo search -----------------------------------------------------------

#: The markets a search without stock codes covers on cninfo. Each maps to cninfo's ``column`` and
#: ``plate`` form values: akshare's stock_disclosure_cninfo (akfamily/akshare,
#: akshare/stock_feature/stock_disclosure_cninfo.py) sends ``column=szse`` for 沪深京 and
#: ``column=third`` for 三板, ``plate`` empty; a BSE-only search sends ``column=bj``, ``plate=bj``, as
#: BSE crawlers of cninfo do. ``all`` searches 沪深京 and 三板 one after the other.
Market = Literal["sh-sz", "bj", "neeq", "all"]
MARKET_NAMES: dict[str, tuple[str, ...]] = {
    "sh-sz": ("沪深", "sh-sz", "shsz", "sz-sh", "a"),
    "bj": ("京", "北交所", "北京", "bj", "bse"),
    "neeq": ("三板", "新三板", "neeq", "third"),
    "all": ("all", "全部"),
}
_MARKET_BY_NAME = {n.lower(): m for m, names in MARKET_NAMES.items() for n in names}
#: market → the (column, plate) pairs its search sends, in order
MARKET_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "sh-sz": (("szse", ""),),
    "bj": (("bj", "bj"),),
    "neeq": (("third", ""),),
    "all": (("szse", ""), ("third", "")),
}


def resolve_market(value: str) -> Market:
    """'三板' / 'neeq' → 'neeq' (ValueError naming the choices otherwise)."""
    m = _MARKET_BY_NAME.get(value.strip().lower())
    if m is None:
        choices = ", ".join(f"{names[0]}|{m}" for m, names in MARKET_NAMES.items())
        raise ValueError(f"unknown market {value!r}; choose one of {choices}")
    return m  # type: ignore[return-value]


def market_categories(column: str, categories: list[str] | tuple[str, ...]) -> list[str]:
    """The categories a cninfo query in ``column`` sends for the run's categories: NEEQ's own set in
    ``third`` (an A-share category is translated, ConfigError when it has no NEEQ equivalent); in the
    A-share columns a NEEQ-only category is refused."""
    if column == "third":
        return neeq_categories(categories)
    neeq_only = [name_of(c) for c in categories if c in NEEQ_CATEGORY_NAMES]
    if neeq_only:
        raise ConfigError(
            f"{'、'.join(neeq_only)} is a NEEQ (三板) category; add --market 三板, or use "
            f"{'、'.join(n[0] for n in list(CATEGORY_NAMES.values())[:6])} … for 沪深京"
        )
    return list(categories)


def check_market(market: str | None, categories: list[str]) -> None:
    """Refuse, before anything runs, categories the market's cninfo columns do not have (ValueError)."""
    columns = MARKET_COLUMNS[market] if market else (("szse", ""),)
    for column, _ in columns:
        try:
            market_categories(column, categories)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
