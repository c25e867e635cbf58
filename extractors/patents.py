"""Patent lists → :class:`~core.records.PatentRecord` (pure).

Structure first, then patterns:

1. **Columns.** Header cells map to fields by synonym (专利号 / 专利登记号 / 证书号 / 申请号, 专利名称 /
   发明名称 / 名称, 专利权人 / 权利人 / 证书所有者 / 申请人, 他项权利 …). The cells then get the last word:
   the column where most cells *are* patent numbers is the number column, whatever its header says;
   a column of 发明/实用新型/外观设计 is the type; a column of dates is a date. When the header is
   missing (a continuation page) or disagrees with the cells, roles come from the cells alone.
2. **Rows.** A row is a patent when its number cell is a patent number: Chinese (``ZL200620129371.0``,
   ``200610157350.4``, ``ZL 00308118.4``, ``2020304476719``) or foreign (``US7,832,898B2``,
   ``EP3012345B1``, ``GB2512345``, ``29/562581``, ``特许第7111903号``). The number is kept as printed,
   with whitespace removed. A row without a number but with text, right after a patent row, is that
   row's wrapped remainder and is joined to it. A row that only names a holder (``①三联锻造``,
   ``（2）子公司``) starts a holder group.
3. **Status.** The row's own 状态 first; then what the text nearest above its table says, read
   upwards (:func:`status_above`): the lead sentence ('…正在申请过程中，具体情况如下：'), then the
   nearest heading ('（2）已受理的专利'); then the table's own columns (:func:`header_status`: 申请人,
   or 申请号 with 申请日, and nothing only a grant has); then the section's heading; else 已授权.
   A second header row inside a table starts a table of its own.
4. **Reference tables.** A table of core technologies or R&D results that cites patent numbers
   (核心技术 / 对应专利) is not the patent list: :func:`is_reference_header`.

The patent type is read from its column or, when absent, from a Chinese number itself (the digit
after the filing year: fifth of twelve, third of eight; 1/8 发明, 2/9 实用新型, 3 外观设计), the check
digit (a digit or X) dropped first. Numbers printed in parts ('ZL2008 2 0022396.X') are joined.
Where only a validity period is printed (``2009.3.5-2029.3.4``), its start is the filing date: a
Chinese term runs from filing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.records import PatentRecord, PatentStatus, PatentType, StatedPatentCount
from extractors.text import squash

FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("seq", re.compile(r"^(序号|编号|序|No\.?)$", re.I)),
    ("encumbrance", re.compile(r"他项权利|权利限制|权利受限|质押|是否存在")),
    ("application_date", re.compile(r"申请日|申请时间|申请日期")),
    ("grant_date", re.compile(r"授权日|授权公告日|公告日|授权时间|授权日期|颁证日|发证日")),
    (
        "number",
        re.compile(
            r"专利号|申请号|专利登记号|登记号|证书号|证书编号|授权号|专利证号|公告号|公开号|专利编号|专利申请号"
        ),
    ),
    ("name", re.compile(r"专利名称|专利权名称|发明名称|发明创造名称|设计名称|新型名称|^专利名$|^名称$|^专利$")),
    ("patent_type", re.compile(r"专利类型|专利类别|专利种类|^类型$|^类别$|^种类$|^(?:专利)?性质$")),
    (
        "owner",
        re.compile(r"专利权人|权利人|所有权人|证书所有者|证书所有人|申请人|权属人|所有人|持有人|注册人|申请主体"),
    ),
    ("acquisition", re.compile(r"取得方式|取得途径|获得方式|^来源$")),
    ("validity", re.compile(r"有效期|保护期|期限")),
    ("status", re.compile(r"状态")),
    ("region", re.compile(r"国家|地区|国别")),
]

#: Tables that cite patent numbers but are not the patent list (core technology, R&D results).
_REFERENCE_HEADER = re.compile(
    r"核心技术|技术名称|对应专利|相关专利|涉及专利|专利情况|研发项目|在研项目|研发成果|科研成果|产品名称|技术来源|"
    r"项目名称|研发投入|无形资产|课题|成果"
)

#: Chinese numbers: 12-digit (since 2003) or 8-digit application number plus check digit; with a ZL
#: or CN prefix a misprinted length is still a number ('ZL20221612630.0' is printed so in 001282).
_DOMESTIC = r"(?:ZL|CN)\d{8,13}\.?[\dX]|(?:(?:19|20)\d{10}|\d{8})\.?[\dX]"
_FOREIGN = (
    r"(?:US|EP|GB|JP|KR|DE|FR|TW|WO|AU|CA|IN|RU|HK|SG|BR|MX|ZA|IT|ES|NL|CH|SE|VN|TH|MY|ID|PH|IL|NZ)"
    # six digits at least, and not a standard's number and year ('GB 2951-1997', 'GB-1040-92', GB/T …)
    r"(?=(?:\D*\d){6})(?![-/T]*\d{1,5}-(?:19|20)?\d{2}\b)"
    r"(?:[\d/,.\-]{5,}|\d[\d/,.\-]*\d)[A-Z]?\d?"
)
_SERIAL = r"\d{2}/\d{3},?\d{3}"  # US application serials: 29/562581, 35/515,384
_JP_GRANT = r"特[许許]第\d+号|(?:特|意|実|实)[願愿]\d{4}-\d{5,7}"
#: A whole (whitespace-free) cell that is a patent or application number.
NUMBER_CELL = re.compile(rf"(?:{_DOMESTIC}|{_FOREIGN}|{_SERIAL}|{_JP_GRANT})", re.I)
#: Patent numbers inside text, on token boundaries (a trademark number followed by a date must not
#: read as one). Numbers that wrap inside a cell ("ZL202311045\n168.X") are joined first.
_NUMBER_IN_TEXT = re.compile(
    r"(?<![\d.])(?:ZL|CN)?(?:(?:19|20)\d{10}\.?[\dXx]|\d{8}\.[\dXx])(?![\d])"
    r"|(?<![A-Za-z\d])(?:ZL|CN)\d{8}[\dXx](?![\d.])"
    r"|(?<![A-Za-z])(?:US|EP|GB|JP|KR|DE|WO)\d[\d,]{5,}[A-Z]?\d?"
    r"|(?<![\d/])\d{2}/\d{3},?\d{3}(?![\d/])"
    rf"|{_JP_GRANT}"
    r"|(?<![A-Za-z])JP\d{10,13}(?!\d)"
)
_WRAPPED_NUMBER = re.compile(
    r"((?:ZL|CN)\d{3,12}|(?<![A-Za-z])(?:US|EP|JP|KR|GB|DE|WO)[\d/]{3,12}|(?<![\d.])(?:19|20)\d{7,11})"
    r"[ \t]*\n\s*(\d{0,9}\.?[\dXx])(?![\d])"
)

#: A Chinese number printed in its parts, year, type digit and serial apart: 'ZL2008 2 0022396.X',
#: 'ZL 02 3 414456', '2008 3 0020331.7'. Without a ZL/CN prefix the check digit after a dot is required.
_SEP = r"(?:[ \t]+|[ \t]*\n\s*)"
_SPACED_NUMBER = re.compile(
    rf"(?<![\dA-Za-z.])(?:(?:ZL|CN)[ \t]*(?:(?:19|20)\d{{2}}{_SEP}[1-9]{_SEP}\d{{7}}|\d{{2}}{_SEP}[1-9]{_SEP}\d{{5,6}})"
    r"|(?:19|20)\d{2}[ \t]+[1-9][ \t]+\d{7}(?=[ \t]*\.[ \t]*[\dXx](?!\d))"
    r"|\d{2}[ \t]+[1-9][ \t]+\d{5}(?=\.[\dXx](?!\d)))"
    r"(?![\d])(?:[ \t]*\.[ \t]*[\dXx](?![\dA-Za-z]))?"
)
#: A check digit set apart from its dot: 'ZL200820036982. X'.
_SPACED_CHECK = re.compile(r"((?:ZL|CN)?\d{8,12}\.)[ \t]+([\dXx])(?![\dA-Za-z])")

_DATE = re.compile(r"((?:19|20)\d{2})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})")
_DATE_CELL = re.compile(r"^(?:19|20)\d{2}[./\-年]\d{1,2}[./\-月]\d{1,2}日?$")
_TYPE_CELL = re.compile(
    r"^(?:发明|实用新型|外观设计|外观|实用|授权发明|发明专利|实用新型专利|外观设计专利|外观专利)(?:专利)?$"
)
_SEQ = re.compile(r"^(?P<seq>\d{1,4})(?P<note>[（(]?注\d*[）)]?|\*+)?$")
_PENDING = re.compile(r"已受理|受理|申请中|正在申请|在申请|尚未授权|未授权|审查|实审|公开|待授权|申请阶段")
_GRANTED = re.compile(r"授权|维持|有效|已获|已取得|拥有")
_GROUP = re.compile(r"^(?:[①-⑳]|[（(]?[一二三四五六七八九十\d]{1,2}[）)、.．])\s*(?P<name>\S.{0,30})$")


def map_header(header: Sequence[str]) -> dict[str, int]:
    """Fields by header label; one field per cell, the first pattern that matches wins."""
    mapping: dict[str, int] = {}
    for i, cell in enumerate(header):
        label = squash(cell)
        if not label:
            continue
        for field, pattern in FIELDS:
            if field not in mapping and pattern.search(label):
                mapping[field] = i
                break
    return mapping


#: The same, said in the heading or sentence above a table.
REFERENCE_CAPTION = re.compile(r"核心技术|研发投入|研发成果|科研成果|研发项目|在研项目|技术成果")


def is_reference_header(header: Sequence[str]) -> bool:
    """A core-technology or R&D table that cites patents: not the patent list."""
    return bool(_REFERENCE_HEADER.search(squash("".join(header))))


def is_number(cell: str) -> bool:
    return bool(NUMBER_CELL.fullmatch(squash(cell)))


def is_patent_header(header: Sequence[str]) -> bool:
    m = map_header(header)
    return "name" in m and "number" in m and not is_reference_header(header)


@dataclass(frozen=True)
class Columns:
    """Where each field sits in a patent table, and how it was decided."""

    roles: dict[str, int]
    from_content: bool = False


def _share(column: Sequence[str], test: re.Pattern[str]) -> float:
    cells = [squash(c) for c in column if squash(c)]
    return sum(1 for c in cells if test.fullmatch(c)) / len(cells) if cells else 0.0


def _text_weight(column: Sequence[str]) -> float:
    cells = [squash(c) for c in column if squash(c)]
    return sum(len(c) for c in cells) / len(cells) if cells else 0.0


def infer_columns(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Columns | None:
    """Roles of the columns of a patent list, from the header and the cells; None if not a list.

    The cells decide where they are unambiguous (numbers, types, dates); the header decides the
    rest (name, holder, acquisition …). Without a usable header the name is the longest text column."""
    width = max([len(header), *(len(r) for r in rows)], default=0)
    cols = [[r[i] if i < len(r) else "" for r in rows] for i in range(width)]
    number_share = [_share(c, NUMBER_CELL) for c in cols]
    if not number_share or max(number_share) < 0.5:
        return None
    roles = map_header(header)
    content = False
    number_col = max(range(width), key=lambda i: number_share[i])
    if roles.get("number") != number_col:
        content = True
    _assign(roles, "number", number_col)
    type_share = [_share(c, _TYPE_CELL) for c in cols]
    best_type = max(range(width), key=lambda i: type_share[i])
    if type_share[best_type] >= 0.5 and roles.get("patent_type") != best_type:
        content = True
        _assign(roles, "patent_type", best_type)
    date_share = [_share(c, _DATE_CELL) for c in cols]
    for field in ("application_date", "grant_date"):
        i = roles.get(field)
        if i is not None and date_share[i] < 0.3:
            del roles[field]
    seq_share = [_share(c, _SEQ) for c in cols]
    if "seq" not in roles and width and seq_share[0] >= 0.6 and 0 not in roles.values():
        roles["seq"] = 0
    taken = set(roles.values())
    if "application_date" not in roles and "grant_date" not in roles:
        dated = [i for i in range(width) if i not in taken and date_share[i] >= 0.6]
        if dated:
            roles["application_date"] = dated[0]
            taken.add(dated[0])
    name = roles.get("name")
    if name is None or number_share[name] >= 0.5 or date_share[name] >= 0.5 or type_share[name] >= 0.5:
        free = [i for i in range(width) if i not in taken and seq_share[i] < 0.6 and date_share[i] < 0.5]
        if not free:
            return None
        roles.pop("name", None)
        _assign(roles, "name", max(free, key=lambda i: _text_weight(cols[i])))
        content = True
    return Columns(roles, from_content=content)


def _assign(roles: dict[str, int], field: str, column: int) -> None:
    for other in [f for f, i in roles.items() if i == column and f != field]:
        del roles[other]
    roles[field] = column


def parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    m = _DATE.search(squash(text))
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def printed_number(text: str) -> str:
    """The number as printed, whitespace removed: 'ZL 00308118.4' → 'ZL00308118.4'."""
    return squash(text)


def type_from_number(number: str) -> PatentType | None:
    """The type a Chinese number encodes in the digit after its year: the 5th of a 12-digit number
    (2008 2 0022396), the 3rd of an old 8-digit one (02 3 41445); 1/8 发明, 2/9 实用新型, 3 外观设计.
    The check digit (a digit or X, after the dot or not) is dropped first. A misprinted number that
    still starts with its filing year ('ZL2003101081084.4') keeps the digit after the year."""
    flat = squash(number).upper()
    if not re.fullmatch(_DOMESTIC, flat):
        return None
    body = re.sub(r"^(ZL|CN)", "", flat)[:-1]  # drop the check digit, whatever it is
    digits = re.sub(r"\D", "", body)
    if len(digits) == 12 or (len(digits) > 12 and re.match(r"(?:19|20)\d{2}", digits)):
        code = digits[4]
    elif len(digits) == 8:
        code = digits[2]
    else:
        return None
    return {
        "1": PatentType.INVENTION,
        "8": PatentType.INVENTION,
        "2": PatentType.UTILITY,
        "9": PatentType.UTILITY,
        "3": PatentType.DESIGN,
    }.get(code)


def parse_type(text: str | None, number: str) -> PatentType:
    label = squash(text or "")
    if "发明" in label:
        return PatentType.INVENTION
    if "实用" in label or "新型" in label:
        return PatentType.UTILITY
    if "外观" in label or "设计" in label:
        return PatentType.DESIGN
    return type_from_number(number) or PatentType.OTHER


def status_from_title(title: str | None) -> PatentStatus:
    """The status a list's heading implies: '（2）已受理的专利' → pending."""
    return status_cue(title) or PatentStatus.GRANTED


