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
from dataclasses import dataclass

from core.places import PLACE
from core.records import CompetitorMention, CompetitorSource
from extractors.text import join_wrapped, squash

_NAME_CHARS = r"[\u4e00-\u9fffA-Za-z（）()·&\-]"
_SUFFIX = (
    r"(?:股份有限公司|有限责任公司|有限公司|集团股份有限公司|集团公司|集团"
    r"|Inc\.?|Corporation|Corp\.|GmbH|Co\.,?\s?Ltd\.?)"
)
LEGAL_NAME = re.compile(
    rf"(?P<name>{_NAME_CHARS}{{2,30}}?{_SUFFIX})"
    r"(?:[（(](?:(?P<short>[^，,（）()\d][^，,（）()]{1,11}?)(?:[，,、:：]\s*)?)?(?P<code>\d{6})?(?:\.(?:SZ|SH|BJ|HK))?[）)])?",
    re.I,
)
SHORT_WITH_CODE = re.compile(
    r"(?P<short>[\u4e00-\u9fffA-Za-z*]{2,4})[（(](?:股票代码[:：]?)?(?P<code>\d{6})(?:\.(?:SZ|SH|BJ|HK))?[）)]",
    re.I,
)
_CODE_ONLY = re.compile(r"^(\d{6})(?:\.\w{2})?$")

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
    r"的|等|及其|主要|上述|本次|我国|国内|行业|相关|其他|成立|位于|系|为|是|在|对|和公司|情况|成型|结构件"
)


def _ends_clause(text: str, marks: str) -> bool:
    """Whether ``text`` ends, trailing spaces aside, with a line break or one of ``marks``: what
    ``re.search(r"[<marks>\\n]\\s*$", text)`` tells, in time linear in the trailing spaces (that
    search was quadratic on a run of line breaks followed by text)."""
    body = text.rstrip()
    return "\n" in text[len(body) :] or (bool(body) and body[-1] in marks)


def _trim(name: str) -> str:
    name = name.strip(" （(）)·-")
    m = _LEAD.match(name)
    while m and m.end() < len(name):
        name = name[m.end() :]
        m = _LEAD.match(name)
    place = PLACE.search(name)
    if place and place.start() > 0 and name[place.start() - 1] not in "（(":
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


def _sentence_at(text: str, pos: int) -> str:
    start = max(text.rfind(ch, 0, pos) for ch in "。；;\n！？") + 1
    ends = [i for i in (text.find(ch, pos) for ch in "。；;\n！？") if i != -1]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()[:300]


# --- structure: a section as items ---------------------------------------------------------------------

#: What starts a company's description: "XX有限公司成立于…", "XX（简称，代码）该公司主要从事…".
_DESCRIPTION_START = re.compile(
    r"^(?:[（(][^）)]{1,40}[）)])?\s*(?:该公司|公司|成立于|成立与|创建于|创立于|始建于|是|系|为|主要从事|主营|专注于|总部|位于|于\d{4}年|\d{4}年)"
)
#: Sub-headings that label a group of companies rather than name one.
_GROUP_LABEL = re.compile(
    r"竞争对手|竞争企业|厂商|企业|公司简介|简介|其[它他]|国外|国内|境外|境内|同行业|可比|基本情况"
)
#: Enumerations of competitors in running text: "主要竞争对手包括A、B和C", "其它厂商如A、B、C等",
#: "包括发行人、A、B等在内的一批优秀企业" (peers named beside the issuer).
_ENUM_CUE = re.compile(
    r"(?:包括|包含|主要有|分别为|分别是|例如|比如|如(?!下|何|果|有|此|今|期)"
    r"|(?<=竞争对手)(?:主要)?(?:为|是|有)|(?<=可比公司)(?:主要)?(?:为|是|有)|(?<=主要企业)(?:为|是|有))[:：]?"
)
#: An enumeration names companies when a company noun leads up to its cue ('其它厂商如', '可比公司包括')
#: and no product noun stands between them ('主要产品包括', '业务领域包括' list products).
_COMPANY_NOUN = re.compile(r"厂商|厂家|企业|公司|竞争对手|对手|品牌|制造商|供应商|分销商|服务商|集团|参与者")
_PRODUCT_NOUN = re.compile(r"产品|业务|领域|技术|系列|器件|设备|应用|材料|服务(?!商)|项目|市场|客户|型号|类别|方面")
_ENUM_SPLIT = re.compile(r"、|，(?=[^，]{1,30}(?:、|等|$))|以及|及|和|与(?=[^、]{1,20}(?:等|$))")
#: The header line of a flattened company table: '公司名称 所在区域 设立时间 …'.
_TABLE_HEADER = re.compile(
    r"(?:公司名称|企业名称|公司简称).{0,30}(?:区域|地区|时间|资本|业务|产品|简介|情况|收入|模式|特点)"
)
_SEQ_LINE = re.compile(r"^(?P<seq>\d{1,3})(?:\s+(?P<rest>\S.*))?$")
_BRACKETS = re.compile(r"^(?P<name>.{2,40}?)\s*[（(](?P<inner>[^（()）]{1,40})[）)]\s*$")
_CODE = re.compile(r"(\d{6})(?:\.(?:SZ|SH|BJ|HK))?", re.I)


