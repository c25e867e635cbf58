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

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.places import PLACE
from core.records import CompetitorMention, CompetitorRole, CompetitorSource
from extractors.companies import (
    has_legal_suffix,
    is_fragment,
    is_phrase,
    looks_like_company,
    same_firm,
    strip_qualifier,
)
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
    while m and m.end() < len(name) and not is_fragment(name[m.end() :]):
        # a lead word may sit inside a name (向 in 浙江长城换向器有限公司): never cut down to a fragment
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
    r"|(?<=竞争对手)(?:主要)?(?:为|是|有)|(?<=竞争者)(?:主要)?(?:为|是|有)|(?<=可比公司)(?:主要)?(?:为|是|有)"
    r"|(?<=主要企业)(?:为|是|有)|(?<=企业|厂商|厂家|公司|对手)(?:主要)?(?:有|为|是)?(?=[:：])|(?<=竞争者)(?=[:：])"
    # the firms left unsaid after a prominence phrase: '目前国际市场知名度较高的有德国的Conergy、…' (read under a
    # sub-heading that labels a group of competitors, where the noun is the heading's)
    r"|(?:(?<=较高的|较大的|较强的|知名的|著名的|领先的|主要的)|(?<=代表性的))有)[:：]?"
)
#: An enumeration names companies when a company noun leads up to its cue ('其它厂商如', '可比公司包括')
#: and no product noun stands between them ('主要产品包括', '业务领域包括' list products).
#: (品牌 is not one: a brand list names products as often as firms — '我国本土品牌主要有…', '拥有金徽、陇南春两大品牌')
_COMPANY_NOUN = re.compile(r"厂商|厂家|企业|公司|竞争对手|对手|制造商|供应商|分销商|服务商|集团|参与者")
_PRODUCT_NOUN = re.compile(r"产品|业务|领域|技术|系列|器件|设备|应用|材料|服务(?!商)|项目|市场|客户|型号|类别|方面")
_ENUM_SPLIT = re.compile(r"、|，(?=[^，]{1,30}(?:、|等|$))|以及|及|和|与(?=[^、]{1,20}(?:等|$))")
#: The header line of a flattened company table: '公司名称 所在区域 设立时间 …'.
_TABLE_HEADER = re.compile(
    r"(?:公司名称|企业名称|公司简称).{0,30}(?:区域|地区|时间|资本|业务|产品|简介|情况|收入|模式|特点)"
)
_SEQ_LINE = re.compile(r"^(?P<seq>\d{1,3})(?:\s+(?P<rest>\S.*))?$")
_BRACKETS = re.compile(r"^(?P<name>.{2,60}?)\s*[（(](?P<inner>[^（()）]{1,40})[）)]\s*$")
_CODE = re.compile(r"(\d{6})(?:\.(?:SZ|SH|BJ|HK))?", re.I)


def _page_of(item: Item, name: str) -> int:
    """The page of the item's line that prints ``name`` (its first characters: a name may wrap onto the
    next line); the item's first page when no line does ('（1）国内竞争' on p83, its sentence on p84)."""
    key = squash(name)[:4]
    return next((page for page, line in item.body if key and key in squash(line)), item.page)


@dataclass(frozen=True)
class Item:
    """One company's entry in a competitor section: a sub-heading, a numbered row, or the intro."""

    kind: str  # "heading" | "seq" | "intro" | "table" (a company table's header line and what follows)
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
            kind, title, page, body = "table", ln, pg, []  # the rows below are a company table's
        elif m and (not "0" <= m.group("mark")[0] <= "9" or re.match(r"\d{1,2}[、．.]", m.group("mark"))):
            # '（1）', '一、', '①' ('①'.isdigit() is True) and '1、' start an item; '1 ' leads a table row
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
    if is_phrase(name) or re.search(r"是|为|系", name[len(short) :][:2]):
        return None  # '斯伦贝谢是全球最大的油田技术服务公司' describes the firm, it is not its name
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


#: A lead that makes the names after it another company's relations, not the issuer's competitors:
#: '其子公司包括A、B', '主要客户有A、B', '股东为A和B', '下辖A、B'.
_RELATION_LEAD = re.compile(
    r"子公司|分公司|控股|参股|股东|客户|供应商|下辖|旗下|收购|合作伙伴|合资|出资|采购|销售给|服务于"
)