#: Words that say a list holds granted patents, or applications, in a heading or the sentence above
#: a table ('公司拥有的专利权基本情况如下', '（2）正在申请中的专利', '有5项专利申请被…正式受理').
_GRANTED_CUE = re.compile(r"已授权|授权专利|已取得|已获|获得|拥有|持有|取得的")
_PENDING_CUE = re.compile(
    r"已受理|被受理|获受理|受理|申请中|正在申请|在申请|尚未授权|未授权|审查|实审|待授权|申请阶段|专利申请(?!号|日|人|费)"
    # a notice obtained (受理通知书, 授予专利权及办理登记手续通知书) is a step before the grant
    r"|(?:已取得|取得|收到|获得|已获)[^，。；]{0,40}?通知书》?|将(?:做|作)出授予"
    r"|已申请(?!取得)|提交了?[^，。；]{0,12}申请"
)


def status_cue(text: str | None) -> PatentStatus | None:
    """The status that a heading or sentence states, or None when it states none or both
    ('已获外观设计专利17项…，已获受理发明专利申请3项' speaks of two lists)."""
    label = squash(text or "")
    pending = bool(_PENDING_CUE.search(label))
    granted = bool(_GRANTED_CUE.search(_PENDING_CUE.sub("", label)))
    if pending and not granted:
        return PatentStatus.PENDING
    if granted and not pending:
        return PatentStatus.GRANTED
    return None