@dataclass(frozen=True)
class Item:
    """One company's entry in a competitor section: a sub-heading, a numbered row, or the intro."""

    kind: str  # "heading" | "seq" | "intro"
    title: str | None
    page: int
    body: tuple[tuple[int, str], ...]

    @property
    def text(self) -> str:
        return join_wrapped("\n".join(line for _, line in self.body))


def section_lines(pages: Sequence[tuple[int, str]], section_title: str | None) -> list[tuple[int, str]]:
    """The section's own lines: from its heading (when found) to the next heading of the same or a
    higher level that is not another competitor heading (the end of the chapter)."""
    from extractors.locate import HEADING, heading_level, is_competitor_heading

    lines = [(page, ln.strip()) for page, text in pages for ln in text.splitlines() if ln.strip()]
    start, level = 0, None
    if section_title:
        key = squash(section_title)
        for i, (_, ln) in enumerate(lines):
            m = HEADING.match(ln)
            if m and squash(m.group("title")).startswith(key[:12]):
                start, level = i, heading_level(m.group("mark"))
                break
    out = []
    for page, ln in lines[start + 1 if level is not None else 0 :]:
        m = HEADING.match(ln)
        ends = m is not None and level is not None and heading_level(m.group("mark")) <= level
        if ends and m is not None and not is_competitor_heading(m.group("title")):
            break
        out.append((page, ln))
    return out


def split_items(lines: Sequence[tuple[int, str]]) -> list[Item]:
    """Items by their start: a sub-heading (（1）GoPro, 1、欧司朗), or a row number alone or leading
    a row (1 / 1 中电港 433.03 …) as flattened tables print them; text before the first is the intro."""
    from extractors.locate import HEADING

    items: list[Item] = []
    kind, title, page, body = "intro", None, lines[0][0] if lines else 0, []  # type: ignore[var-annotated]
    for pg, ln in lines:
        m = HEADING.match(ln)
        seq = _SEQ_LINE.match(ln)
        if _TABLE_HEADER.search(ln) and not re.search(r"[，。；]", ln):
            items.append(Item(kind, title, page, tuple(body)))
            kind, title, page, body = "intro", None, pg, []
        elif (m and not m.group("mark")[0].isdigit()) or (m and re.match(r"\d{1,2}[、．.]", m.group("mark"))):
            items.append(Item(kind, title, page, tuple(body)))
            kind, title, page, body = "heading", m.group("title").strip(), pg, []
        elif seq and not re.match(r"^\d{1,3}\s+(?:\d|[%％])", ln):
            items.append(Item(kind, title, page, tuple(body)))
            kind, title, page, body = "seq", None, pg, [(pg, seq.group("rest"))] if seq.group("rest") else []
        else:
            body.append((pg, ln))
    items.append(Item(kind, title, page, tuple(body)))
    return [i for i in items if i.title or i.body]


def _split_name(text: str) -> tuple[str, str | None, str | None]:
    """'美国电力转换集团（APC 公司）' → ('美国电力转换集团', 'APC 公司', None);
    '精锻科技（300258.SZ）' → ('精锻科技', None, '300258'); '鸣志电器（603728.SH）' likewise."""
    text = text.strip()
    m = _BRACKETS.match(text)
    if not m:
        return text, None, None
    name, inner = m.group("name").strip(), m.group("inner").strip()
    code = _CODE.search(inner)
    short = re.sub(r"(?:股票代码[:：]?)?\d{6}(?:\.\w{2})?|[，,:：、]", " ", inner).strip() or None
    if short and short.startswith(("以下简称", "简称")):
        short = short.replace("以下简称", "").replace("简称", "").strip('“”"：: ') or None
    return name, short, code.group(1) if code else None


