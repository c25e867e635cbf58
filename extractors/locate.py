"""Find the patent and competitor pages from page texts (pure; no PDF access).

Order of evidence:
1. the PDF outline (bookmarks), when it names a target section;
2. headings in the page text (``（二）公司主要竞争对手``, ``3、行业内的主要企业``, ``（3）专利``);
3. patent-table evidence on a page: patent numbers (``ZL201610769100.X``, ``2020304476719``) and
   patent table headers (专利名称 + 专利号/申请号), so continuation pages and appendices are found
   even where no heading is repeated.

Works on pypdfium2 page texts and on the page-by-page full texts alike (tables flattened to lines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from core.records import SectionKind
from extractors.patents import REFERENCE_CAPTION, cited_numbers, is_number, is_reference_header, numbers_in_text
from extractors.text import squash

if TYPE_CHECKING:  # types only: reading recipes does not load PDFium
    from extractors.pdftext import OutlineEntry

_PATENT_HEADER_NAME = re.compile(r"专利名称|专利权名称|专利名(?!下)|发明名称")
_PATENT_HEADER_NUMBER = re.compile(r"专利号|申请号|专利申请号|专利登记号|证书号")

_NUMERAL = "一二三四五六七八九十"
HEADING = re.compile(
    rf"^\s*(?P<mark>第[{_NUMERAL}]+节|附录[{_NUMERAL}\d]+[：:、]?|[{_NUMERAL}]+、|[（(][{_NUMERAL}]+[）)]|\d{{1,2}}[、．]|\d{{1,2}}\.(?=\s*\D)|[（(]\d{{1,2}}[）)]|[①-⑳])"
    r"\s*(?P<title>\S.{0,40})$"
)
_TOC_LINE = re.compile(r"\.{4,}|…{2,}|·{4,}|-{6,}")

#: Competitor chapter headings, most specific first: the issuer naming its competitors, then the
#: industry's main companies, then comparable companies (used only where nothing better exists).
COMPETITOR_TIERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"竞争对手"),
    re.compile(r"主要竞争企业|竞争企业|行业内的?主要企业|行业主要企业|主要竞争者"),
    re.compile(r"竞争格局|市场竞争状况|市场竞争情况|行业竞争状况|行业竞争情况|竞争状况"),
    re.compile(r"同行业可比公司|可比(?:上市)?公司"),
)
#: A section that only points elsewhere: '详见本节“二、（三）行业内主要企业”', '参见本招股意向书“第六章 业务和
#: 技术”之“三、(一)公司在行业中的地位及主要竞争对手情况”部分内容' (002353 p272).
CROSS_REFERENCE = re.compile(
    r"(?:详见|参见|具体见|请见|请参阅|参阅|见)(?:本招股(?:说明书|意向书)(?:摘要)?)?之?[“\"「]?"
    r"(?:本节|本章|第[一二三四五六七八九十]+[节章])"
)
_QUOTED = re.compile(r"[“\"「](?P<q>[^“”\"「」。]{2,60})[”\"」]")
COMPETITOR_TITLE = re.compile("|".join(p.pattern for p in COMPETITOR_TIERS))
#: Financial-ratio comparisons and risk factors mention 可比公司 or 竞争 but are not the chapter.
COMPETITOR_EXCLUDE = re.compile(
    r"费用|毛利|周转|折旧|偿债|研发投入|风险|成本|收入|应收|存货|资产|利润|薪酬|单价|价格|估值|市盈率|税|现金流|"
    r"优势|劣势|壁垒|地位|财务|指标|数据|选取|标准|原因|差异|变动|业绩|增长|产能|趋势|展望|前景"
)
PATENT_TITLE = re.compile(
    r"^(?:[^，。]{0,12})?(?:发明)?专利(?:权)?(?:情况|清单|明细|列表|及.*)?$|^(?:境内|境外|国内|国外).{0,4}专利|专利(?:申请)?$"
)

MAX_COMPETITOR_PAGES = 15


@dataclass(frozen=True)
class Heading:
    page: int
    level: int
    title: str


@dataclass(frozen=True)
class Located:
    kind: SectionKind
    title: str
    pages: tuple[int, ...]
    located_by: Literal["outline", "heading", "keyword"]


def heading_level(mark: str) -> int:
    if "①" <= mark[0] <= "⑳":
        return 5  # circled numbers ①② ('①'.isdigit() is True in Python, so this comes first)
    if mark.startswith(("第", "附录")):
        return 0
    if mark[0] in _NUMERAL:
        return 1
    if mark[0] in "（(" and mark[1] in _NUMERAL:
        return 2
    if mark[0].isdigit():
        return 3
    if mark[0] in "（(":
        return 4
    return 5  # circled numbers ①②


def heading_in(line: str) -> tuple[int, str] | None:
    """(level, title) when ``line`` is a heading printed on its own line; None for body text, a table
    of contents entry (its dot leader) or a numbered row of figures."""
    if _TOC_LINE.search(line):
        return None
    m = HEADING.match(line.strip())
    if not m:
        return None
    title = m.group("title").strip()
    if re.match(r"^[\d.,%\s]+$", title) or len(title) < 2 or is_number(title):
        return None
    return heading_level(m.group("mark")), title


def headings(pages: Sequence[str]) -> list[Heading]:
    out: list[Heading] = []
    for number, text in enumerate(pages, start=1):
        for line in text.splitlines():
            if (found := heading_in(line)) is not None:
                out.append(Heading(number, *found))
    return out


def competitor_tier(title: str) -> int | None:
    """0 for '主要竞争对手', 1 for '行业内主要企业', 2 for '同行业可比公司'; None for anything else,
    including financial comparisons ('管理费用与同行业可比公司比较') and strengths/weaknesses."""
    if re.search(r"[，。；]", title) or len(title) > 30:
        return None
    if COMPETITOR_EXCLUDE.search(title):
        # '公司在行业中的地位及主要竞争对手情况' still names the competitors: only the position words
        # are excused there, never a financial or risk comparison
        named = re.search(r"主要竞争对手", title)
        if not named or COMPETITOR_EXCLUDE.search(re.sub(r"地位|格局|趋势", "", title)):
            return None
    return next((i for i, p in enumerate(COMPETITOR_TIERS) if p.search(title)), None)


def is_competitor_heading(title: str) -> bool:
    return competitor_tier(title) is not None


def is_patent_heading(title: str) -> bool:
    return bool(PATENT_TITLE.search(title)) and "商标" not in title and not COMPETITOR_EXCLUDE.search(title)


def patent_evidence(text: str) -> tuple[int, bool]:
    """(number of patent numbers, has a patent-list header) for one page. Core-technology tables
    that cite patents (核心技术 | 对应专利) do not count as a list header; numbers that a sentence
    cites (专利号 ZL…, （ZL…）) count only below a patent heading."""
    flat = squash(text)
    numbers = len(numbers_in_text(text))
    # a number cited in a sentence is history or a note, unless it stands under a patent heading
    lines = text.splitlines()
    under = next((i for i, line in enumerate(lines) if (h := heading_in(line)) and is_patent_heading(h[1])), len(lines))
    numbers -= len(cited_numbers("\n".join(lines[:under])))
    header = bool(_PATENT_HEADER_NAME.search(flat) and _PATENT_HEADER_NUMBER.search(flat)) or any(
        _is_header_line(line) for line in text.splitlines()
    )
    if (
        header
        and is_reference_header([flat])
        and not re.search(r"专利名称.{0,40}(?:专利号|申请号)|(?:专利号|申请号).{0,40}专利名称", flat)
    ):
        header = False
    return numbers, header


#: Registers of other rights and certificates print the same header words (著作权证书号, 商标注册号,
#: 证书名称 | 证书号).
_OTHER_RIGHTS = re.compile(r"著作权|软件|商标|域名|注册号|作品|证书名称|资质|许可证|认证|资格")


def _is_header_line(line: str) -> bool:
    """A table's header row that names a bare 名称 (or 名 称) beside a patent number column:
    '序号 名称 专利号 专利类型 专利权期限 取得方式' (表4-26：公司专利情况); not a copyright or
    trademark register's."""
    flat = squash(line)
    return (
        len(flat) <= 60
        and "名称" in flat
        and bool(_PATENT_HEADER_NUMBER.search(flat))
        and not _OTHER_RIGHTS.search(flat)
    )