_HEADING_MARK = re.compile(
    r"^\s*(?:第[一二三四五六七八九十]+[节章]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]{1,2}[）)]|\d{1,2}[、．.](?!\d)|[①-⑳])"
)


def status_above(lines: Sequence[str], *, rows_end_it: bool = True) -> tuple[PatentStatus | None, bool]:
    """(status, reached a heading) from the text above a table, read upwards: the lead sentence
    right above it ('…正在申请过程中，具体情况如下：'), then the nearest heading ('（2）已受理的专利').
    A mixed or silent lead leaves the heading to decide; a silent heading leaves it to the table.
    With ``rows_end_it`` a line holding a patent number (another table's row) ends the search:
    nothing stands between the two tables. Without it (a row read from page text) the lines up to
    the lead sentence ('：') or heading are the list's own rows and are passed over."""
    block: list[str] = []
    heading = False
    for line in reversed(lines):
        text = line.strip()
        if not text:
            continue
        if rows_end_it and _NUMBER_IN_TEXT.search(repair_wraps(text)):
            break
        if not rows_end_it and not block and not (text.endswith(("：", ":")) or _HEADING_MARK.match(text)):
            continue  # the list's own rows, up to its lead sentence or heading
        block.insert(0, text)
        if _HEADING_MARK.match(text):
            heading = True
            break
    if not block:
        return None, False
    flat = squash("".join(block))
    sentences = [x for x in re.split(r"。", flat) if x]
    lead = status_cue(sentences[-1]) if sentences else None
    if lead is not None or not heading:
        return lead, heading
    return status_cue(re.split(r"[，。：:]", squash(block[0]))[0]) or status_cue(sentences[0]), True


