"""One category vocabulary: what users mean (年报, 首发, 临时公告 …) and each exchange's own codes for it.

cninfo is the reference: its current category codes (its history-notice.js, as akshare's
``stock_disclosure_cninfo`` reads them) are the vocabulary's keys, each with the names users write. A
run's categories are resolved to these keys; each adapter then translates them to its exchange's own
codes, and a category an exchange has no verified equivalent for is **refused** with a message that
says where it can be searched instead, never silently ignored:

* cninfo, A shares (SZSE, SSE, BSE): the key itself;
* cninfo, NEEQ companies (``column=third``): NEEQ's own cninfo categories (定期/临时/中介机构/
  首次信息披露/持续信息披露);
* SZSE's own site: the periodic reports only, in the ``fixed_disc`` channel (010301 年报, 010303
  半年报, 010305 一季报, 010307 三季报 — the ids the SZSE annList scrapers and cninfo's older
  full-text search use);
* SSE's own site: the periodic reports, through the company page's ``queryCompanyBulletin.do`` with
  ``reportType`` YEARLY / QUATER1 / QUATER2 / QUATER3 (RSSHub's sse route and the SSE scrapers send
  these); its announcement query's ``BULLETIN_TYPE`` codes are not verified, so other categories are
  refused;
* BSE's and NEEQ's own sites: none verified here (their ``disclosureType`` codes could not be checked
  against a live answer or a working reference), so a category there is refused: search cninfo, which
  covers BSE and NEEQ companies with every category, or use ``--keyword``.
"""

from __future__ import annotations

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

#: SZSE's own annList: (channel, bigCategoryId) for the periodic reports.
SZSE_CATEGORIES: dict[str, tuple[str, str]] = {
    "category_ndbg_szsh": ("fixed_disc", "010301"),
    "category_bndbg_szsh": ("fixed_disc", "010303"),
    "category_yjdbg_szsh": ("fixed_disc", "010305"),
    "category_sjdbg_szsh": ("fixed_disc", "010307"),
}

#: SSE's company-page periodic-report query (``queryCompanyBulletin.do``): its ``reportType``.
SSE_REPORT_TYPES: dict[str, str] = {
    "category_ndbg_szsh": "YEARLY",
    "category_yjdbg_szsh": "QUATER1",
    "category_bndbg_szsh": "QUATER2",
    "category_sjdbg_szsh": "QUATER3",
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


def check_exchange(exchange: str, categories: list[str]) -> None:
    """Refuse categories that ``exchange``'s own site has no verified code for (ValueError, one line)."""
    if exchange == "cninfo" or not categories:
        return
    known = set(SZSE_CATEGORIES if exchange == "szse" else SSE_REPORT_TYPES if exchange == "sse" else ())
    missing = [name_of(c) for c in categories if c not in known]
    if missing:
        offered = "、".join(name_of(c) for c in known) or "none"
        raise ValueError(
            f"{exchange}'s own site takes no category {'、'.join(missing)} here (verified: {offered}); "
            "search --exchange cninfo (it covers SZSE, SSE and BSE with every category) or use --keyword"
        )