def _name_like(title: str) -> bool:
    """A sub-heading that names one company or brand: a legal name ('（1）深圳市汇川技术股份有限公司'),
    or a short one with no sentence punctuation and no generic word ('（2）GoPro', '1、欧司朗')."""
    flat = squash(title)
    if LEGAL_NAME.fullmatch(flat) and not _GENERIC.match(flat) and not re.search(r"[，。；：:]", title):
        return True
    return (
        2 <= len(flat) <= 40
        and not re.search(r"[，。；：:,;！？%]", title)
        and not _SUBHEADING_GENERIC.search(re.sub(r"[（(][^）)]*[）)]", "", title))
        and not _GROUP_LABEL.search(re.sub(r"[（(][^）)]*[）)]", "", title))
        and not _GENERIC.match(flat)
    )


def _heading_name(title: str) -> str | None:
    """The company a sub-heading names: the whole title, or the part before a colon
    ('安川电机：全球领先的伺服厂商' → '安川电机')."""
    if _name_like(title):
        return title
    head = re.split(r"[：:]", title, maxsplit=1)[0].strip()
    return head if head != title and len(squash(head)) <= 20 and _name_like(head) else None


def _full_name_in(body: str, short: str) -> str | None:
    """The legal name that opens a description and contains the short name's characters in order:
    '江西联创光电科技股份有限公司创建于…' for 联创光电, '欧司朗光学半导体公司是…' for 欧司朗."""
    m = _OPENING_NAME.match(body)
    if not m:
        return None
    name = m.group("name")
    it = iter(name)
    return name if all(ch in it for ch in squash(short)) and name != short else None


_OPENING_NAME = re.compile(rf"^(?P<name>[^，。；、\s]{{2,40}}?(?:{_SUFFIX}|公司))")


def _subjects(text: str) -> list[re.Match[str]]:
    """Legal names that open a description ('XX有限公司（简称，代码）该公司…', '…成立于…') at the start of
    the text or of a sentence; names inside another company's description (its shareholders,
    customers, subsidiaries) are never at such a place."""
    out = []
    for m in LEGAL_NAME.finditer(text):
        before = text[: m.start()]
        if before.strip() and not _ends_clause(before, "。；;") and not _ROW_LEAD.fullmatch(before.strip()):
            continue
        if _DESCRIPTION_START.match(text[m.end() :]):
            out.append(m)
    return out


#: What may precede a company name at the start of a flattened table row: a category cell.
_ROW_LEAD = re.compile(r"[\u4e00-\u9fff]{0,8}")


def _enumerated(text: str, *, need_cue: bool, issuer: str | None = None) -> list[str]:
    """Names in an enumeration 'A、B、C等' after a cue word (包括, 如 …) that follows a company noun,
    or that names the issuer among them ('包括发行人、华强电子网、立创商城等在内的一批优秀企业')."""
    out: list[str] = []
    for m in _ENUM_CUE.finditer(text):
        lead = text[max(0, m.start() - 14) : m.start()]
        nouns = list(_COMPANY_NOUN.finditer(lead))
        noun = nouns[-1] if nouns else None
        tail = text[m.end() :]
        stop = re.search(r"等|。|；|;|\n", tail)
        if stop is None:
            continue
        chunk = tail[: stop.start()]
        parts = [p.strip(' “”"') for p in _ENUM_SPLIT.split(chunk) if p and p.strip()]
        peers = [p for p in parts if re.fullmatch(r"发行人|本公司|公司", squash(p)) or _is_issuer(p, issuer)]
        company_cue = noun is not None and not _PRODUCT_NOUN.search(lead[noun.end() :])
        if len(parts) < 2 or not (company_cue or peers or not need_cue) or _PRODUCT_NOUN.search(lead[-4:]):
            continue
        named = all(LEGAL_NAME.fullmatch(p) or _CODE.search(p) or re.search(r"公司$|集团$", p) for p in parts)
        if need_cue and stop.group(0) != "等" and not named:
            continue  # 'A和B两种服务形式': an open list of companies ends with 等
        if all(2 <= len(squash(p)) <= 40 and not re.search(r"[，。%]|\d{3,}(?![)）])", p) for p in parts):
            out += [p for p in parts if p not in peers]
    return out