_HEADER_GRANTED = re.compile(r"专利号|授权|证书|专利权人|权利人|有效期|期限|取得|权属")


def header_status(header: Sequence[str]) -> PatentStatus | None:
    """What the columns say: an applications table names its numbers 申请号 and its holder 申请人
    and has nothing that only a granted patent has (专利号, 专利权人, 授权日, 有效期, 取得方式)."""
    labels = [squash(c) for c in header if squash(c)]
    granted = any(_HEADER_GRANTED.search(c) for c in labels)
    applicant = any("申请人" in c for c in labels)
    dated_application = any("申请号" in c for c in labels) and any(re.search(r"申请日|申请时间", c) for c in labels)
    if (applicant or dated_application) and not granted:
        return PatentStatus.PENDING
    return None


def _row_status(printed: str | None, default: PatentStatus) -> PatentStatus:
    label = squash(printed or "")
    if not label:
        return default
    if _PENDING.search(label) and not re.search(r"已授权|授权公告|维持", label):
        return PatentStatus.PENDING
    if _GRANTED.search(label):
        return PatentStatus.GRANTED
    return default


def split_seq(text: str | None) -> tuple[str | None, str | None]:
    """'1注1' → ('1', '注1'); '12' → ('12', None); anything else is kept as the 序号."""
    flat = squash(text or "")
    if not flat:
        return None, None
    m = _SEQ.fullmatch(flat)
    if m:
        return m.group("seq"), (m.group("note") or None)
    return flat, None


#: Columns whose merged cells are filled down (a type column is not: the number gives the type).
_FILL_DOWN = ("owner", "acquisition", "region")


def _cell(row: Sequence[str], roles: dict[str, int], field: str) -> str | None:
    i = roles.get(field)
    if i is None or i >= len(row):
        return None
    value = row[i].strip()
    return value or None


def _group_holder(row: Sequence[str]) -> str | None:
    """A row that only names a holder, spanning the table: '①三联锻造', '（2）子公司三连零部件'."""
    cells = {squash(c) for c in row if squash(c)}
    if len(cells) != 1:
        return None
    (text,) = cells
    m = _GROUP.match(text)
    if m and not NUMBER_CELL.search(text) and not re.search(r"专利|合计|小计|注", m.group("name")):
        return m.group("name")
    return None


def _join(a: str | None, b: str | None) -> str | None:
    if a and b:
        sep = " " if re.search(r"[A-Za-z0-9]$", a) and re.match(r"[A-Za-z0-9(]", b) else ""
        return f"{a}{sep}{b}"
    return a or b


