"""Competitor names from competitor / comparable-company sections (pure).

Finds, page by page, company names in the forms prospectuses use:
* a legal name, optionally followed by its short name and stock code:
  ``江苏太平洋精锻科技股份有限公司（精锻科技，300258）``;
* a short name with a stock code: ``精锻科技（300258.SZ）``;
* a legal or foreign name with a short name: ``德西福格汽车零部件集团（德西福格）``;
* the rows of a competitor table (公司名称 / 企业名称 / 可比公司 column).
Each mention keeps the sentence it was found in and its page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from core.records import CompetitorMention
from extractors.text import join_wrapped, squash

_NAME_CHARS = r"[\u4e00-\u9fffA-Za-z（）()·&\-]"
_SUFFIX = (
    r"(?:股份有限公司|有限责任公司|有限公司|集团股份有限公司|集团公司|集团"
    r"|Inc\.?|Corporation|Corp\.|GmbH|Co\.,?\s?Ltd\.?)"
)
LEGAL_NAME = re.compile(
    rf"(?P<name>{_NAME_CHARS}{{2,30}}?{_SUFFIX})"
    r"(?:[（(](?P<short>[^，,（）()]{2,12}?)(?:[，,、]\s*(?P<code>\d{6})(?:\.(?:SZ|SH|BJ))?)?[）)])?"
)
SHORT_WITH_CODE = re.compile(
    r"(?P<short>[\u4e00-\u9fffA-Za-z*]{2,4})[（(](?:股票代码[:：]?)?(?P<code>\d{6})(?:\.(?:SZ|SH|BJ|HK))?[）)]",
    re.I,
)
_CODE_ONLY = re.compile(r"^(\d{6})(?:\.\w{2})?$")
#: Chinese legal names start with a place; text glued in front of it is cut at the place name.
PLACES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "无锡",
    "常州",
    "宁波",
    "武汉",
    "成都",
    "西安",
    "厦门",
    "青岛",
    "大连",
    "沈阳",
    "长沙",
    "郑州",
    "合肥",
    "芜湖",
    "昆山",
    "佛山",
    "东莞",
    "珠海",
    "温州",
    "绍兴",
    "嘉兴",
    "湖州",
    "桂林",
    "中山",
    "惠州",
    "济南",
    "烟台",
    "南通",
    "扬州",
    "泰州",
    "徐州",
    "台州",
    "金华",
    "绵阳",
    "株洲",
    "洛阳",
    "潍坊",
    "威海",
    "中国",
]
_PLACE = re.compile("|".join(PLACES))
_FUNCTION_CHARS = set("及和与、为是的在品等向由对将把从")
_SUBHEADING_GENERIC = re.compile(
    r"情况|分析|比较|选取|优势|劣势|标准|地位|对比|概况|特点|原因|格局|趋势|市场|行业|产品|业务|技术|基本|简介|数据|指标|说明|其他|可比|专利|商标|资质"
)
_SENTENCE = re.compile(r"[^。；;！!？?\n]*")
#: Words that can precede a name in running text; a match is trimmed after the last of them.
_LEAD = re.compile(
    r"^.*?(?:如下|包括|包含|主要有|分别为|分别是|以及|其中|序号|公司名称|企业名称|公司简介|可比公司|竞争对手|选取|"
    r"成立于|全称|简称|同时|除|向|\d+年度?|[:：、，,；;。\d])"
)
_GENERIC = re.compile(
    r"^(?:本公司|该公司|上市公司|子公司|母公司|全资子公司|控股子公司|分公司|发行人|公司|有限公司|股份有限公司|"
    r"集团|上述公司|其他公司|可比公司|同行业公司|同行业可比公司|同行业上市公司|竞争对手|行业内公司|境外公司)$"
)
_BAD_INSIDE = re.compile(
    r"的|等|与|及其|主要|上述|本次|我国|国内|行业|相关|其他|成立|位于|系|为|是|在|对|和公司|情况|成型|结构件"
)


def _trim(name: str) -> str:
    name = name.strip(" （(）)·-")
    m = _LEAD.match(name)
    while m and m.end() < len(name):
        name = name[m.end() :]
        m = _LEAD.match(name)
    place = _PLACE.search(name)
    if place and place.start() > 0:
        name = name[place.start() :]
    return name.strip(" （(）)·-")


def _plausible(name: str) -> bool:
    core = re.sub(_SUFFIX + "$", "", name)
    return len(name) >= 4 and len(core) >= 2 and not _GENERIC.match(name) and not _BAD_INSIDE.search(core)


_ISSUER_SUFFIX = re.compile(r"(?:股份有限公司|有限公司|股份|集团|科技|电子|电机|智能|创新)+$")


def _is_issuer(name: str, issuer: str | None) -> bool:
    """The issuer, named in full or by its short name: "上海友升铝业股份有限公司" for "友升股份"."""
    if not issuer:
        return False
    a, b = squash(name), squash(issuer)
    core = _ISSUER_SUFFIX.sub("", b)
    return a in b or b in a or (len(core) >= 2 and core in a)


#: Competitor chapters also name customers ("主要客户", "整车厂商特斯拉、广汽集团") and suppliers
#: ("向东风锻造有限公司等采购"). Extraction keeps every name (recall first); the classifier assigns a
#: role, and the offline one uses these cues: the nearest cue to the name wins.
_ROLE_CUES: dict[str, re.Pattern[str]] = {
    "customer": re.compile(r"客户|整车厂|主机厂|配套|认可"),
    "supplier": re.compile(r"供应商|采购|外协"),
    "competitor": re.compile(r"竞争|可比|同行业|同类|排名|行业内|主要企业|选取|市场份额"),
}
CUE_WINDOW = 60


def role_from_cues(text: str, start: int, end: int) -> str:
    """'competitor', 'customer', 'supplier' or 'unknown' for the name at ``text[start:end]``."""

    def distance(pattern: re.Pattern[str]) -> int:
        before = [start - m.end() for m in pattern.finditer(text, max(0, start - CUE_WINDOW), start)]
        after = [m.start() - end for m in pattern.finditer(text, end, end + 12)]
        return min([*before, *after], default=CUE_WINDOW + 1)

    scores = {role: distance(p) for role, p in _ROLE_CUES.items()}
    role, best = min(scores.items(), key=lambda kv: kv[1])
    return role if best <= CUE_WINDOW else "unknown"


def _sentence_at(text: str, pos: int) -> str:
    start = max(text.rfind(ch, 0, pos) for ch in "。；;\n！？") + 1
    ends = [i for i in (text.find(ch, pos) for ch in "。；;\n！？") if i != -1]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()[:300]


def mentions_in_text(
    doc_key: str, page: int, text: str, *, section_title: str | None = None, issuer: str | None = None
) -> list[CompetitorMention]:
    """Company mentions on one page of a competitor section."""
    flat = join_wrapped(text)
    found: list[CompetitorMention] = []
    for m in LEGAL_NAME.finditer(flat):
        name = _trim(m.group("name"))
        if not _plausible(name) or _is_issuer(name, issuer):
            continue
        short, code = m.group("short"), m.group("code")
        code_only = _CODE_ONLY.match(short) if short else None
        if code_only:
            short, code = None, code or code_only.group(1)
        if short and (_BAD_INSIDE.search(short) or short.startswith(("以下简称", "简称"))):
            short = short.replace("以下简称", "").replace("简称", "").strip('“”"：: ') or None
        found.append(
            CompetitorMention(
                doc_key=doc_key,
                name=name,
                page=page,
                context=_sentence_at(flat, m.start()),
                stock_code=code,
                short_name=short,
                section_title=section_title,
            )
        )
    for m in SHORT_WITH_CODE.finditer(flat):
        short = m.group("short")
        while len(short) > 2 and short[0] in _FUNCTION_CHARS:
            short = short[1:]
        if len(short) < 2 or _GENERIC.match(short) or _BAD_INSIDE.search(short) or _is_issuer(short, issuer):
            continue
        found.append(
            CompetitorMention(
                doc_key=doc_key,
                name=short,
                page=page,
                context=_sentence_at(flat, m.start()),
                stock_code=m.group("code"),
                short_name=short,
                section_title=section_title,
            )
        )
    return found


def mentions_from_subheadings(
    doc_key: str, page: int, text: str, *, section_title: str | None = None, issuer: str | None = None
) -> list[CompetitorMention]:
    """Competitor chapters often give each company its own sub-heading: ``（1）GoPro``, ``（2）和胜股份``."""
    from extractors.locate import HEADING, is_competitor_heading

    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = HEADING.match(line.strip())
        if not m or m.group("mark")[0] in "第一二三四五六七八九十":
            continue
        title = m.group("title").strip()
        if (
            len(title) > 16
            or _SUBHEADING_GENERIC.search(title)
            or is_competitor_heading(title)
            or re.search(r"[，。；：:,、%\d]", title)
            or _GENERIC.match(title)
            or _is_issuer(title, issuer)
        ):
            continue
        follow = join_wrapped("\n".join(lines[i + 1 : i + 6]))
        context = _sentence_at(follow, 0) if follow else ""
        # a company paragraph opens with its name or says when it was founded / listed
        if not (title[:2] in follow[:24] or "成立" in context or "上市" in context):
            continue
        out.append(
            CompetitorMention(
                doc_key=doc_key, name=title, page=page, context=context, short_name=title, section_title=section_title
            )
        )
    return out


def competitors_in_section(
    doc_key: str, pages: Sequence[tuple[int, str]], *, section_title: str | None = None, issuer: str | None = None
) -> list[CompetitorMention]:
    """Every competitor named in one located section, one mention per company."""
    found: list[CompetitorMention] = []
    for page, text in pages:
        found += mentions_from_subheadings(doc_key, page, text, section_title=section_title, issuer=issuer)
        found += mentions_in_text(doc_key, page, text, section_title=section_title, issuer=issuer)
    return dedupe_mentions(found)


_NAME_COLUMN = re.compile(r"公司名称|企业名称|竞争对手|可比公司|^公司$|^名称$|公司简称")


def mentions_in_table(
    doc_key: str,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    section_title: str | None = None,
    issuer: str | None = None,
) -> list[CompetitorMention]:
    """Names from the name column of a competitor table (序号 | 公司名称 | 公司简介)."""
    col = next((i for i, h in enumerate(header) if _NAME_COLUMN.search(squash(h))), None)
    if col is None:
        return []
    out = []
    for page, row in rows:
        if col >= len(row) or not squash(row[col]):
            continue
        cell = join_wrapped(row[col])
        if issuer and squash(issuer)[:4] in squash(cell):
            continue
        m = LEGAL_NAME.search(cell)
        code = m.group("code") if m else None
        short = m.group("short") if m else None
        name = _trim(m.group("name")) if m else cell.strip()
        context = " | ".join(join_wrapped(c) for c in row if c)[:300]
        out.append(
            CompetitorMention(
                doc_key=doc_key,
                name=name,
                page=page,
                context=context,
                stock_code=code,
                short_name=short,
                section_title=section_title,
            )
        )
    return out


def dedupe_mentions(mentions: Iterable[CompetitorMention]) -> list[CompetitorMention]:
    """One mention per company: the first, enriched with a stock code or short name seen later.
    A short name already covered by a legal name's ``short_name`` is folded into it."""
    by_name: dict[str, CompetitorMention] = {}
    for m in mentions:
        key = squash(m.name)
        if key in by_name:
            old = by_name[key]
            by_name[key] = old.model_copy(
                update={
                    "stock_code": old.stock_code or m.stock_code,
                    "short_name": old.short_name or m.short_name,
                }
            )
        else:
            by_name[key] = m
    shorts = {squash(m.short_name): k for k, m in by_name.items() if m.short_name and squash(m.short_name) != k}
    for k in list(by_name):
        target = shorts.get(k)
        if target and target in by_name and k != target:
            m = by_name.pop(k)
            old = by_name[target]
            by_name[target] = old.model_copy(update={"stock_code": old.stock_code or m.stock_code})
    return list(by_name.values())
