"""Who a related-party trade is with, where a table prints only the kind of trade (pure).

A prospectus's summary of its recurring related-party trades ('近三年经常性关联交易对本公司财务状况
和经营成果的影响') lists kinds of trade, not parties: the party stands inside the row label
('向镇江发电销售煤炭收入', '定洲电力煤炭供应收入') or only in the numbered subsection above that describes
the agreement ('（3）《产品和服务互供协议》 … 本公司与神华集团签订了…'). Two sources of names, both the
document's own:

* the short names it defines: the 释义 chapter ('天隆公司：神东天隆集团有限责任公司', '神华集团 指 …')
  and a quoted short name after a company's full name ('河北国华定洲发电有限责任公司（“定洲电力”）');
* the numbered subsections above a table: each agreement's title and the party it is signed with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from extractors.companies import CJK_SUFFIX, has_legal_suffix, is_phrase, looks_like_company
from extractors.locate import HEADING
from extractors.text import squash

#: a definition line of the 释义 chapter: '天隆公司：神东天隆集团有限责任公司', '神华集团  指  神华集团有限责任公司'
_DEFINITION = re.compile(r"^\s*(?P<short>[^\s：:]{2,30}?)\s*(?:[：:]|\s指\s)\s*(?P<full>\S.*)$")
#: a bracket after a name, holding its quoted short name: '（“定洲电力”）', '（以下简称“天隆公司”）'
_BRACKET = re.compile(r"[（(](?P<inner>[^（）()]{0,40})[）)]")
_QUOTED = re.compile(r"[“\"「](?P<name>[^”\"」“「]{2,15})[”\"」]")
#: words that name the issuer itself or related parties in general, never one party
_NOT_A_PARTY = re.compile(r"^本|发行人|^公司$|关联|股东大会|董事|监事|保荐|承销")
_CLAUSE_END = re.compile(r"[，,、；;。]")


def _a_party(name: str, longest: int = 15) -> bool:
    flat = squash(name)
    return 2 <= len(flat) <= longest and not _NOT_A_PARTY.search(flat) and not is_phrase(flat)


def defined_names(pages: Sequence[str], chapters: Sequence[str]) -> frozenset[str]:
    """The short names of firms the document defines: the 释义 chapter's lines whose definition is a
    firm, and quoted short names printed in brackets after a firm's full name. ``chapters``: each
    page's chapter title (:func:`extractors.recipes.chapter_of_pages`)."""
    names: set[str] = set()
    for number, text in enumerate(pages):
        if number < len(chapters) and "释义" in chapters[number]:
            names.update(_glossary_names(text))
        names.update(_quoted_names(text))
    return frozenset(names)