def rows_to_patents(
    doc_key: str,
    header: Sequence[str],
    rows: Sequence[tuple[int, Sequence[str]]],
    *,
    default_owner: str | None = None,
    title: str | None = None,
    source: str = "table",
    status: PatentStatus | None = None,
) -> list[PatentRecord]:
    """Rows (page, cells) of a patent list → records, in order. Not a list (no number column): [].

    ``status`` is what the caption or heading nearest above the table says (None: nothing). A second
    header row inside the rows (an applications table ruled in the same grid right under the granted
    one) starts a table of its own, read with its own columns and judged by its own header."""
    parts: list[tuple[Sequence[str], list[tuple[int, Sequence[str]]]]] = [(header, [])]
    for page, row in rows:
        own = map_header(row)
        if {"number", "name"} <= set(own) and [squash(c) for c in row] != [squash(c) for c in parts[-1][0]]:
            parts.append((row, []))
        else:
            parts[-1][1].append((page, row))
    # the nearest caption or heading, then the table's own columns, then the section's heading; a
    # header row repeated with other words keeps the first table's status unless its columns say otherwise
    first = status or header_status(header) or status_from_title(title)
    out: list[PatentRecord] = []
    for i, (part_header, part_rows) in enumerate(parts):
        part_status = first if i == 0 else header_status(part_header) or first
        out += _table_to_patents(
            doc_key, part_header, part_rows, default_owner=default_owner, title=title, source=source, status=part_status
        )
    return out


def _table_to_patents(
    doc_key: str,
    header: Sequence[str],
    rows: Sequence[tuple[int, Sequence[str]]],
    *,
    default_owner: str | None,
    title: str | None,
    source: str,
    status: PatentStatus,
) -> list[PatentRecord]:
    if is_reference_header(header) or not rows:
        return []
    columns = infer_columns(header, [r for _, r in rows])
    if columns is None:
        return []
    roles = columns.roles
    default_status = status
    out: list[PatentRecord] = []
    owner = default_owner
    last: dict[str, str | None] = {}
    for page, row in rows:
        group = _group_holder(row)
        if group:
            owner, last = group, {}
            continue
        raw_number = _cell(row, roles, "number")
        if not raw_number or not is_number(raw_number):
            # a wrapped remainder of the previous row (a cell cut by the row or page break)
            repeated_header = {"number", "name"} <= set(map_header(row))
            numbered = split_seq(_cell(row, roles, "seq"))[0] is not None
            if out and not numbered and any(squash(c) for c in row) and not repeated_header:
                prev = out[-1]
                out[-1] = prev.model_copy(
                    update={
                        "name": _join(prev.name, _cell(row, roles, "name")) or prev.name,
                        "owner": _join(prev.owner, _cell(row, roles, "owner")) if "owner" in roles else prev.owner,
                    }
                )
            continue
        name = _cell(row, roles, "name")
        number = printed_number(raw_number)
        seq, note = split_seq(_cell(row, roles, "seq"))
        validity = _cell(row, roles, "validity")
        app_date = parse_date(_cell(row, roles, "application_date"))
        if app_date is None and validity and re.search(r"\d{4}", validity):
            app_date = parse_date(re.split(r"[-－—至~～]", validity)[0])
        printed_status = _cell(row, roles, "status")
        # vertically merged cells (one 专利权人 for a run of rows) print their text in the first row only
        held = {f: _cell(row, roles, f) or last.get(f) for f in _FILL_DOWN}
        last = held
        out.append(
            PatentRecord(
                doc_key=doc_key,
                page=page,
                seq=seq,
                note=note,
                name=re.sub(r"\s+", " ", name) if name else "",
                number=number,
                patent_type=parse_type(_cell(row, roles, "patent_type"), number),
                status=_row_status(printed_status, default_status),
                application_date=app_date,
                grant_date=parse_date(_cell(row, roles, "grant_date")),
                owner=held["owner"] or owner,
                acquisition=squash(held["acquisition"] or "") or None,
                validity=validity,
                legal_status=squash(printed_status or "") or None,
                encumbrance=squash(_cell(row, roles, "encumbrance") or "") or None,
                region=squash(held["region"] or "") or None,
                section_title=title,
                source=source,
            )
        )
    return out


# --- text fallback ------------------------------------------------------------------------------------

_TOKEN_SPLIT = re.compile(r"\s{1,}")


def repair_wraps(text: str) -> str:
    """Undo what cell wrapping and old typesetting do to numbers and dates in page text:
    'ZL 00308118.4' → 'ZL00308118.4', 'ZL202311045\n168.X' → 'ZL202311045168.X',
    '2023.0\n8.18' → '2023.08.18', '特许第 7111903 号' → '特许第7111903号'."""
    flat = re.sub(r"(?<=ZL|CN)[ \t]+(?=\d)", "", text)
    flat = _SPACED_NUMBER.sub(lambda m: squash(m.group(0)), flat)
    flat = _WRAPPED_NUMBER.sub(r"\1\2", flat)
    flat = _SPACED_CHECK.sub(r"\1\2", flat)
    flat = re.sub(r"((?:19|20)\d{2}[./]\d?)[ \t]*\n\s*(\d{0,2}[./]\d{1,2})(?![\d.])", r"\1\2", flat)
    flat = re.sub(r"([特意実实][願愿])\s*(\d{4}-)\s*(\d{0,7})\s*?\n?\s*(\d{0,7})(?![\d])", r"\1\2\3\4 ", flat)
    return re.sub(r"特\s*([许許])\s*第\s*(\d+)\s*号", r"特\1第\2号", flat)


