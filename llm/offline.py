"""The offline backend: deterministic, rule-based stand-ins used when no API key is configured.

Its outputs are labelled ``offline`` everywhere they appear (Excel, artifacts, logs) so nobody takes
an extractive summary or a keyword match for a model's judgement.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pydantic import BaseModel

from extractors.competitors import role_from_cues
from llm.schemas import AnnouncementClassOut, CompetitorClassOut, SectionSummaryOut

BACKEND = "offline"
MODEL = "offline-rules-v1"

_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("招股/IPO", re.compile(r"招股说明书|招股意向书|首次公开发行|上市公告书|发行公告")),
    ("问询回复", re.compile(r"问询|回复|审核意见")),
    ("定期报告", re.compile(r"年度报告|半年度报告|季度报告|年报|季报")),
    ("股东大会", re.compile(r"股东大会|股东会")),
    ("董事会/监事会", re.compile(r"董事会|监事会")),
    ("投资者关系", re.compile(r"投资者关系|调研|说明会|活动记录")),
    ("融资", re.compile(r"增发|配股|可转债|可转换公司债|债券|票据|募集资金|定向发行|发行股票")),
    ("股权变动", re.compile(r"减持|增持|质押|冻结|权益变动|股份变动|回购|持股")),
    ("重大事项", re.compile(r"重组|收购|出售|对外投资|担保|关联交易|诉讼|仲裁|合同|处罚|停牌|复牌")),
]
_FOREIGN = re.compile(
    r"美国|德国|日本|韩国|法国|英国|瑞士|瑞典|意大利|荷兰|欧洲|台湾|境外|纳斯达克|纽交所|纽约证券|东京证券|伦敦证券|总部位于(?!中国|上海|北京|深圳)"
)
_DOMESTIC = re.compile(
    r"^(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|内蒙古|广西|西藏|宁夏|新疆|深圳|广州|杭州|南京|苏州|无锡|常州|宁波|武汉|成都|西安|厦门|青岛|中国)|深交所|上交所|北交所|创业板|科创板|A股|国内"
)
_LISTED = re.compile(r"上市|股票代码|证券代码|挂牌|\b\d{6}\b|纳斯达克|纽交所|交易所")
_UNLISTED = re.compile(r"未上市|非上市|尚未上市|未公开上市")


def summarise(text: str, max_sentences: int = 4, max_chars: int = 400) -> SectionSummaryOut:
    """Extractive: the sentences with the most frequent content bigrams, in document order."""
    sentences = [s.strip() for s in _SENT.findall(text) if len(s.strip()) >= 8]
    if not sentences:
        return SectionSummaryOut(summary=(text.strip()[:max_chars] or "（无可摘要的文本）"), key_points=[])
    grams = Counter(g for s in sentences for g in _bigrams(s))
    scored = sorted(
        range(len(sentences)),
        key=lambda i: (-sum(grams[g] for g in set(_bigrams(sentences[i]))) / (1 + len(sentences[i]) ** 0.5), i),
    )
    chosen = sorted(scored[:max_sentences])
    summary = ""
    for i in chosen:
        if len(summary) + len(sentences[i]) > max_chars:
            break
        summary += sentences[i]
    points = [s[:80] for s in sentences if re.search(r"\d", s)][:5]
    return SectionSummaryOut(summary=summary or sentences[0][:max_chars], key_points=points)


def _bigrams(s: str) -> list[str]:
    chars = re.sub(r"[\s\d，、。：；（）()《》“”\"',.:;%-]", "", s)
    return [chars[i : i + 2] for i in range(len(chars) - 1)]


def classify_announcement(title: str) -> AnnouncementClassOut:
    for category, pattern in _RULES:
        m = pattern.search(title)
        if m:
            return AnnouncementClassOut(
                category=category,
                confidence=0.8,
                rationale=f"标题含关键词「{m.group(0)}」（离线规则）",
            )
    return AnnouncementClassOut(category="其他", confidence=0.3, rationale="无匹配关键词（离线规则）")


def classify_competitor(
    name: str, context: str, stock_code: str | None, section_title: str | None = None, source: str | None = None
) -> CompetitorClassOut:
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
    elif _DOMESTIC.search(name) or _DOMESTIC.search(context) or code:
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


def answer(task: str, payload: dict[str, Any]) -> BaseModel:
    if task == "summary":
        return summarise(payload["text"])
    if task == "announcement":
        return classify_announcement(payload["title"])
    if task == "competitor":
        return classify_competitor(
            payload["name"],
            payload["context"],
            payload.get("stock_code"),
            payload.get("section_title"),
            payload.get("source"),
        )
    raise ValueError(f"unknown task {task!r}")