def prose_patent_page(text: str) -> bool:
    """A patent number stands below a heading of the issuer's own patents on this page (not a
    core-technology, R&D or licence heading)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        h = heading_in(line)
        if h and is_patent_heading(h[1]) and not re.search(r"许可|核心技术|研发|技术成果", h[1]):
            return bool(numbers_in_text("\n".join(lines[i + 1 :])))
    return False


def patent_pages(pages: Sequence[str]) -> list[int]:
    """Pages holding patent-list rows: three or more patent numbers, a patent-list header, or a number
    under a patent heading; a page with one or two numbers next to such a page is the list's first or
    last rows, and is kept too."""
    evidence = [patent_evidence(text) for text in pages]
    strong = {n for n, (count, header) in enumerate(evidence, start=1) if count >= 3 or header}
    # a patent given only in a sentence, under the list's own heading ('（3）专利 … 专利号为ZL…')
    strong |= {n for n, text in enumerate(pages, start=1) if evidence[n - 1][0] and prose_patent_page(text)}
    weak = {n for n, (count, _) in enumerate(evidence, start=1) if count >= 1 and (n - 1 in strong or n + 1 in strong)}
    return sorted(strong | weak)


def runs(numbers: Sequence[int], gap: int = 1) -> list[tuple[int, ...]]:
    """Group sorted page numbers into runs, tolerating ``gap - 1`` missing pages."""
    groups: list[list[int]] = []
    for n in sorted(set(numbers)):
        if groups and n - groups[-1][-1] <= gap:
            groups[-1].append(n)
        else:
            groups.append([n])
    return [tuple(g) for g in groups]


def _section_end(hs: list[Heading], i: int, last_page: int) -> int:
    start = hs[i]
    for h in hs[i + 1 :]:
        if h.level <= start.level and not is_competitor_heading(h.title):
            # the next section starts on this page: the competitor text ends here or just before
            return h.page
    return last_page


def competitor_sections(pages: Sequence[str], *, peer_tables: bool = False) -> list[Located]:
    """The competitor chapter(s): sections under the most specific tier of heading found.

    A prospectus that names its 主要竞争对手 is read there; one that only lists the 行业内主要企业
    is read there; 同行业可比公司 sections are the last resort. Financial comparisons are read only
    for the sentence that chooses the comparables, and, with ``peer_tables``, for their tables of
    peers (``financial_tables``, role 可比公司; off by default: see docs/extraction-competitors.md)."""
    hs = headings(pages)
    starts = _chapter_starts(pages)
    by_tier: dict[int, list[Located]] = {}
    covered: dict[int, set[int]] = {}
    for i, h in enumerate(hs):
        tier = competitor_tier(h.title)
        if tier is None or h.page in covered.get(tier, set()):
            continue
        end = min(_section_end(hs, i, len(pages)), h.page + MAX_COMPETITOR_PAGES - 1)
        span = tuple(range(h.page, end + 1))
        covered.setdefault(tier, set()).update(span)
        by_tier.setdefault(tier, []).append(Located(SectionKind.COMPETITOR, h.title, span, "heading"))
    # 竞争格局 describes the market in a prospectus's 业务与技术 chapter and is read only there: an annual
    # report's '行业竞争格局和发展趋势' is an outlook, not a list of competitors
    if 2 in by_tier:
        by_tier[2] = [s for s in by_tier[2] if re.search(r"业务(?:与|和|及)技术", _chapter(hs, s.pages[0], starts))]
        if not by_tier[2]:
            del by_tier[2]
    for tier in list(by_tier):
        # a pointer followed to a section already found is that section once
        by_tier[tier] = list(dict.fromkeys(_follow(s, hs, pages) for s in by_tier[tier]))
    if not by_tier:
        prose = _named_in_prose(pages, hs)
        named = {p for s in prose for p in s.pages}
        tables = [s for s in competition_tables(pages) if not set(s.pages) <= named]
        found = prose + tables + _financial_comparables(pages)
        return found + (_peer_tables(pages, found) if peer_tables else [])
    # An issuer that names its 主要竞争对手 is read there (a ranking of the whole industry is not its
    # competitors); otherwise every part of the competition chapter is read: 行业内主要企业 and 竞争格局 /
    # 市场竞争状况 together. Comparable-company sections are read beside either (role 可比公司).
    if 0 in by_tier:
        best = by_tier[0]
    elif 1 in by_tier or 2 in by_tier:
        best = by_tier.get(1, []) + by_tier.get(2, [])
    else:
        best = []
    # The format standard puts the competition section in 业务与技术; the same heading in 概览 is read only
    # when the business chapter has none. A 主要竞争对手 heading of 募集资金运用 names the issuer's
    # competitors for a project's new product ('（2）主要竞争对手 … 公司的主要竞争对手包括西班牙安德斯集团、
    # 美国 Unifi 公司…'): its naming sentence is read beside the business chapter (PROJECT_COMPETITORS).
    business = [s for s in best if "业务" in _chapter(hs, s.pages[0], starts)] or best
    if 0 in by_tier and business is not best:
        business += [
            Located(s.kind, PROJECT_COMPETITORS, s.pages, s.located_by)
            for s in best
            if "募集资金" in _chapter(hs, s.pages[0], starts)
        ]
    comparables = [s for s in by_tier.get(3, []) if "业务" in _chapter(hs, s.pages[0], starts)] or (
        by_tier.get(3, []) if not business else []
    )
    read = {p for s in business for p in s.pages}
    found = business + [s for s in comparables if not set(s.pages) <= read]
    if 0 not in by_tier:
        # no heading names the issuer's competitors: a company table of the competition part that no
        # located section covers ('（三）发行人的市场地位' with 排名 | 企业名称 | 市场份额) is read as well
        read |= {p for s in found for p in s.pages}
        found += [s for s in competition_tables(pages) if s.pages[0] not in read]
    read |= {p for s in found for p in s.pages}
    found += [s for s in _financial_comparables(pages) if not set(s.pages) <= read]
    return found + (_peer_tables(pages, found) if peer_tables else [])


def _peer_tables(pages: Sequence[str], found: Sequence[Located]) -> list[Located]:
    """The financial chapter's peer tables on pages no section found so far covers."""
    read = {p for s in found for p in s.pages}
    return [s for s in financial_tables(pages) if s.pages[0] not in read]