def _glossary_names(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        m = _DEFINITION.match(line)
        if m is None:
            continue
        full = _CLAUSE_END.split(squash(m.group("full")))[0]
        if has_legal_suffix(full):
            out += [s for s in squash(m.group("short")).split("、") if _a_party(s)]
    return out


def _quoted_names(text: str) -> list[str]:
    flat = squash(text)
    out = []
    for m in _BRACKET.finditer(flat):
        before = flat[max(0, m.start() - 30) : m.start()]
        if CJK_SUFFIX.search(before):
            out += [q.group("name") for q in _QUOTED.finditer(m.group("inner")) if _a_party(q.group("name"))]
    return out


def name_in(label: str, names: frozenset[str]) -> str | None:
    """The longest defined short name printed inside a row label ('定洲电力' in '定洲电力煤炭供应收入')."""
    flat = squash(label)
    found = [n for n in names if n in flat]
    return max(found, key=len) if found else None


#: a firm's name at the start of a label: the shortest run that ends in a legal form
_LEADING_FIRM = re.compile(r"^(?P<p>\S{2,20}?(?:有限责任公司|有限公司|集团|公司|厂))")


def firm_at_start(label: str) -> str | None:
    """A firm that a row label is ('江苏华宏集团有限公司') or starts with ('北方物流有限公司运输费用' → its
    name), or None."""
    if _a_party(label, longest=40) and looks_like_company(label):
        return squash(label)
    m = _LEADING_FIRM.match(squash(label))
    p = m.group("p") if m else None
    return p if p is not None and _a_party(p) and looks_like_company(p) else None


# --- the numbered subsections above a table: one agreement each ------------------------------------


@dataclass(frozen=True)
class Agreement:
    """A numbered subsection ('（3）《产品和服务互供协议》'): its title and the party it names (None: none)."""

    title: str
    party: str | None


def _level(mark: str) -> int:
    """How deep a heading's list mark nests: 第一节 0, 一、 1, （一） 2, 1、 3, （1） 4, ① 5."""
    if mark.startswith(("第", "附录")):
        return 0
    if re.match(r"[（(][一二三四五六七八九十]", mark):
        return 2
    if re.match(r"[一二三四五六七八九十]", mark):
        return 1
    if re.match(r"\d", mark):
        return 3
    return 4 if mark.startswith(("（", "(")) else 5


def agreements_above(lines: Sequence[str], names: frozenset[str]) -> list[Agreement]:
    """The subsections at the level of the nearest numbered heading above a table (``lines``: the text
    from its chapter's start down to the table), back to the first heading of a higher level."""
    heads = [(i, m) for i, ln in enumerate(lines) if (m := HEADING.match(ln.strip()))]
    if not heads:
        return []
    level = _level(heads[-1][1].group("mark"))
    out: list[Agreement] = []
    end = len(lines)
    for i, m in reversed(heads):
        this = _level(m.group("mark"))
        if this < level:
            break
        if this == level:
            title = m.group("title").strip()
            out.append(Agreement(title, _title_party(title, names) or _signed_with(lines[i + 1 : end], names)))
            end = i
    return out


def _title_party(title: str, names: frozenset[str]) -> str | None:
    """The party printed before the agreement's name: '定洲电力《煤炭供应协议》' → '定洲电力'."""
    before = squash(title).partition("《")[0]
    return _known(before, names) if before and "《" in title else None


#: the party an agreement is signed with: '本公司与神华集团签订了…', '…和定洲电力签订《…》'
_SIGNED = re.compile(r"(?:与|和)(?P<p>[^，,。；;：:、与和及]{2,30}?)(?:签订|签署|订立|续签)")
_IN_BRACKETS = re.compile(r"[（(][^（）()]*[）)]")


def _signed_with(lines: Sequence[str], names: frozenset[str]) -> str | None:
    flat = _IN_BRACKETS.sub("", squash("".join(lines)))
    for m in _SIGNED.finditer(flat):
        if (party := _known(m.group("p"), names)) is not None:
            return party
    return None


def _known(text: str, names: frozenset[str]) -> str | None:
    """``text`` as a party: a defined short name, the last defined name inside it ('神华集团下属子公司
    神华财务' → '神华财务'), or a firm's name; None for anything else."""
    flat = squash(text)
    if flat in names:
        return flat
    inside = [(flat.rfind(n), n) for n in names if n in flat]
    if inside:
        return max(inside)[1]
    return flat if _a_party(flat) and looks_like_company(flat) else None


#: the words of a label that name the amount, not the trade: '收入', '支出', '费用'
_AMOUNT_WORDS = re.compile(r"(?:收入|支出|费用|成本|金额|发生额)$")


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def agreement_party(label: str, agreements: Sequence[Agreement]) -> str | None:
    """The party of the one agreement whose title shares most of the trade's words with a row label
    ('产品和服务供应收入' and '《产品和服务互供协议》'): at least half of the label's character pairs
    are in the title, and every agreement that shares as many names the same party."""
    core = _bigrams(_AMOUNT_WORDS.sub("", squash(label)))
    if not core:
        return None
    scored = [(len(core & _bigrams(squash(a.title))) / len(core), a.party) for a in agreements]
    best = max((s for s, _ in scored), default=0.0)
    parties = {p for s, p in scored if s == best}
    if best < 0.5 or len(parties) != 1:
        return None
    return parties.pop()