def _enumerated(text: str, *, need_cue: bool, issuer: str | None = None) -> list[tuple[str, bool, bool]]:
    """Names in an enumeration 'A、B、C等' after a cue word (包括, 如, 主要有, a colon …) that follows a
    company noun, or that names the issuer among them ('包括发行人、华强电子网、立创商城等在内的一批优秀企业');
    each with whether a company noun leads up to it (the text puts names there)."""
    out: list[tuple[str, bool, bool]] = []
    for m in _ENUM_CUE.finditer(text):
        lead = re.split(r"[。；;！？!?]", text[max(0, m.start() - 14) : m.start()])[-1]  # this sentence's words only
        nouns = list(_COMPANY_NOUN.finditer(lead))
        noun = nouns[-1] if nouns else None
        tail = text[m.end() :]
        stop = re.search(r"等|。|；|;|\n", tail)
        if stop is None:
            continue
        chunk = tail[: stop.start()]
        comma = re.search(r"，|,(?!\s*[A-Za-z])", chunk)  # not the comma of 'Resources, Inc.'
        if comma and re.search(r"、|和|及|与", chunk[: comma.start()]) and not _grouped_list(chunk, stop.group(0)):
            chunk = chunk[: comma.start()]  # '如哈里伯顿和 S&S 公司，前者是…': the list ends at the comma
        parts = [p.strip(' “”"') for p in _ENUM_SPLIT.split(chunk) if p and p.strip()]
        if parts and (inner := _INNER_CUE.search(parts[0])) and _CATEGORY.search(parts[0][: inner.start()]):
            # a category named inside the list before its own cue: '还包括进口设备的主机厂如 Komatsu America
            # Corp.(小松美洲有限公司)、Atlas Copco(…)等' — the first name starts after that cue
            parts[0] = parts[0][inner.end() :].strip()
        peers = [p for p in parts if re.fullmatch(r"发行人|本公司|公司", squash(p)) or _is_issuer(p, issuer)]
        company_cue = noun is not None and not _PRODUCT_NOUN.search(lead[noun.end() :])
        if _RELATION_LEAD.search(lead[-8:]):
            continue  # a competitor's subsidiaries, shareholders or customers
        if len(parts) < 2 and not ((company_cue and parts and m.group(0)[-1:] in ":：") or stop.group(0) == "等"):
            continue
        if not (company_cue or peers or not need_cue) or _PRODUCT_NOUN.search(lead[-4:]):
            continue
        evidence = [looks_like_company(strip_qualifier(p), name_position=company_cue) for p in parts if p not in peers]
        named = all(evidence) or (company_cue and any(evidence) and "，" not in chunk and len(parts) <= 6)
        if need_cue and stop.group(0) != "等" and not named:
            continue  # 'A和B两种服务形式': an open list of companies ends with 等
        if all(2 <= len(squash(p)) <= 60 and not re.search(r"[，。%]|\d{3,}(?![)）])", p) for p in parts):
            names = [p for p in parts if p not in peers]
            # a list of companies after a company noun: an item with no evidence of its own is vouched for
            # by its neighbours when another item of the list is plainly a firm ('如法国索克曼-先控
            # （SOCOMEC-SICON）、意大利雷诺士（Riello）、荷兰海泰克、SILCON…等')
            vouched = (
                company_cue
                and "，" not in chunk
                and any(looks_like_company(strip_qualifier(p), name_position=True) for p in names)
            )
            out += [(p, company_cue, vouched and len(squash(p)) <= 10) for p in names]
    return out + _clause_heads(text)


#: A cue inside an enumeration's first item, after the category it names ('进口设备的主机厂如 …').
_INNER_CUE = re.compile(r"(?:例如|比如|如)(?!下|何|果|有|此|今|期|意)\s*")
_CATEGORY = re.compile(r"的.{0,8}(?:厂|商|企业|公司|机构)$")


#: Words of a clause about a firm, not of a list of names: '前者是世界最大的…', '其产品…'.
_CLAUSE_WORDS = re.compile(r"是|为|系|其|该|从事|拥有|位于|成立|主要|前者|后者|产品|市场|以|于")


