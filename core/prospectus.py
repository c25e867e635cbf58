"""Which prospectus to read: every title of the prospectus family classified, and per company the
latest full prospectus chosen.

A search for 招股说明书 returns, per company, the final prospectus and the preliminary 招股意向书, the
review drafts (申报稿, 上会稿, 注册稿), summaries (摘要), notices (提示性公告), correction notices
(更正公告), appendices (附录/附件), English versions, H-share documents and documents about the
prospectus (review letters and replies, opinions). Only one of them is the
document an analyst reads. :func:`choose` keeps, per company, the full prospectus of the best kind
(final > 意向书 > 注册稿 > 上会稿 > 申报稿) and the latest date — a corrected prospectus (更正后/修订稿)
published later replaces what it corrects; parts published together (上册/下册) are kept together —
and says for every other title why it was skipped. Titles outside the family (annual reports,
上市公告书, 发行公告) are not touched. Pure functions over titles: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.records import Announcement


class DocKind(StrEnum):
    PROSPECTUS = "招股说明书"
    INTENT = "招股意向书"
    REGISTRATION_DRAFT = "注册稿"
    MEETING_DRAFT = "上会稿"
    FILING_DRAFT = "申报稿"
    SUMMARY = "摘要"
    NOTICE = "提示性公告"
    CORRECTION_NOTICE = "更正公告"
    APPENDIX = "附录/附件"
    ENGLISH = "英文版"
    H_SHARE = "H股文件"
    RELATED = "相关文件"


#: full documents, best first: the one an analyst reads when several exist
FULL_RANK: dict[DocKind, int] = {
    DocKind.PROSPECTUS: 5,
    DocKind.INTENT: 4,
    DocKind.REGISTRATION_DRAFT: 3,
    DocKind.MEETING_DRAFT: 2,
    DocKind.FILING_DRAFT: 1,
}

#: the old BSE/精选层 title family 「向不特定合格投资者公开发行股票说明书」 names the same document
_FAMILY = re.compile(r"招股(?:说明|意向)书|向不特定合格投资者公开发行(?:股票)?说明书|prospectus", re.IGNORECASE)
#: checked in this order: what the title is *about* wins over the document it names
_RULES: tuple[tuple[DocKind, re.Pattern[str]], ...] = (
    (DocKind.ENGLISH, re.compile(r"英文|\bEnglish\b|^[\x00-\x7f]+$")),
    (DocKind.H_SHARE, re.compile(r"H股|港股|香港联交所|聆讯后资料集")),
    (DocKind.NOTICE, re.compile(r"提示性公告")),
    # another document about the prospectus: review letters and replies, opinions, undertakings
    # (「关于对招股说明书的补充披露」 too: a disclosure about the prospectus, not the prospectus)
    (DocKind.RELATED, re.compile(r"问询|回复|意见|核查|鉴证|承诺|声明|通知|决议|函|补充披露")),
    (DocKind.CORRECTION_NOTICE, re.compile(r"更正(?:的)?公告|更正说明|补充公告|差错")),
    # 「…招股说明书及摘要」 is the prospectus published with its summary, not a summary
    (DocKind.SUMMARY, re.compile(r"(?<!及)(?<!及其)(?<!和)摘要")),
    (DocKind.APPENDIX, re.compile(r"附录|附件|备查文件")),
    (DocKind.FILING_DRAFT, re.compile(r"申报稿|预先披露")),
    (DocKind.MEETING_DRAFT, re.compile(r"上会稿")),
    (DocKind.REGISTRATION_DRAFT, re.compile(r"注册稿")),
    (DocKind.INTENT, re.compile(r"招股意向书")),
    (DocKind.PROSPECTUS, re.compile(r"招股说明书")),
)
#: a full prospectus that replaces an earlier one of the same kind
_CORRECTED = re.compile(r"更正后|修订稿|修订版|更新后|补充后|\(修订\)|（修订）")


@dataclass(frozen=True)
class Classified:
    kind: DocKind
    corrected: bool = False

    @property
    def full(self) -> bool:
        return self.kind in FULL_RANK

    @property
    def label(self) -> str:
        return f"{self.kind.value}（更正后）" if self.corrected else self.kind.value


def classify(title: str) -> Classified | None:
    """The kind of a prospectus-family title, or None for any other announcement."""
    flat = re.sub(r"\s+", "", title)
    if not _FAMILY.search(flat):
        return None
    kind = next(k for k, rule in _RULES if rule.search(flat) or k is DocKind.PROSPECTUS)
    return Classified(kind, corrected=kind in FULL_RANK and bool(_CORRECTED.search(flat)))


@dataclass(frozen=True)
class Choice:
    """What a search keeps: the announcements to download, and every skipped one with its reason."""

    kept: list[Announcement]
    skipped: list[tuple[Announcement, str]]


def choose(announcements: Sequence[Announcement], *, keep_all: bool = False) -> Choice:
    """Per company, the latest full prospectus of the best kind (all its parts); the rest of the
    prospectus family is skipped with a reason. Other announcements are kept as they are."""
    if keep_all:
        return Choice(list(announcements), [])
    kinds = {a.key: classify(a.title) for a in announcements}
    best: dict[str, Announcement] = {}
    for a in announcements:
        c = kinds[a.key]
        if c is None or not c.full:
            continue
        rank = (FULL_RANK[c.kind], a.published, c.corrected)
        held = best.get(a.sec_code)
        if held is None:
            best[a.sec_code] = a
            continue
        h = kinds[held.key]
        assert h is not None
        if rank > (FULL_RANK[h.kind], held.published, h.corrected):
            best[a.sec_code] = a
    kept: list[Announcement] = []
    skipped: list[tuple[Announcement, str]] = []
    for a in announcements:
        c = kinds[a.key]
        if c is None:
            kept.append(a)
            continue
        chosen = best.get(a.sec_code)
        if not c.full:
            why = f"{c.label}: not a full prospectus"
            skipped.append((a, why + (f"; the full one read is {chosen.title} ({chosen.published})" if chosen else "")))
            continue
        assert chosen is not None
        top = kinds[chosen.key]
        assert top is not None
        # parts of one version (上册/下册) share its kind, correction state and date
        if (c.kind, c.corrected, a.published) == (top.kind, top.corrected, chosen.published):
            kept.append(a)
        else:
            skipped.append((a, f"{c.label} of {a.published}: superseded by {top.label} of {chosen.published}"))
    return Choice(kept, skipped)