def _mention(
    doc_key: str,
    name: str,
    page: int,
    context: str,
    source: CompetitorSource,
    section_title: str | None,
    short: str | None = None,
    code: str | None = None,
) -> CompetitorMention:
    return CompetitorMention(
        doc_key=doc_key,
        name=name,
        page=page,
        context=context[:300],
        stock_code=code,
        short_name=short,
        section_title=section_title,
        source=source,
    )


def competitors_in_section(
    doc_key: str, pages: Sequence[tuple[int, str]], *, section_title: str | None = None, issuer: str | None = None
) -> list[CompetitorMention]:
    """Every competitor a located section names, one mention per company, structure first:

    * sub-headings that name a company ('（1）GoPro', '1、欧司朗'), with the full legal name that
      opens the description below ('江西联创光电科技股份有限公司创建于…');
    * numbered rows of flattened tables ('1 中电港 …', '1 / 江苏太平洋精锻科技股份有限公司（精锻科技，
      300258）'): the company that opens the row;
    * legal names that open a description anywhere in the section (table rows without a number);
    * enumerations after a cue ('其它厂商如A、B、C等', '可比公司包括A、B、C').
    Companies named inside another company's description are not competitors."""
    out: list[CompetitorMention] = []
    lines = section_lines(pages, section_title)
    for item in split_items(lines):
        text = item.text
        found: list[CompetitorMention] = []
        title = _heading_name(item.title) if item.kind == "heading" and item.title else None
        if title:
            name, short, code = _split_name(title)
            full = _full_name_in(text, name)
            found.append(
                _mention(
                    doc_key,
                    full or name,
                    item.page,
                    _sentence_at(text, 0),
                    "heading",
                    section_title,
                    short=name if full else short,
                    code=code,
                )
            )
        elif item.kind == "seq" and text:
            m = LEGAL_NAME.match(text) or SHORT_WITH_CODE.match(text)
            if m:
                name = _trim(m.group("name")) if "name" in m.groupdict() and m.group("name") else m.group("short")
                found.append(
                    _mention(
                        doc_key,
                        name,
                        item.page,
                        _sentence_at(text, 0),
                        "list",
                        section_title,
                        short=m.group("short"),
                        code=m.group("code"),
                    )
                )
            else:
                first = re.split(r"\s+", item.body[0][1].strip())[0]
                if re.fullmatch(r"[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z&·\-]{1,19}", first) and not _GENERIC.match(
                    first
                ):
                    found.append(_mention(doc_key, first, item.page, _sentence_at(text, 0), "list", section_title))
        for m in _subjects(text):
            name = _trim(m.group("name"))
            if _plausible(name):
                found.append(
                    _mention(
                        doc_key,
                        name,
                        item.page,
                        _sentence_at(text, m.start()),
                        "prose",
                        section_title,
                        short=m.group("short"),
                        code=m.group("code"),
                    )
                )
        for m in SHORT_WITH_CODE.finditer(text):
            at_start = not text[: m.start()].strip() or _ends_clause(text[: m.start()], "。；;、，")
            if at_start:
                short = m.group("short")
                while len(short) > 2 and short[0] in _FUNCTION_CHARS:
                    short = short[1:]
                found.append(
                    _mention(
                        doc_key,
                        short,
                        item.page,
                        _sentence_at(text, m.start()),
                        "prose",
                        section_title,
                        short=short,
                        code=m.group("code"),
                    )
                )
        group = item.kind == "heading" and item.title and not title
        for part in _enumerated(text, need_cue=not group, issuer=issuer):
            name, short, code = _split_name(part)
            found.append(
                _mention(
                    doc_key,
                    name,
                    item.page,
                    _sentence_at(text, text.find(part)),
                    "prose",
                    section_title,
                    short=short,
                    code=code,
                )
            )
        out += [m for m in found if _keep(m, issuer)]
    return dedupe_mentions(out)