def _grouped_list(chunk: str, stop: str) -> bool:
    """A list grouped by country between commas and closed by 等: '德国的Conergy、SCHLETTER，美国的Unirac、
    SUNLINK，澳大利亚 ALZONE 等'. Every group after a comma is a few names, none a clause about a firm."""
    groups = chunk.split("，")[1:]
    return stop == "等" and all(len(g) <= 30 and not _CLAUSE_WORDS.search(g) for g in groups)


#: A company noun and a cue that opens a list of profile clauses: '主要白酒企业有：', '主要白酒企业为'.
_CLAUSE_CUE = re.compile(r"(?:企业|厂商|厂家|公司|生产商|制造商)(?:主要)?(?:有|为|是|包括)[:：]?")


def _clause_heads(text: str) -> list[tuple[str, bool, bool]]:
    """Names that open the clauses of a list after a company noun, each clause a short profile:
    '主要白酒企业有：甘肃滨河食品工业（集团）有限责任公司，主要产品为…；金徽酒业公司，拥有…；汉武酒业公司，…'
    and '主要白酒企业有陕西西凤酒股份有限公司和陕西省太白酒业有限责任公司，主导产品…'. Only a head
    with a legal suffix or another firm's evidence passes the gate later."""
    out: list[tuple[str, bool, bool]] = []
    for m in _CLAUSE_CUE.finditer(text):
        lead = re.split(r"[。；;！？!?]", text[max(0, m.start() - 8) : m.start()])[-1]
        if _RELATION_LEAD.search(lead) or _PRODUCT_NOUN.search(lead[-4:]):
            continue
        end = text.find("。", m.end())
        sentence = text[m.end() : end if end != -1 else len(text)]
        for clause in re.split(r"[；;]", sentence):
            head = re.split(r"[，,]", clause, maxsplit=1)[0]
            for part in re.split(r"、|(?<=公司)(?:和|及|与)|(?<=集团)(?:和|及|与)", head):
                part = part.strip(' “”"')
                if part and (LEGAL_NAME.fullmatch(squash(part)) or has_legal_suffix(part)) and not is_phrase(part):
                    out.append((part, True, False))
    return out


_CHOSEN = re.compile(r"(?:选取|选择|选定)了?(?P<list>[^。；;：:选]{4,200}?)(?:作为|为)[^。；;]{0,20}可比(?:上市)?公司")


def _chosen_peers(text: str) -> list[str]:
    """Comparable companies named as chosen:
    '选取了和胜股份、旭升集团、文灿股份、新铝时代作为发行人的同行业可比公司'."""
    out: list[str] = []
    for m in _CHOSEN.finditer(text):
        parts = [p.strip(' “”"') for p in re.split(r"、|，|以及", m.group("list")) if p and p.strip()]
        if parts:  # 和/及/与 joins only the last two ('…、文灿股份和新铝时代'); a name may start with 和 (和胜股份)
            parts[-1:] = [p for p in re.split(r"(?<=..)(?:和|及|与)(?=..)", parts[-1]) if p]
        if len(parts) >= 2:
            out += parts
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
        name=strip_qualifier(name),
        page=page,
        context=context[:300],
        stock_code=code,
        short_name=_clean_short(short),
        section_title=section_title,
        source=source,
        roles=roles_of(section_title),
    )


def _clean_short(short: str | None) -> str | None:
    """'以下简称“西安西正”' → '西安西正'."""
    if not short:
        return None
    out = re.sub(r"^(?:以下|下文)?(?:简称|合称)[:：]?", "", short.strip()).strip(' “”"‘’：:')
    return out or None


