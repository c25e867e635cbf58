"""What a document says about itself on its cover: its date and its issuer. A PDF on disk carries no
disclosure date, and its file's modification time (the day it was copied) is not one; its file name
need not name the company.

Where a cover states it, the date is the labelled one: a prospectus prints 「招股说明书签署日期」 (or
签署日, 招股意向书签署日期), an announcement 「公告日期」/「公告时间」, a report 「报告日期」. A cover with no
labelled date gives the first date printed on it that is not a planned one (预计发行日期, 发行日期 of an
offering still to come); an annual report's cover prints only the month (「2017 年 04 月」), which is
kept as the first of that month and said so. Dates in Chinese numerals (二○一一年五月五日) are read too.

The issuer is the company name a cover prints on a line of its own above the document's title
(「华瑞电器股份有限公司」 … 「首次公开发行股票并在创业板上市招股说明书」): a first page with no such title
(an excerpt that starts inside the text) names no issuer.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

#: labels of the date a document was signed or published, strongest first
_SIGNED = ("签署日期", "签署日", "公告日期", "公告时间", "披露日期", "报告日期", "发布日期")
#: labels of a planned date, never the document's own
_PLANNED = ("预计", "拟", "发行日期", "上市日期", "申购日", "截至", "截止")
_DIGITS = str.maketrans("〇○零一二三四五六七八九", "00012345678" + "9")
# one pattern, no nested repetition: a year, a month and an optional day, spaces allowed between
_DATE = re.compile(
    r"(?P<y>[0-9〇○零一二三四五六七八九]{4})\s*年\s*(?P<m>[0-9〇○零一二三四五六七八九十]{1,3})\s*月"
    r"(?:\s*(?P<d>[0-9〇○零一二三四五六七八九十]{1,3})\s*日)?"
)
COVER_PAGES = 3


@dataclass(frozen=True)
class DocumentDate:
    date: dt.date
    #: how it was read: 「签署日期」 (the label), 封面 (the cover's first date), 封面（年月） (month only)
    source: str
    page: int


def _number(text: str) -> int | None:
    """Arabic digits, or Chinese numerals as printed in dates (二○一一, 十二, 二十一, 三十)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = int(tens.translate(_DIGITS)) if tens else 1
        o = int(ones.translate(_DIGITS)) if ones else 0
        return 10 * t + o
    digits = text.translate(_DIGITS)
    return int(digits) if digits.isdigit() else None


def _date(m: re.Match[str]) -> tuple[dt.date, bool] | None:
    """The match as a date, and whether its day was printed; None for an impossible date."""
    y, mo = _number(m.group("y")), _number(m.group("m"))
    d = _number(m.group("d")) if m.group("d") else None
    if y is None or mo is None or not 1990 <= y <= 2100:
        return None
    try:
        return dt.date(y, mo, d or 1), d is not None
    except ValueError:
        return None


def document_date(pages: Sequence[str]) -> DocumentDate | None:
    """The document's own date from its cover pages (the first :data:`COVER_PAGES`), or None."""
    fallback: DocumentDate | None = None
    for n, page in enumerate(pages[:COVER_PAGES], start=1):
        for line in page.splitlines():
            label = next((lab for lab in _SIGNED if lab in line), None)
            planned = any(p in line for p in _PLANNED)
            for m in _DATE.finditer(line):
                got = _date(m)
                if got is None:
                    continue
                when, has_day = got
                before = line[: m.start()]
                if label and label in before and not any(p in before[before.rfind(label) :] for p in _PLANNED):
                    return DocumentDate(when, f"「{label}」", n)
                if fallback is None and not planned and n == 1:
                    fallback = DocumentDate(when, "封面" if has_day else "封面（年月）", n)
    return fallback


#: the title a cover prints under the issuer's name
_COVER_TITLE = ("招股说明书", "招股意向书", "上市公告书", "募集说明书", "年度报告", "半年度报告", "季度报告", "公告")
#: a company's legal name, whole: CJK words, brackets and Latin letters, ending in its legal form
_LEGAL_NAME = re.compile(r"[\u4e00-\u9fff（）()A-Za-z0-9·]{2,40}(?:股份有限公司|有限责任公司|有限公司|集团公司)")
#: lines of the cover read for the issuer's name and its title
_COVER_LINES = 15


#: an intermediary's name on a cover (the sponsor, the auditors, the lawyers): never the issuer
_INTERMEDIARY = re.compile(r"证券|会计师|律师|评估|保荐|承销|投资银行")


def cover_issuer(pages: Sequence[str]) -> str | None:
    """The issuer's legal name as the cover prints it, on a line of its own above the title (the one
    nearest it; an intermediary's name, a sponsor drawn first, is never the issuer); None when the first
    page is not a cover (no title in its first lines) or names no company before it."""
    if not pages:
        return None
    lines = [unicodedata.normalize("NFKC", ln).replace(" ", "") for ln in pages[0].splitlines() if ln.strip()]
    lines = lines[:_COVER_LINES]
    title = next((i for i, ln in enumerate(lines) if any(t in ln for t in _COVER_TITLE)), None)
    if title is None:
        return None
    names = [ln for ln in lines[:title] if _LEGAL_NAME.fullmatch(ln) and not _INTERMEDIARY.search(ln)]
    return names[-1] if names else None