def _keep(m: CompetitorMention, issuer: str | None) -> bool:
    flat = squash(m.name)
    if not flat or _GENERIC.match(flat) or _is_issuer(m.name, issuer) or flat in ("发行人", "本公司", "公司"):
        return False
    if re.search(r"发行人|本公司|我公司", flat):
        return False
    return not (len(flat) > 40 or re.search(r"[，。；%]|\d{4}年", m.name))


_NAME_COLUMN = re.compile(r"公司名称|企业名称|竞争对手|可比公司|^公司$|^名称$|公司简称|厂商名称|品牌")


def mentions_in_table(
    doc_key: str,
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    *,
    section_title: str | None = None,
    issuer: str | None = None,
) -> list[CompetitorMention]:
    """Names from the name column of a competitor table (序号 | 公司名称 | 公司简介): the cell is the
    name as printed; a bracket gives the short name or code ('科莱克特（Kolektor）')."""
    col = next((i for i, h in enumerate(header) if _NAME_COLUMN.search(squash(h))), None)
    if col is None:
        return []
    out = []
    for page, row in rows:
        if col >= len(row) or not squash(row[col]):
            continue
        context = " | ".join(join_wrapped(c) for c in row if c)[:300]
        # one cell may list several companies: '精锻科技、天润工业、西仪股份'
        for cell in [c for c in re.split(r"[、；;]", join_wrapped(row[col])) if c.strip()]:
            if _is_issuer(cell, issuer) or re.search(r"发行人|本公司", cell):
                continue
            m = LEGAL_NAME.fullmatch(cell)
            if m:
                name, short, code = _trim(m.group("name")), m.group("short"), m.group("code")
            else:
                name, short, code = _split_name(cell)
            mention = _mention(doc_key, name, page, context, "table", section_title, short=short, code=code)
            if _keep(mention, issuer):
                out.append(mention)
    return out


def _merge(keep: CompetitorMention, other: CompetitorMention) -> CompetitorMention:
    short = keep.short_name or (other.name if squash(other.name) != squash(keep.name) else other.short_name)
    return keep.model_copy(update={"stock_code": keep.stock_code or other.stock_code, "short_name": short})


def _is_legal(name: str) -> bool:
    return bool(re.search(rf"{_SUFFIX}$|公司$", name))


def dedupe_mentions(mentions: Iterable[CompetitorMention]) -> list[CompetitorMention]:
    """One mention per company, the first kept and enriched from the others:

    1. the same name;
    2. the same stock code (精锻科技（300258） and 江苏太平洋精锻科技股份有限公司（…，300258））;
    3. a short name that is another mention's short name, or the longest short name contained in a
       legal name ('华强电子网' in '深圳华强电子网集团股份有限公司'; '深圳华强', a different company
       the same table ranks, stays apart);
    4. a name cut by a wrapped table cell ('精锻' for '精锻科技')."""
    by_name: dict[str, CompetitorMention] = {}
    for m in mentions:
        key = squash(m.name)
        by_name[key] = _merge(by_name[key], m) if key in by_name else m
    by_code: dict[str, str] = {}
    for k in list(by_name):
        code = by_name[k].stock_code
        if not code:
            continue
        if code in by_code and by_code[code] in by_name:
            first = by_code[code]
            a, b = by_name[first], by_name.pop(k)
            keep, other = (a, b) if _is_legal(a.name) or not _is_legal(b.name) else (b, a)
            by_name.pop(first)
            by_name[squash(keep.name)] = _merge(keep, other)
            by_code[code] = squash(keep.name)
        else:
            by_code[code] = k
    shorts = {squash(m.short_name): k for k, m in by_name.items() if m.short_name and squash(m.short_name) != k}
    for k in list(by_name):
        target = shorts.get(k)
        if target and target in by_name and k != target:
            by_name[target] = _merge(by_name[target], by_name.pop(k))
    for k, full in list(by_name.items()):
        if k not in by_name or not _is_legal(full.name) or full.short_name:
            continue
        inside = [s for s, m in by_name.items() if s != k and not _is_legal(m.name) and len(s) >= 3 and s in k]
        if inside:
            best = max(inside, key=len)
            by_name[k] = _merge(full, by_name.pop(best))
    for k in list(by_name):
        m = by_name[k]
        if m.source == "list" and any(
            o is not m and o.short_name and squash(o.short_name).startswith(k) and squash(o.short_name) != k
            for o in by_name.values()
        ):
            del by_name[k]
    return list(by_name.values())