def cited_numbers(text: str) -> list[str]:
    """Numbers that a sentence cites ('专利号 ZL97229522.4 专利于…完成变更', '…方法（ZL200510020118.1）'):
    a patent's history or a co-ownership note, not a row of a list."""
    flat = repair_wraps(text)
    out = []
    for m in _NUMBER_IN_TEXT.finditer(flat):
        before = squash(flat[max(0, m.start() - 12) : m.start()])
        after = squash(flat[m.end() : m.end() + 4])[:1]
        if re.search(r"专利号(?:为|是|：|:)?$", before) or (before.endswith(("（", "(")) and after in ("）", ")")):
            out.append(m.group(0))
    return out


def numbers_in_text(text: str) -> list[str]:
    """Patent numbers on a page of text, each once per occurrence."""
    return _NUMBER_IN_TEXT.findall(repair_wraps(text))


def patents_from_lines(
    doc_key: str,
    page: int,
    lines: Sequence[str],
    *,
    header: Sequence[str] = (),
    default_owner: str | None = None,
    title: str | None = None,
    last_seq: int | None = None,
) -> list[PatentRecord]:
    """Rows anchored on patent numbers, for pages whose table could not be read as a table.

    Each line that holds a patent number is one row; its other whitespace-separated tokens are
    read as cells: types by vocabulary, dates by pattern, the 序号 at the start, the name as the
    longest remaining text. With a header line of the same token count, cells map by position.
    A line that continues the 序号 sequence (``last_seq`` + 1) with a number-like token next is a
    row too, whatever that number's format: foreign lists print '216637', '388574-001',
    '2023-536153' or '16886019.5'."""
    out: list[PatentRecord] = []
    default_status = status_from_title(title)
    header_roles = map_header(header) if header else {}
    repaired = repair_wraps("\n".join(lines)).splitlines()
    for at, line in enumerate(repaired):
        tokens = [t for t in _TOKEN_SPLIT.split(line.strip()) if t]
        joined = _join_number_tokens(tokens)
        idx = next((i for i, t in enumerate(joined) if NUMBER_CELL.fullmatch(t)), None)
        if idx is None and last_seq is not None and len(joined) >= 2:
            nxt = _SEQ.fullmatch(joined[0])
            if nxt and int(nxt.group("seq")) == last_seq + 1 and _NUMBERISH.fullmatch(joined[1]):
                idx = 1
        if idx is None:
            continue
        if header_roles and len(joined) == len(header) and header_roles.get("number") == idx:
            out += rows_to_patents(
                doc_key, header, [(page, joined)], default_owner=default_owner, title=title, source="text"
            )
            continue
        number = joined[idx]
        rest = [t for i, t in enumerate(joined) if i != idx]
        seq, note = split_seq(rest[0]) if rest and _SEQ.fullmatch(rest[0]) else (None, None)
        if seq is not None:
            rest = rest[1:]
        ptype = next((t for t in rest if _TYPE_CELL.fullmatch(t)), None)
        below = squash(repaired[at + 1]) if at + 1 < len(repaired) else ""
        if ptype is None and _TYPE_CELL.fullmatch(below):
            ptype = below  # a narrow cell: the type printed under the number ('03732174.2' / '发明专利')
        dates = [t for t in rest if _DATE.search(t)]
        words = [t for t in rest if t not in (ptype, *dates) and re.search(r"[\u4e00-\u9fffA-Za-z]", t)]
        name = max(words, key=len) if words else ""
        out.append(
            PatentRecord(
                doc_key=doc_key,
                page=page,
                seq=seq,
                note=note,
                name=name,
                number=number,
                patent_type=parse_type(ptype, number),
                status=status_above(repaired[:at], rows_end_it=False)[0] or default_status,
                application_date=parse_date(dates[0]) if dates else None,
                owner=default_owner,
                section_title=title,
                source="text",
            )
        )
        if seq is not None and seq.isdigit():
            last_seq = int(seq)
    return out


def patents_in_prose(
    doc_key: str, page: int, text: str, *, title: str | None = None, default_owner: str | None = None
) -> list[PatentRecord]:
    """Patents that a section gives only in sentences, with no table: '公司拥有一项发明专利
    “一种打码器”（专利号：ZL200810016976.2）'. The name is the quoted title before the number (or
    after 名称为), the type the word before it or the number's own digit, the status the sentence's.
    A licence (许可) names someone else's patent and is left out."""
    out: list[PatentRecord] = []
    flat = squash(repair_wraps(text))
    for m in _NUMBER_IN_TEXT.finditer(flat):
        start = max(flat.rfind("。", 0, m.start()), flat.rfind("；", 0, m.start())) + 1
        end = flat.find("。", m.end())
        sentence = flat[start : end if end != -1 else len(flat)]
        if "许可" in sentence:
            continue
        before = flat[start : m.start()]
        head = re.sub(r"[（(](?:专利号|申请号)?(?:为|是|：|:)?$", "", before)
        quoted = re.findall(r"[“\"]([^”\"]{2,60})[”\"]$", head) or re.findall(r"[“\"]([^”\"]{2,60})[”\"]", head[-80:])
        bracketed = re.search(r"([^、，,：:；“”（）()]{2,60})$", head) if head != before else None
        named = re.search(r"名称(?:为|是|：|:)[“\"]?([^”\"，。；、]{2,60})", flat[m.end() : m.end() + 80])
        name = (
            quoted[-1]
            if quoted and head.endswith(("”", '"'))
            else bracketed.group(1)
            if bracketed
            else quoted[-1]
            if quoted
            else named.group(1)
            if named
            else ""
        )
        number = m.group(0)
        kind = re.findall(r"发明|实用新型|外观设计", before[-30:])
        out.append(
            PatentRecord(
                doc_key=doc_key,
                page=page,
                name=name,
                number=number,
                patent_type=parse_type(kind[-1] if kind else None, number),
                status=status_cue(sentence) or status_from_title(title),
                owner=default_owner,
                section_title=title,
                source="text",
            )
        )
    return out