def roles_of(section_title: str | None) -> tuple[CompetitorRole, ...]:
    """竞争对手 for a competition section, 可比公司 for a comparable-companies section, both for
    '主要竞争对手及可比公司'."""
    title = squash(section_title or "")
    comparable = bool(re.search(r"可比", title))
    competitor = bool(re.search(r"竞争|主要企业|厂商|企业情况", title)) or not comparable
    roles: list[CompetitorRole] = []
    if competitor:
        roles.append("竞争对手")
    if comparable:
        roles.append("可比公司")
    return tuple(roles)


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
    from extractors.locate import COMPETITOR_TABLE, FINANCIAL_COMPARABLES, FINANCIAL_TABLE, PROJECT_COMPETITORS

    if section_title == FINANCIAL_COMPARABLES:
        return comparables_named(doc_key, pages, issuer=issuer)
    if section_title in (COMPETITOR_TABLE, FINANCIAL_TABLE):
        return company_table_rows(doc_key, pages, issuer=issuer, peers=section_title == FINANCIAL_TABLE)
    if section_title == PROJECT_COMPETITORS:
        return _naming_sentences(doc_key, pages, issuer=issuer)
    out: list[CompetitorMention] = []
    lines = section_lines(pages, section_title)
    for page, ln in lines:
        for name in _header_row_names(ln, issuer):
            across = _mention(doc_key, name, page, ln, "table", section_title)
            if _keep(across, issuer, gate=False):
                out.append(across)
    company_table = False
    for item in split_items(lines):
        text = item.text
        if item.kind in ("table", "heading"):
            company_table = item.kind == "table"
        positioned: set[str] = set()
        trusted: set[str] = set()  # names the structure vouches for without a suffix (a profile's heading …)
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
                        _page_of(item, name),
                        _sentence_at(text, m.start()),
                        "prose",
                        section_title,
                        short=m.group("short"),
                        code=m.group("code"),
                    )
                )
        for part in _chosen_peers(text):
            found.append(
                _mention(
                    doc_key, part, _page_of(item, part), _sentence_at(text, text.find(part)), "prose", section_title
                )
            )
            positioned.add(squash(part))
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
                        _page_of(item, short),
                        _sentence_at(text, m.start()),
                        "prose",
                        section_title,
                        short=short,
                        code=m.group("code"),
                    )
                )
        # a sub-heading that labels a group of companies ('（6）其它厂商', '2、国内竞争对手简介'): its lists
        # name companies without a cue of their own; any other sub-heading ('（三）行业竞争格局') does not
        group = item.kind == "heading" and item.title and not title and bool(_GROUP_LABEL.search(item.title))
        for part, cued, vouched in _enumerated(text, need_cue=not group, issuer=issuer):
            name, short, code = _split_name(part)
            if cued or group:
                positioned.add(squash(strip_qualifier(name)))
            if vouched:
                trusted.add(squash(strip_qualifier(name)))
            found.append(
                _mention(
                    doc_key,
                    name,
                    _page_of(item, name),
                    _sentence_at(text, text.find(part)),
                    "prose",
                    section_title,
                    short=short,
                    code=code,
                )
            )
        if item.kind == "seq" and company_table and found:
            trusted.add(squash(found[0].name))  # a row of a company column ('3 泰科源 184.00 0.99%')
        if title and found and _profile_opens(text, _split_name(title)[0]):
            trusted.add(squash(found[0].name))  # a sub-heading over a company's profile names that company
        out += [
            m
            for m in found
            if _keep(m, issuer, name_position=m.source != "prose" or squash(m.name) in positioned)
            or (squash(m.name) in trusted and _keep(m, issuer, gate=False))
        ]
    return dedupe_mentions(out)


#: The first sentence of a company's profile: it was founded, is listed, has its seat somewhere, is a maker.
_PROFILE = re.compile(
    r"成立|创立|创建|始建|创办|注册资本|总部|上市|是一家|系一家|为一家|公司|集团|企业|厂商|制造商|生产商|品牌"
)


def _profile_opens(text: str, name: str) -> bool:
    """The body under a sub-heading opens as the profile of the company the heading names: its first
    sentence names it and says it was founded, is listed, is a maker … ('日本理光成立于1936年，…')."""
    first = squash(re.split(r"[。；;]", text, maxsplit=1)[0])
    core = squash(re.sub(r"[（(][^（()）]*[）)]", "", name))
    at = first.find(core) if core else -1
    if at >= 0 and (
        _FOUNDED.search(first[:120]) or re.match(r"(?:是|系|为|作为|位于|总部|于\d{4}年)", first[at + len(core) :])
    ):
        return True
    # the profile speaks of the firm without naming it: '该公司成立于1992年', '总部位于美国，…'
    return bool(_OTHER_FIRM_START.match(first) and _FOUNDED.search(first[:60]))


