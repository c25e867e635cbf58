"""Classify a company named in a competitor chapter: its role, listed or not, domestic or foreign."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import Field

from core.places import LEADING_PLACE
from core.records import Announcement, CompetitorLabel, CompetitorMention, DocumentExtraction
from llm.schemas import StrictOut
from llm.tasks.base import ModelInfo, Task

CompetitorRole = Literal["competitor", "customer", "supplier", "other", "unknown"]


class CompetitorClassOut(StrictOut):
    role: CompetitorRole = Field(description="the company's relation to the issuer in this text")
    listed: Literal["listed", "unlisted", "unknown"]
    domicile: Literal["domestic", "foreign", "unknown"]
    stock_code: str | None = Field(max_length=12, description="exchange code if the text gives one, else null")
    rationale: str = Field(max_length=300)


#: Competitor chapters also name customers ("主要客户", "整车厂商特斯拉、广汽集团") and suppliers
#: ("向东风锻造有限公司等采购"). The offline classifier assigns a role from
#: these cues: the nearest cue to the name wins.
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


_FOREIGN = re.compile(
    r"美国|德国|日本|韩国|法国|英国|瑞士|瑞典|意大利|荷兰|欧洲|台湾|境外|纳斯达克|纽交所|纽约证券|东京证券|伦敦证券|总部位于(?!中国|上海|北京|深圳)"
)
_DOMESTIC = re.compile(r"深交所|上交所|北交所|创业板|科创板|A股|国内")
_LISTED = re.compile(r"上市|股票代码|证券代码|挂牌|\b\d{6}\b|纳斯达克|纽交所|交易所")
_UNLISTED = re.compile(r"未上市|非上市|尚未上市|未公开上市")


def classify_offline(
    name: str, context: str, stock_code: str | None, section_title: str | None = None, source: str | None = None
) -> CompetitorClassOut:
    """Keyword rules (离线规则): listed from a code or 上市 cue, domicile from places and markets,
    role from the nearest cue, or competitor for an entry of the chapter's own table, list or
    sub-headings."""
    text = f"{name} {context}"
    code = stock_code or (m.group(0) if (m := re.search(r"(?<!\d)[036]\d{5}(?!\d)", context)) else None)
    if _UNLISTED.search(text):
        listed = "unlisted"
    elif code or _LISTED.search(context):
        listed = "listed"
    else:
        listed = "unknown"
    if _FOREIGN.search(text) or re.fullmatch(r"[A-Za-z0-9 .,&\-]+", name):
        domicile = "foreign"
    elif LEADING_PLACE.search(name) or LEADING_PLACE.search(context) or _DOMESTIC.search(text) or code:
        domicile = "domestic"
    else:
        domicile = "unknown"
    at = context.find(name)
    role = role_from_cues(context, at, at + len(name)) if at >= 0 else "unknown"
    if role == "unknown" and section_title and source in ("table", "list", "heading"):
        role = "competitor"  # an entry of the competitor chapter's own table, list or sub-headings
    return CompetitorClassOut(
        role=role,
        listed=listed,
        domicile=domicile,
        stock_code=code,
        rationale="关键词规则判断（离线规则，非模型结论）",
    )


def _inputs(
    _: Sequence[Announcement], extractions: Sequence[DocumentExtraction]
) -> Iterable[tuple[str, CompetitorMention]]:
    return ((ex.doc_key, c) for ex in extractions for c in ex.competitors)


_SOURCES = {
    "table": "竞争对手表格的一行",
    "list": "竞争对手列表的一项",
    "heading": "竞争对手小标题",
    "prose": "章节正文",
}


_ASK = (
    "竞争对手章节里也会出现客户和供应商：先判断这家公司与发行人的关系 role"
    "（competitor 竞争对手或可比公司 / customer 客户 / supplier 供应商 / other / unknown）。"
    "再根据上下文判断它是否上市（listed/unlisted/unknown）、是境内还是境外企业"
    "（domestic/foreign/unknown），文本给出股票代码时填写 stock_code，否则为 null。"
    "文本没有说明时用 unknown。"
)


def _where(p: dict[str, Any]) -> str:
    section, source = p.get("section_title"), p.get("source")
    return f"{section or '（未知章节）'}，{_SOURCES.get(source or '', '正文')}" if section or source else ""


def _prompt(p: dict[str, Any]) -> str:
    where = f"\n出处：{w}" if (w := _where(p)) else ""
    return f"{_ASK}\n公司：{p['name']}{where}\n上下文：{p['context']}"


def _group_prompt(items: Sequence[dict[str, Any]]) -> str:
    """Several companies of one document: the same question for each, the companies as one JSON list
    (each with its ``id``), the answers as a list with one entry per id."""
    listed = [{"id": p["id"], "公司": p["name"], "出处": _where(p) or None, "上下文": p["context"]} for p in items]
    return (
        f"下面列出同一份招股说明书中的 {len(items)} 家公司，每家都有编号 id。对每一家分别作答：{_ASK}"
        "各家只依据它自己的上下文判断；rationale 简短（不超过 60 字）。"
        f"answers 中每个 id 恰好一条，共 {len(items)} 条。\n" + json.dumps(listed, ensure_ascii=False)
    )


#: Competitors of one document classified in one call (a prospectus names 5-20): each answer is about
#: 60-120 tokens (three labels, a code, a short rationale), so 20 of them ask for at most
#: 20 × GROUP_ITEM_TOKENS = 4,000 tokens, within every common endpoint's output limit (8k); a longer
#: list is split into even groups. A cut answer (finish_reason=length) sends its items alone.
GROUP_SIZE = 20
GROUP_ITEM_TOKENS = 200


def _record(m: CompetitorMention, out: CompetitorClassOut, info: ModelInfo) -> CompetitorLabel:
    return CompetitorLabel(
        doc_key=m.doc_key,
        name=m.name,
        role=out.role,
        listed=out.listed,
        domicile=out.domicile,
        stock_code=out.stock_code or m.stock_code,
        rationale=out.rationale,
        backend=info.label,
    )


TASK: Task[CompetitorMention, CompetitorClassOut, CompetitorLabel] = Task(
    name="competitor",
    version="competitor-v3",
    schema=CompetitorClassOut,
    inputs=_inputs,
    payload=lambda m: {
        "name": m.name,
        "context": m.context,
        "stock_code": m.stock_code,
        "section_title": m.section_title,
        "source": m.source,
    },
    prompt=_prompt,
    offline=lambda p: classify_offline(
        p["name"], p["context"], p.get("stock_code"), p.get("section_title"), p.get("source")
    ),
    record=_record,
    group_size=GROUP_SIZE,
    group_prompt=_group_prompt,
    group_item_tokens=GROUP_ITEM_TOKENS,
)
