"""Classify an announcement title into a category, with confidence and a reason."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal, get_args

from pydantic import Field

from core.records import Announcement, AnnouncementLabel, DocumentExtraction
from llm.schemas import StrictOut
from llm.tasks.base import ModelInfo, Task

AnnouncementCategory = Literal[
    "招股/IPO",
    "定期报告",
    "股东大会",
    "董事会/监事会",
    "融资",
    "股权变动",
    "重大事项",
    "问询回复",
    "投资者关系",
    "其他",
]
ANNOUNCEMENT_CATEGORIES: tuple[str, ...] = get_args(AnnouncementCategory)


class AnnouncementClassOut(StrictOut):
    category: AnnouncementCategory
    confidence: float = Field(ge=0, le=1)
    rationale: str = Field(max_length=300)


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


def classify_offline(title: str) -> AnnouncementClassOut:
    """The first category whose keywords the title contains (离线规则)."""
    for category, pattern in _RULES:
        m = pattern.search(title)
        if m:
            return AnnouncementClassOut(
                category=category,
                confidence=0.8,
                rationale=f"标题含关键词「{m.group(0)}」（离线规则）",
            )
    return AnnouncementClassOut(category="其他", confidence=0.3, rationale="无匹配关键词（离线规则）")


def _inputs(anns: Sequence[Announcement], _: Sequence[DocumentExtraction]) -> Iterable[tuple[str, Announcement]]:
    return ((a.key, a) for a in anns)


def _prompt(p: dict[str, Any]) -> str:
    cats = "、".join(ANNOUNCEMENT_CATEGORIES)
    return f"把这条公告归入一个类别（{cats}），给出 0-1 的置信度和一句理由。\n公司：{p['sec_name']}\n标题：{p['title']}"


def _record(a: Announcement, out: AnnouncementClassOut, m: ModelInfo) -> AnnouncementLabel:
    return AnnouncementLabel(
        key=a.key,
        title=a.title,
        category=out.category,
        confidence=out.confidence,
        rationale=out.rationale,
        backend=m.label,
    )


TASK: Task[Announcement, AnnouncementClassOut, AnnouncementLabel] = Task(
    name="announcement",
    version="announcement-v1",
    schema=AnnouncementClassOut,
    inputs=_inputs,
    payload=lambda a: {"title": a.title, "sec_name": a.sec_name},
    prompt=_prompt,
    offline=lambda p: classify_offline(p["title"]),
    record=_record,
)