#: A sentence about a firm other than the issuer ('公司' alone is the issuer in a prospectus).
_OTHER_FIRM_START = re.compile(r"^(?:该公司|其|总部|成立于|创建于|创立于|始建于|于\d{4}年)")


_FOUNDED = re.compile(r"成立|创立|创建|始建|创办|注册资本|总部|上市|是一家|系一家|为一家|合资|设立")


_ROW_LABEL = re.compile(r"^(?:项目|公司名称|公司简称|公司|指标|对比项目?|比较项目?)\s+")


def _header_row_names(line: str, issuer: str | None) -> list[str]:
    """The companies across the header row of a comparison table: '项目 影石创新 GoPro 日本理光 大疆'
    (the issuer among them is dropped). Years or figures in the row make it a figures table, and one
    of the names must be plainly a firm for the others to be taken."""
    m = _ROW_LABEL.match(line.strip())
    if not m or re.search(r"[，。；：:%\d]", line):
        return []
    tokens = line.strip()[m.end() :].split()
    names = [t for t in tokens if not _is_issuer(t, issuer) and not re.fullmatch(r"发行人|本公司|公司", t)]
    if len(tokens) < 2 or not names or not any(looks_like_company(t, name_position=True) for t in names):
        return []
    return [t for t in names if len(t) <= 20 and not is_phrase(t)]


#: '同行业可比公司分别为：A、B、C' / '可比上市公司包括A、B和C'.
_COMPARABLES_CUE = re.compile(r"可比(?:上市)?公司(?:分别|主要)?(?:为|是|包括|有)[:：]?")


def comparables_named(
    doc_key: str, pages: Sequence[tuple[int, str]], *, issuer: str | None = None
) -> list[CompetitorMention]:
    """The comparable companies a financial-chapter page names in the sentence that chooses them
    ('选取安克创新、佳明公司、GoPro 作为可比公司', '同行业可比公司分别为：A、B、C'), role 可比公司. Nothing
    else on such a page is read: its tables list customers, suppliers and figures."""
    from extractors.locate import FINANCIAL_COMPARABLES

    out: list[CompetitorMention] = []
    for page, raw in pages:
        text = join_wrapped(raw)
        names = list(_chosen_peers(text))
        for m in _COMPARABLES_CUE.finditer(text):
            stop = re.search(r"等|。|；|;", text[m.end() :])
            chunk = text[m.end() : m.end() + stop.start()] if stop else ""
            parts = [p.strip(' “”"') for p in re.split(r"、|，|以及", chunk) if p.strip()]
            if parts:
                parts[-1:] = [p for p in re.split(r"(?<=..)(?:和|及|与)(?=..)", parts[-1]) if p]
            if len(parts) >= 2:
                names += parts
        for part in names:
            name, short, code = _split_name(part)
            mention = _mention(
                doc_key, name, page, _sentence_at(text, text.find(part)), "prose", FINANCIAL_COMPARABLES, short, code
            )
            if _keep(mention, issuer, name_position=True):
                out.append(mention)
    return dedupe_mentions(out)


def _keep(m: CompetitorMention, issuer: str | None, *, name_position: bool = True, gate: bool = True) -> bool:
    """The company-name gate (extractors.companies) plus: never the issuer, never a generic word."""
    flat = squash(m.name)
    if not flat or _GENERIC.match(flat) or _is_issuer(m.name, issuer) or flat in ("发行人", "本公司", "公司"):
        return False
    if re.search(r"发行人|本公司|我公司", flat):
        return False
    if len(flat) > 40 or re.search(r"[，。；%]|\d{4}年", m.name):
        return False
    if m.stock_code and not is_fragment(m.name):
        return True
    if not gate:
        return not is_fragment(m.name) and not is_phrase(m.name)
    return looks_like_company(m.name, name_position=name_position) or bool(
        m.short_name and looks_like_company(f"{m.name}（{m.short_name}）", name_position=name_position)
    )


#: The sentence in which the issuer names its competitors: '公司的主要竞争对手包括…', '竞争对手分布于美洲、欧洲
#: 和亚洲，包括GE、…'.
_NAMING_SENTENCE = re.compile(r"竞争对手[^。]{0,30}?(?:包括|为|是|有)")