def _follow(section: Located, hs: list[Heading], pages: Sequence[str]) -> Located:
    """A section whose text is a pointer ('详见本节“三、（二）主要竞争对手情况”') is read where it points:
    the heading the pointer quotes, from its page to the end of its own section."""
    text = "\n".join(pages[p - 1] for p in section.pages[:2] if 1 <= p <= len(pages))
    at = text.find(section.title)
    body = squash(text[at + len(section.title) : at + len(section.title) + 160]) if at >= 0 else ""
    m = CROSS_REFERENCE.search(body)
    if not m or m.start() > 60 or re.search(r"[、。；]", body[: m.start()]):
        # the body opens with the pointer ('关于…主要竞争对手等基本情况参见…'); a body that names companies
        # before it ('包括GE、欧司朗以及飞利浦。…详见…') is read itself
        return section
    pointer = body[m.start() :].split("。", 1)[0]
    quoted = [q.group("q") for q in _QUOTED.finditer(pointer)] or [pointer[m.end() - m.start() :]]
    # the quoted place: '第六章 业务和技术”之“三、(一)公司在…情况' → its last part, without numbering
    last = re.split(r"之|/|／|—|\s", quoted[-1].strip())[-1]
    target = squash(re.sub(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[、．.])*", "", last))
    for i, h in enumerate(hs):
        if target and squash(h.title).startswith(target[:10]) and h.page not in section.pages[:1]:
            end = min(_section_end(hs, i, len(pages)), h.page + MAX_COMPETITOR_PAGES - 1)
            return Located(section.kind, h.title, tuple(range(h.page, end + 1)), "heading")
    return section


#: Prose that names competitors where no heading does: '公司的主要竞争对手为A、B、C等'.
_PROSE_COMPETITORS = re.compile(r"竞争对手(?:主要)?(?:包括|为|是|有)|竞争对手主要包括|主要竞争者(?:包括|为|有)")


_CHAPTER_LINE = re.compile(r"^\s*第[一二三四五六七八九十]+[章节]\s*(?P<title>\S.{0,30})$")


#: Where a financial chapter names its comparable companies: '选取安克创新、佳明公司、GoPro 作为可比公司',
#: '同行业可比公司分别为：…', '可比上市公司包括…'.
_NAMES_COMPARABLES = re.compile(
    r"(?:选取|选择|选定)了?[^。；]{4,120}?(?:作为|为)[^。；]{0,20}可比(?:上市)?公司"
    r"|可比(?:上市)?公司(?:分别|主要)?(?:为|是|包括|选取)[:：]?[^。；]{0,6}[、，]"
)


#: The title given to a 主要竞争对手 section of the 募集资金运用 chapter: only the sentence that names the
#: competitors is read there ('公司的主要竞争对手包括西班牙安德斯集团、美国 Unifi 公司以及…').
PROJECT_COMPETITORS = "主要竞争对手（募集资金运用）"

#: The title given to a financial-chapter page that names the comparable companies (no heading names it).
FINANCIAL_COMPARABLES = "同行业可比公司（财务分析）"


def _financial_comparables(pages: Sequence[str]) -> list[Located]:
    """Pages of the financial chapter (财务会计信息 / 管理层分析) that name the comparable companies the
    analysis is measured against; read with role 可比公司 (their section title says 可比公司)."""
    out = []
    for n in sorted(_chapter_pages(pages, r"财务会计信息|管理层(?:讨论|分析)|财务状况|盈利能力")):
        if _NAMES_COMPARABLES.search(squash(pages[n - 1])):
            out.append(Located(SectionKind.COMPETITOR, FINANCIAL_COMPARABLES, (n,), "keyword"))
    return out


#: The title given to a financial-chapter page whose table compares the issuer with its peers by name.
FINANCIAL_TABLE = "同行业可比公司（财务比较表）"
#: The lead of a peer comparison: '同行业上市公司主要偿债能力指标如下表', '可比公司的偿债能力指标如下'.
_PEER_LEAD = re.compile(r"同行业|可比|同类(?:上市)?公司")
#: A lead that makes the table's companies the issuer's own group or counterparties.
_GROUP_LEAD = re.compile(r"子公司|合并|客户|供应商|关联|投资|股东|参股|控股|往来|欠款|应收|应付")


def peer_table_lead(lead: str) -> bool:
    """The lines above a table say it compares the issuer with its peers, not with its own group or
    counterparties ('合并范围及其变化情况如下表', '长期股权投资')."""
    return bool(_PEER_LEAD.search(lead)) and not _GROUP_LEAD.search(lead)


def financial_tables(pages: Sequence[str]) -> list[Located]:
    """Pages of the financial chapters (财务会计信息 / 管理层讨论与分析) holding a table that compares the
    issuer with its peers by name, each a section titled ``FINANCIAL_TABLE`` (role 可比公司): a header
    whose first columns hold the companies ('公司名称 流动比率 速动比率 资产负债率', '序号 证券简称 证券代码 …')
    under a lead that speaks of 同行业 / 可比 companies. The consolidation scope (合并范围), investees,
    customers and receivables tables print 公司名称 too; their leads say so and they are not read."""
    out: list[Located] = []
    for n in sorted(_chapter_pages(pages, r"财务会计信息|管理层(?:讨论|分析)|财务状况|盈利能力")):
        lines = [ln.strip() for ln in pages[n - 1].splitlines() if ln.strip()]
        for i, line in enumerate(lines):
            if company_header(line, PEER_COLUMN) is None:
                continue
            lead = squash("".join(lines[max(0, i - 3) : i]))
            if peer_table_lead(lead):
                out.append(Located(SectionKind.COMPETITOR, FINANCIAL_TABLE, (n,), "keyword"))
                break
    return out


def _business_chapter(pages: Sequence[str]) -> set[int]:
    """Pages of the 业务与技术 / 业务和技术 chapter, by its 第X节 or 第X章 line (older prospectuses
    number chapters 第六章); table-of-contents lines are not chapter starts."""
    return _chapter_pages(pages, r"业务(?:与|和|及)技术")


def _chapter_pages(pages: Sequence[str], title: str) -> set[int]:
    """Pages of the chapters whose 第X节 / 第X章 title matches ``title``."""
    starts = _chapter_starts(pages)
    out: set[int] = set()
    for i, (page, name) in enumerate(starts):
        if re.search(title, name):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(pages)
            out.update(range(page, end + 1))
    return out


#: The title given to a page whose company table the competition part holds (no heading names it).
COMPETITOR_TABLE = "主要竞争企业（表）"

#: A column that holds companies, read by its whole header cell: 公司名称, 企业名称, 竞争对手, 厂商 …
#: (not 子公司名称, 客户名称, 外协厂商, 关联企业名称: those cells name another relation).
_COMPANY_COLUMN = re.compile(
    r"(?:公司|企业|厂商|厂家|生产商|制造商)(?:名称|简称)|(?:主要)?竞争对手(?:名称)?|竞争企业|厂商|厂家|生产商|制造商|企业|公司"
)
#: Headings of the competition part of the business chapter: 竞争格局, 行业竞争情况, 市场地位, 市场占有率,
#: 行业内主要企业 … (a heading that decides nothing, '（1）需求和供给', is passed over for its parent).
_COMPETITION_PART = re.compile(
    r"竞争|市场(?:地位|占有率|份额|排名)|行业地位|主要(?:生产)?(?:企业|厂商|厂家|生产商|制造商|参与者)|(?:行业|市场)格局"
)
#: Headings that are about something else even when they say 竞争: strengths, risks, the related-party
#: chapter's 同业竞争, customers and suppliers.
_NOT_COMPETITION_PART = re.compile(
    r"同业竞争|核心竞争|竞争优势|竞争劣势|竞争力|不正当竞争|竞争风险|风险|优势|劣势|客户|供应商|采购|销售|子公司|股东|关联"
)
#: The lead sentence of a table that lists competitors by what it says, wherever the table stands.
_COMPETITION_LEAD = re.compile(
    r"竞争对手|竞争企业|竞争者|竞争格局|市场份额|市场占有率|主要(?:生产)?(?:企业|厂商|厂家|生产商|制造商|参与者)"
)
#: A lead that makes the table's companies another relation of the issuer's: its customers, suppliers …
_RELATION_LEAD = re.compile(r"客户|供应商|采购|子公司|股东|关联|合作|外协|代理|投资")
_TABLE_STOP = re.compile(r"。|^(?:数据|资料)?来源|^注[:：\d]|^合计|^总计")


#: A column of a financial comparison table that holds the peers: 公司名称, 证券简称, 可比公司 …
PEER_COLUMN = re.compile(r"(?:可比)?(?:公司|企业)(?:名称|简称)|证券简称|股票简称|可比(?:上市)?公司|公司")


def company_header(line: str, column: re.Pattern[str] = _COMPANY_COLUMN) -> int | None:
    """The index of the company column when ``line`` is a table's header row whose column, read as a
    whole cell, means the company ('排名 公司名称 煤炭产量 市场份额', '竞争对手 主营业务 核心技术'); None
    for prose, a row of figures or a header whose company words name another relation (子公司名称)."""
    text = re.sub(r"[（(][^（()）]*[）)]", "", line.strip())  # '营业收入（单位：亿元）' → its words
    if not text or _TOC_LINE.search(line) or re.search(r"[，。；：:、%]", text):
        return None
    cells = re.sub(r"(?<=\d)\s+(?=[年月季度])", "", text).split()  # '2011 年 1-6 月' → '2011年 1-6月'
    if not 2 <= len(cells) <= 8 or any(len(c) > 12 for c in cells):
        return None
    if any(re.fullmatch(r"\d[\d.,/\-]*", c) and not re.fullmatch(r"(?:19|20)\d\d|\d{1,2}-\d{1,2}", c) for c in cells):
        return None  # a row of figures ('公司 0.72 3.48 7.10'), not a header; a year column is a header's
    # the company column leads the table, behind at most a rank, a number and a category
    # ('排名 公司名称 …', '类别 公司名称 基本情况'); an award table's last column '公司' is not one
    return next((i for i, c in enumerate(cells[:3]) if column.fullmatch(c)), None)


def competition_tables(pages: Sequence[str]) -> list[Located]:
    """Pages of the business chapter holding a company table of its competition part, each a section
    titled ``COMPETITOR_TABLE``: the table's header has a company column (``company_header``) and the
    table stands under a competition heading (the nearest heading that decides: 竞争格局, 市场地位, 主要
    企业 …, never 竞争优势 or 主要客户) or its lead sentence says it lists competitors, market shares or
    the main companies. A ranking in a macro 'industry overview' (我国最大的十家煤炭生产企业, under
    '需求和供给') is not the competition part; a table whose lead names customers never is."""
    business = sorted(_business_chapter(pages))
    if not business:
        return []
    flat = [(n, line.strip()) for n in business for line in pages[n - 1].splitlines() if line.strip()]
    stack: list[tuple[int, str]] = []
    out: list[Located] = []
    for i, (page, line) in enumerate(flat):
        if (h := heading_in(line)) is not None:
            while stack and stack[-1][0] >= h[0]:
                stack.pop()
            stack.append(h)
            continue
        if company_header(line) is None or (out and out[-1].pages[0] == page):
            continue
        lead = squash("".join(ln for _, ln in flat[max(0, i - 3) : i] if heading_in(ln) is None))
        if _RELATION_LEAD.search(lead):
            continue
        if not (_under_competition(stack) or _COMPETITION_LEAD.search(lead)):
            continue
        rows = [(p, ln) for p, ln in flat[i + 1 : i + 40]]
        end = next((k for k, (_, ln) in enumerate(rows) if _TABLE_STOP.search(ln) or heading_in(ln)), len(rows))
        last = rows[end - 1][0] if end else page
        span = tuple(range(page, max(page, last) + 1))
        out.append(Located(SectionKind.COMPETITOR, COMPETITOR_TABLE, span, "keyword"))
    return out[:MAX_COMPETITOR_PAGES]


def _under_competition(stack: Sequence[tuple[int, str]]) -> bool:
    """The nearest heading above that decides is a competition heading."""
    for _, title in reversed(stack):
        if _NOT_COMPETITION_PART.search(title):
            return False
        if _COMPETITION_PART.search(title):
            return True
    return False


def _named_in_prose(pages: Sequence[str], hs: Sequence[Heading]) -> list[Located]:
    """With no competition heading at all, the business chapter's pages whose prose names the
    competitors ('主要竞争对手为中国中煤能源集团公司、…等'), each as a section of its own."""
    out = []
    business = _business_chapter(pages)
    for n, text in enumerate(pages, start=1):
        if n not in business:
            continue
        if _PROSE_COMPETITORS.search(squash(text)):
            out.append(Located(SectionKind.COMPETITOR, "主要竞争对手", (n,), "keyword"))
    return out[:MAX_COMPETITOR_PAGES]


def _chapter(hs: Sequence[Heading], page: int, starts: Sequence[tuple[int, str]] = ()) -> str:
    """Title of the 第X节 chapter a page belongs to ('' before the first); in a prospectus numbered by
    第X章 (no 第X节 heading), the 第X章 chapter from ``starts`` (``_chapter_starts``)."""
    title = next((h.title for h in reversed(hs) if h.level == 0 and h.page <= page), "")
    return title or next((name for start, name in reversed(starts) if start <= page), "")


def _chapter_starts(pages: Sequence[str]) -> list[tuple[int, str]]:
    """(page, title) of every 第X节 / 第X章 chapter line, table-of-contents lines left out."""
    starts: list[tuple[int, str]] = []
    for n, text in enumerate(pages, start=1):
        for line in text.splitlines():
            m = _CHAPTER_LINE.match(line)
            if m and not _TOC_LINE.search(line) and not re.search(r"\d+\s*$", line):
                starts.append((n, m.group("title")))
    return starts


def patent_sections(pages: Sequence[str]) -> list[Located]:
    """Patent lists: runs of pages with patent-list evidence, each started at its heading.

    A run starts at the patent heading on its first page or the page before (专利, 已取得的专利,
    境外专利, 附录：专利 …) and covers every page in between, continuation pages without a header
    included."""
    hits = patent_pages(pages)
    if not hits:
        return []
    hs = headings(pages)
    out = []
    for run in (part for r in runs(hits, gap=2) for part in _split_at_headings(r, hs)):
        near = [h for h in hs if h.page in (run[0] - 1, run[0]) and is_patent_heading(h.title)]
        governing = next((h for h in reversed(hs) if h.page <= run[0]), None)
        if not near and governing is not None and REFERENCE_CAPTION.search(squash(governing.title)):
            continue  # a core-technology / R&D table citing patents, not the list
        start = near[0].page if near else run[0]
        title = near[0].title if near else "专利"
        out.append(
            Located(SectionKind.PATENT, title, tuple(range(start, run[-1] + 1)), "heading" if near else "keyword")
        )
    return out


def _split_at_headings(run: tuple[int, ...], hs: Sequence[Heading]) -> list[tuple[int, ...]]:
    """Cut a run of evidence pages where the patent list's own section ends: at the first heading of
    the same or a higher level than the list's heading (e.g. '（4）域名' after '（3）专利'). Pages after
    it (a core-technology table citing patents) are judged as a run of their own."""
    level: int | None = None
    for h in hs:
        if h.page < run[0] - 1 or h.page > run[-1]:
            continue
        if is_patent_heading(h.title):
            level = h.level if level is None else min(level, h.level)
        elif level is not None and h.level <= level and h.page >= run[0]:
            head = tuple(p for p in run if p <= h.page)
            tail = tuple(p for p in run if p > h.page)
            return [head, *(_split_at_headings(tail, hs) if tail else [])] if head else [tail]
    return [run]


def from_outline(outline: Sequence[OutlineEntry], page_count: int) -> list[Located]:
    out: list[Located] = []
    for i, e in enumerate(outline):
        kind = None
        if is_competitor_heading(e.title):
            kind = SectionKind.COMPETITOR
        elif is_patent_heading(e.title):
            kind = SectionKind.PATENT
        if kind is None:
            continue
        end = page_count
        for nxt in outline[i + 1 :]:
            if nxt.level <= e.level:
                end = max(e.page, nxt.page)
                break
        out.append(Located(kind, e.title, tuple(range(e.page, end + 1)), "outline"))
    return out


def locate(pages: Sequence[str], outline: Sequence[OutlineEntry] = (), *, peer_tables: bool = False) -> list[Located]:
    """All target sections of a document, outline first, then headings and keyword evidence.

    Patent pages found by evidence are always added: bookmarks rarely cover appendix tables.
    ``peer_tables``: read the financial chapter's tables of peers too (``competitor_sections``)."""
    found = from_outline(outline, len(pages))
    if not any(s.kind is SectionKind.COMPETITOR for s in found):
        found += competitor_sections(pages, peer_tables=peer_tables)
    covered = {p for s in found if s.kind is SectionKind.PATENT for p in s.pages}
    found += [s for s in patent_sections(pages) if not set(s.pages) <= covered]
    return found


def split_fulltext_pages(text: str) -> list[str]:
    """Split a page-by-page full text (``## 第N页`` markers) into a list indexed by page - 1."""
    parts = re.split(r"^## 第(\d+)页\s*$", text, flags=re.M)
    pages: dict[int, str] = {int(parts[i]): parts[i + 1] for i in range(1, len(parts), 2)}
    if not pages:
        return []
    return [pages.get(n, "") for n in range(1, max(pages) + 1)]