#: A token that reads as some office's number: five or more digits, with separators and a prefix.
_NUMBERISH = re.compile(r"(?:[A-Z]{1,4}/?|[特意実实][願愿])?\d[\d/,.\-]{4,}[A-Z]?\d{0,2}")


def _join_number_tokens(tokens: list[str]) -> list[str]:
    """'ZL' '200620129371.0' → 'ZL200620129371.0' (old layouts print a space after ZL)."""
    out: list[str] = []
    for t in tokens:
        if out and out[-1].upper() in ("ZL", "CN") and NUMBER_CELL.fullmatch(out[-1] + t):
            out[-1] += t
        else:
            out.append(t)
    return out


# --- stated counts ------------------------------------------------------------------------------------

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_STATED = re.compile(
    r"(?:拥有|取得|获得|持有|共有|名下共有|获授权|已获授权)(?:的|了)?(?P<scope>境内外|国内外|境内|国内|境外|国外|中国)?(?:已)?(?:授权)?(?:的)?"
    r"(?:专利(?:权)?(?:共计?|合计|总计)?(?P<n1>\d{1,5})(?:项|件|个)|(?P<n2>\d{1,5})(?:项|件|个)(?:已)?(?:授权)?(?P<scope2>境内外|国内外|境内|国内|境外|国外)?专利)"
)
_STATED_PART = re.compile(
    r"(?:(?P<a>发明|实用新型|外观设计|外观)(?:专利)?(?P<n>\d{1,5})(?:项|件|个)|(?P<m>\d{1,5})(?:项|件|个)(?P<b>发明|实用新型|外观设计|外观)(?:专利)?)"
)


def stated_counts(pages: Sequence[tuple[int, str]]) -> list[StatedPatentCount]:
    """Every statement of how many patents the issuer holds or has applied for, in page order.

    '拥有专利N项（其中发明X项…）' gives a total and its breakdown. Where a sentence has no such total,
    its counts are read clause by clause: '已取得17项实用新型专利、3项外观设计专利' (granted, the sum),
    '公司目前共拥有发明专利9项', '有5项专利申请被…受理' and '13项发明专利正在申请' (applications: scope
    ``申请中``). A parenthesised breakdown ('（其中与四川大学共同拥有发明专利3项…）') is not counted again."""
    out: list[StatedPatentCount] = []
    for page, text in pages:
        flat = squash(text)
        for m in _STATED.finditer(flat):
            total = int(m.group("n1") or m.group("n2"))
            start = max(flat.rfind("。", 0, m.start()) + 1, m.start() - 60)
            end = flat.find("。", m.end())
            sentence = flat[start : end if end != -1 else m.end() + 80]
            tail = flat[m.end() : end if end != -1 else m.end() + 80]
            by_type: dict[str, int] = {}
            for part in _STATED_PART.finditer(tail[:80]):
                kind = part.group("a") or part.group("b")
                kind = {"外观": "外观设计"}.get(kind, kind)
                by_type.setdefault(kind, int(part.group("n") or part.group("m")))
            scope = m.group("scope") or m.group("scope2")
            out.append(StatedPatentCount(page=page, total=total, by_type=by_type, scope=scope, sentence=sentence))
        # sentences end at '。', at a lead sentence's '如下：' (its table follows) and before a heading line
        marked = "".join(f"。{ln}" if _HEADING_MARK.match(ln) else ln for ln in text.splitlines())
        for sentence in re.split(r"[。：:]", squash(marked)):
            if not _STATED.search(sentence):  # read above
                out += _clause_counts(page, sentence)
    return out


#: A count of patents: '发明专利9项', '专利共3项', '17项实用新型专利', '5项专利申请', '3项国内专利'.
_COUNT = re.compile(
    r"(?:(?P<k1>发明|实用新型|外观设计|外观)专利(?:权)?(?:申请)?|(?<![非])专利(?:权)?)(?:共计?|合计|总计)?(?P<n1>\d{1,5})(?:项|件)"
    r"|(?P<n2>\d{1,5})(?:项|件)(?:已授权的?|授权的?|国内|国外|境内|境外|中国)?(?P<k2>发明|实用新型|外观设计|外观)?(?:技术)?专利"
)
_HOLDS = re.compile(r"拥有|取得|获得|已获|持有|共有|有|提交|申请了")