def _naming_sentences(
    doc_key: str, pages: Sequence[tuple[int, str]], *, issuer: str | None = None
) -> list[CompetitorMention]:
    """A 募集资金运用 section's competitors: only the enumeration of the sentence that names them (its
    market notes describe others in passing); role 竞争对手."""
    from extractors.locate import PROJECT_COMPETITORS

    out: list[CompetitorMention] = []
    for page, raw in pages:
        text = join_wrapped(raw)
        for sentence in re.split(r"[。！？\n]", text):
            if "竞争对手" not in sentence or not _NAMING_SENTENCE.search(sentence):
                continue
            for part, cued, vouched in _enumerated(sentence + "。", need_cue=True, issuer=issuer):
                name, short, code = _split_name(part)
                mention = _mention(doc_key, name, page, sentence, "prose", PROJECT_COMPETITORS, short, code)
                # 'GE、欧司朗以及飞利浦': a plain firm in the list vouches for its neighbours
                if _keep(mention, issuer, name_position=cued) or (vouched and _keep(mention, issuer, gate=False)):
                    out.append(mention)
    return dedupe_mentions(out)


#: Header cells before the company column that a row prints as a number: '排名 公司名称', '序号 企业名称'.
_RANK_CELL = re.compile(r"序号|排名|名次|.{0,4}排名|编号")
_ROW_END = re.compile(r"。|^(?:数据|资料)?来源|^注[:：\d]")


#: A peer's row in a financial comparison: '伊 力 特（600197） 1.00 1.33', '信质电机（002664） 未披露 1.71'.
_PEER_ROW = re.compile(r"^(?:\d{1,3}\s+)?(?P<name>[^\d（()）]{2,24}?)\s*[（(](?P<code>\d{6})(?:\.\w{2})?[）)]")


def company_table_rows(
    doc_key: str, pages: Sequence[tuple[int, str]], *, issuer: str | None = None, peers: bool = False
) -> list[CompetitorMention]:
    """The companies of the company tables on a page that the locator found by their header alone
    (``extractors.locate.COMPETITOR_TABLE``): only the company cell of each row below a header whose
    column means the company ('排名 公司名称 煤炭产量 市场份额'); the page's prose is not read. A cell is
    a name by the column's meaning, so only what cannot be a name is refused: figures, prose, a total,
    a wrapped cell's tail.

    ``peers``: a financial chapter's comparison with the issuer's peers (``FINANCIAL_TABLE``, role
    可比公司): the header is a peer column (公司名称, 证券简称 …) under a 同行业 / 可比 lead, and a peer
    must show it is a firm (a listed short name, a stock code, a legal suffix, a Latin name): the rows
    平均值 / 行业平均 / 本公司 / 发行人 and a ratio's label are not peers."""
    from extractors.locate import (
        COMPETITOR_TABLE,
        FINANCIAL_TABLE,
        PEER_COLUMN,
        company_header,
        heading_in,
        peer_table_lead,
    )

    title = FINANCIAL_TABLE if peers else COMPETITOR_TABLE
    lines = [(page, ln.strip()) for page, text in pages for ln in text.splitlines() if ln.strip()]
    out: list[CompetitorMention] = []
    i = 0
    while i < len(lines):
        col = company_header(lines[i][1], PEER_COLUMN) if peers else company_header(lines[i][1])
        if col is None:
            i += 1
            continue
        lead = squash("".join(ln for _, ln in lines[max(0, i - 3) : i]))
        if peers and not peer_table_lead(lead):
            i += 1
            continue
        header = lines[i][1].split()
        ranked = any(_RANK_CELL.fullmatch(c) for c in header[:col])
        skip = len(header[:col]) - (1 if ranked else 0)  # category cells before the name ('类别', '国家')
        i += 1
        while i < len(lines) and company_header(lines[i][1]) is None:
            page, row = lines[i]
            if _ROW_END.search(row) or (heading_in(row) and not re.match(r"^\d{1,3}\s", row)):
                break
            i += 1
            if _RELATION_LEAD.search(lead):
                continue  # '本公司的上述主要客户在这个排名表上的具体情况如下'
            coded = _PEER_ROW.match(row)
            if peers and coded:
                name, code = squash(coded.group("name")), coded.group("code")
                mention = _mention(doc_key, name, page, row, "table", title, code=code)
                if _keep(mention, issuer, name_position=True):
                    out.append(mention)
                continue
            cells = row.split()
            numbered = len(cells) > 1 and bool(re.fullmatch(r"\d{1,3}", cells[0]))
            if ranked and not numbered:
                continue  # a ranked table's rows open with their rank: anything else is a wrapped cell
            cells = cells[1:] if numbered else cells
            cells = cells[skip:] if len(cells) > skip + 1 else cells
            if not cells:
                continue
            name = cells[0]
            if re.match(r"[A-Za-z]", name):  # a Latin name spans cells: 'Robert Bosch GmbH'
                words = [c for c in itertools.takewhile(lambda c: re.fullmatch(r"[A-Za-z&.,'\-]+", c), cells)]
                name = " ".join(words[:6])
            if re.search(r"\d|[，。；;：:%]", name) or not 2 <= len(squash(name)) <= 25:
                continue
            # a row that opens with its rank or goes on with figures is a row; a line of a wrapped cell
            # ('深圳华强电子' / '网集团股份有') is neither, and only a name with evidence of its own passes
            figures = any(re.search(r"\d", c) for c in cells[1:])
            if not (numbered or figures or looks_like_company(name, name_position=True)):
                continue
            mention = _mention(doc_key, name, page, row, "table", title)
            if _keep(mention, issuer, gate=peers, name_position=True):
                out.append(mention)
    return dedupe_mentions(out)


