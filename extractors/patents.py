"""Normalise patent tables into :class:`~core.records.PatentRecord` (pure).

Header cells are mapped to fields by keyword (专利名称, 专利号/申请号, 专利类型, 申请日, 授权日/授权公告日,
专利权人/权利人, 取得方式, 有效期/保护期限, 状态). The patent type is read from its column or, when absent,
from the application number itself (its fifth digit: 1 发明, 2 实用新型, 3 外观设计). Where only a
validity period is printed (``2009.3.5-2029.3.4``), its start is the filing date: a Chinese patent's
term runs from its application date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from core.records import PatentRecord, PatentType
from extractors.text import squash

FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("seq", re.compile(r"^(序号|编号|No\.?)$")),
    ("number", re.compile(r"专利号|申请号|专利申请号|授权号")),
    ("name", re.compile(r"专利名称|^专利名$|发明名称|^名称$")),
    ("patent_type", re.compile(r"专利类型|专利类别|^类型$|^类别$|^种类$")),
    ("application_date", re.compile(r"申请日|申请时间")),
    ("grant_date", re.compile(r"授权日|授权公告日|公告日|授权时间")),
    ("owner", re.compile(r"专利权人|权利人|所有权人|申请人|权属人")),
    ("acquisition", re.compile(r"取得方式|取得途径|来源")),
    ("validity", re.compile(r"有效期|保护期|期限")),
    ("status", re.compile(r"状态")),
]

_DATE = re.compile(r"((?:19|20)\d{2})\s*[./\-年]\s*(\d{1,2})\s*[./\-月]\s*(\d{1,2})")
_NUMBER = re.compile(r"(ZL)?\s*((?:19|20)?\d{8,12})\s*\.?\s*([\dXx])", re.I)


def map_header(header: Sequence[str]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for i, cell in enumerate(header):
        label = squash(cell)
        if not label:
            continue
        for field, pattern in FIELDS:
            if field not in mapping and pattern.search(label):
                # "专利号/申请号 … 专利名称": a cell can only be one field
                mapping[field] = i
                break
    return mapping


def is_patent_header(header: Sequence[str]) -> bool:
    m = map_header(header)
    return "name" in m and "number" in m


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


def normalise_number(text: str) -> str:
    """'ZL201721875808.X', 'ZL202311045\\n168.X' → 'ZL202311045168.X'; keeps foreign numbers as printed."""
    flat = squash(text).upper()
    m = _NUMBER.fullmatch(flat)
    if m:
        return f"{m.group(1) or ''}{m.group(2)}.{m.group(3)}"
    return flat


def type_from_number(number: str) -> PatentType | None:
    digits = re.sub(r"\D", "", normalise_number(number).split(".")[0]) if number else ""
    code = None
    if len(digits) == 12:
        code = digits[4]
    elif len(digits) == 8:
        code = digits[2]
    return {
        "1": PatentType.INVENTION,
        "8": PatentType.INVENTION,
        "2": PatentType.UTILITY,
        "9": PatentType.UTILITY,
        "3": PatentType.DESIGN,
    }.get(code or "")


def parse_type(text: str | None, number: str) -> PatentType:
    label = squash(text or "")
    if "发明" in label:
        return PatentType.INVENTION
    if "实用" in label or "新型" in label:
        return PatentType.UTILITY
    if "外观" in label or "设计" in label:
        return PatentType.DESIGN
    return type_from_number(number) or PatentType.OTHER


def _cell(row: Sequence[str], mapping: dict[str, int], field: str) -> str | None:
    i = mapping.get(field)
    if i is None or i >= len(row):
        return None
    value = row[i].strip()
    return value or None


def rows_to_patents(
    doc_key: str, header: Sequence[str], rows: Sequence[tuple[int, Sequence[str]]], default_owner: str | None = None
) -> list[PatentRecord]:
    """Rows (page, cells) of a patent table → records. Note rows and half-empty rows are skipped."""
    mapping = map_header(header)
    if "name" not in mapping or "number" not in mapping:
        return []
    out: list[PatentRecord] = []
    for page, row in rows:
        raw_number = _cell(row, mapping, "number")
        name = _cell(row, mapping, "name")
        if not raw_number or not name or squash(raw_number).startswith("注"):
            continue
        if not re.search(r"\d{4}", raw_number):
            continue  # a header repeated inside the table (MinerU, cross-page splits)
        if mapping.get("name") == mapping.get("number"):
            continue
        number = normalise_number(raw_number)
        validity = _cell(row, mapping, "validity")
        app_date = parse_date(_cell(row, mapping, "application_date"))
        if app_date is None and validity:
            app_date = parse_date(validity.split("-")[0] if "-" in validity else validity)
        out.append(
            PatentRecord(
                doc_key=doc_key,
                page=page,
                seq=_cell(row, mapping, "seq"),
                name=re.sub(r"\s+", " ", name),
                number=number,
                patent_type=parse_type(_cell(row, mapping, "patent_type"), number),
                application_date=app_date,
                grant_date=parse_date(_cell(row, mapping, "grant_date")),
                owner=_cell(row, mapping, "owner") or default_owner,
                acquisition=squash(_cell(row, mapping, "acquisition") or "") or None,
                validity=validity,
                status=squash(_cell(row, mapping, "status") or "") or None,
            )
        )
    return out