def _clause_counts(page: int, sentence: str) -> list[StatedPatentCount]:
    """The granted and the applied-for counts of one sentence, clause by clause (see stated_counts)."""
    body = re.sub(r"（[^）]{0,80}）|\([^)]{0,80}\)", "", sentence)
    first = _COUNT.search(body)
    # a statement is short and says who holds what: a verb just before its first count (a table
    # flattened into text, or '…质押…5项', is not one)
    if first is None or len(body) > 200 or not _HOLDS.search(body[max(0, first.start() - 12) : first.end()]):
        return []
    found: dict[bool, tuple[int | None, dict[str, int]]] = {}
    pending = False
    for clause in re.split(r"[，；,;]", body):
        # a clause that speaks of applications at all ('…注册申请获得…受理') counts applications; one
        # that says nothing ('其中8项发明专利') is part of the clause before it
        if _PENDING_CUE.search(clause):
            pending = True
        elif _GRANTED_CUE.search(clause):
            pending = False
        for m in _COUNT.finditer(clause):
            n = int(m.group("n1") or m.group("n2"))
            kind = m.group("k1") or m.group("k2")
            total, by_type = found.get(pending, (None, {}))
            if kind:
                kind = {"外观": "外观设计"}.get(kind, kind)
                by_type = {**by_type, kind: by_type.get(kind, 0) + n}
            elif total is None:
                total = n
            found[pending] = (total, by_type)
    out = []
    for pending, (total, by_type) in found.items():
        count = total if total is not None else sum(by_type.values())
        if count:
            scope = PENDING_SCOPE if pending else None
            out.append(StatedPatentCount(page=page, total=count, by_type=by_type, scope=scope, sentence=sentence))
    return out


def stated_total(stated: Sequence[StatedPatentCount], patent_pages: Sequence[int]) -> StatedPatentCount | None:
    """The statement that describes the extracted list: one on the list's pages or the page before
    (a 境内 and a 境外 statement there add up, and so do the granted patents and the applications
    that the list's pages state: 9 granted + 13 申请中 describe a list of 22 rows), else the total the
    document repeats most often."""
    if not stated:
        return None
    if patent_pages:
        lo, hi = min(patent_pages) - 1, max(patent_pages)
        near = [s for s in stated if lo <= s.page <= hi]
        granted = _granted_statement([s for s in near if s.scope != PENDING_SCOPE])
        pending = _pending_statement(near)
        if granted and pending:
            by_type = dict(granted.by_type)
            for k, v in pending.by_type.items():
                by_type[k] = by_type.get(k, 0) + v
            return StatedPatentCount(
                page=granted.page,
                total=granted.total + pending.total,
                by_type=by_type,
                scope=granted.scope,
                sentence=f"{granted.sentence}；{pending.sentence}",
            )
        if granted or pending:
            return granted or pending
    totals: dict[int, int] = {}
    held = [s for s in stated if s.scope != PENDING_SCOPE]
    if not held:
        return None
    for s in held:
        totals[s.total] = totals.get(s.total, 0) + 1
    best = max(totals, key=lambda t: (totals[t], t))
    return max((s for s in held if s.total == best), key=lambda s: len(s.by_type))


def _pending_statement(near: Sequence[StatedPatentCount]) -> StatedPatentCount | None:
    """The applications that the list's pages state. Lead sentences that speak only of applications
    ('有3项国内专利已取得…通知书', '提交了2项发明专利申请') describe one table each and add up (the
    same count said twice counts once); else the best sentence that also states granted patents."""
    applied = [s for s in near if s.scope == PENDING_SCOPE]
    if not applied:
        return None
    mixed = {(s.page, s.sentence) for s in near if s.scope != PENDING_SCOPE}
    only: dict[tuple[int, tuple[tuple[str, int], ...]], StatedPatentCount] = {}
    for s in applied:
        if (s.page, s.sentence) not in mixed:
            only.setdefault((s.total, tuple(sorted(s.by_type.items()))), s)
    if len(only) > 1:
        return _added(list(only.values()), PENDING_SCOPE)
    if only:
        return next(iter(only.values()))
    return max(applied, key=lambda s: (len(s.by_type), s.total))


def _added(parts: Sequence[StatedPatentCount], scope: str | None) -> StatedPatentCount:
    """Statements that each count a part of one list (境内 and 境外, or two application sentences) as
    one: totals and per-type counts added, the sentences joined."""
    by_type: dict[str, int] = {}
    for s in parts:
        for k, v in s.by_type.items():
            by_type[k] = by_type.get(k, 0) + v
    return StatedPatentCount(
        page=parts[0].page,
        total=sum(s.total for s in parts),
        by_type=by_type,
        scope=scope,
        sentence="；".join(s.sentence for s in parts),
    )


#: The scope given to a statement of applications ('13项发明专利正在申请').
PENDING_SCOPE = "申请中"


def _granted_statement(near: Sequence[StatedPatentCount]) -> StatedPatentCount | None:
    """The best statement of held patents among those near the list: a 境内 and a 境外 one add up."""
    if not near:
        return None
    by_scope: dict[str | None, StatedPatentCount] = {}
    for s in near:
        by_scope.setdefault(s.scope, s)
    if len(by_scope) > 1 and None not in by_scope:
        return _added(list(by_scope.values()), None)
    return max(near, key=lambda s: (len(s.by_type), s.total))