#: A column that holds companies, read by its meaning: 公司名称, 竞争对手, 可比公司, 厂商, 生产商 ….
_NAME_COLUMN = re.compile(
    r"公司名称|企业名称|竞争对手|可比(?:上市)?公司|^公司$|^名称$|公司简称|厂商|厂家|生产商|制造商|^企业$|品牌|证券简称"
)


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
    from extractors.locate import COMPETITOR_TABLE, FINANCIAL_COMPARABLES, FINANCIAL_TABLE

    col = next((i for i, h in enumerate(header) if _NAME_COLUMN.search(squash(h))), None)
    if col is None or section_title == FINANCIAL_COMPARABLES:
        return []  # a financial page's tables list customers, suppliers and figures: its names come from prose
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
            if m:  # the cell is the name as printed: nothing is trimmed from it
                name, short, code = m.group("name").strip(), m.group("short"), m.group("code")
            else:
                name, short, code = _split_name(cell)
            mention = _mention(doc_key, name, page, context, "table", section_title, short=short, code=code)
            if section_title in (COMPETITOR_TABLE, FINANCIAL_TABLE) and (
                re.search(r"\d", name) or len(squash(name)) > 25
            ):
                continue  # a table found by its header alone: a cell of figures or prose is not a name
            # a cell of a company column is a name by the column's meaning: only phrases and fragments fail;
            # a financial comparison's peer shows it is a firm (its rows hold averages and ratio labels too)
            if _keep(mention, issuer, gate=section_title == FINANCIAL_TABLE, name_position=True):
                out.append(mention)
    return out


def _merge(keep: CompetitorMention, other: CompetitorMention) -> CompetitorMention:
    short = keep.short_name or (other.name if squash(other.name) != squash(keep.name) else other.short_name)
    roles = tuple(r for r in ("竞争对手", "可比公司") if r in keep.roles or r in other.roles)
    found_by = tuple(f for f in ("rules", "model") if f in keep.found_by or f in other.found_by)
    return keep.model_copy(
        update={
            "stock_code": keep.stock_code or other.stock_code,
            "short_name": short,
            "roles": roles,
            "found_by": found_by,
        }
    )


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
    # the same firm printed two ways ('福建鸿博股份' / '福建鸿博印刷股份'): the longer name kept
    for k in sorted(by_name, key=len):
        if k not in by_name:
            continue
        twin = next((o for o in by_name if o != k and len(o) >= len(k) and same_firm(k, o)), None)
        if twin is not None:
            by_name[twin] = _merge(by_name[twin], by_name.pop(k))
    return list(by_name.values())
