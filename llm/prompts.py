"""Prompts, versioned: bump a version and the cache stops serving answers to the old prompt."""

from __future__ import annotations

import json

from llm.schemas import ANNOUNCEMENT_CATEGORIES

PROMPT_VERSIONS = {"summary": "summary-v1", "announcement": "announcement-v1", "competitor": "competitor-v3"}

SYSTEM = (
    "你是中国A股招股说明书与上市公司公告的分析助手。只根据给定文本作答，不要编造。"
    "Answer with one JSON object only, no prose, no code fences."
)


def with_schema(system: str, schema: dict[str, object]) -> str:
    """Providers in JSON-object mode only see the schema through the prompt."""
    return f"{system}\nThe JSON must match this JSON Schema:\n{json.dumps(schema, ensure_ascii=False)}"


def summary_prompt(kind: str, title: str, text: str) -> str:
    what = {"patent": "专利情况", "competitor": "主要竞争对手/可比公司"}.get(kind, "文件")
    return (
        f"请用中文概括下面招股说明书章节（{what}，标题：{title}）的要点：summary 为 3-5 句，"
        f"key_points 为不超过 5 条事实要点（含数字的优先）。\n<text>\n{text}\n</text>"
    )


def announcement_prompt(title: str, sec_name: str) -> str:
    cats = "、".join(ANNOUNCEMENT_CATEGORIES)
    return f"把这条公告归入一个类别（{cats}），给出 0-1 的置信度和一句理由。\n公司：{sec_name}\n标题：{title}"


_SOURCES = {
    "table": "竞争对手表格的一行",
    "list": "竞争对手列表的一项",
    "heading": "竞争对手小标题",
    "prose": "章节正文",
}


def competitor_prompt(name: str, context: str, section: str | None = None, source: str | None = None) -> str:
    where = f"\n出处：{section or '（未知章节）'}，{_SOURCES.get(source or '', '正文')}" if section or source else ""
    return (
        "竞争对手章节里也会出现客户和供应商：先判断这家公司与发行人的关系 role"
        "（competitor 竞争对手或可比公司 / customer 客户 / supplier 供应商 / other / unknown）。"
        f"再根据上下文判断它是否上市（listed/unlisted/unknown）、是境内还是境外企业"
        f"（domestic/foreign/unknown），文本给出股票代码时填写 stock_code，否则为 null。"
        f"文本没有说明时用 unknown。\n公司：{name}{where}\n上下文：{context}"
    )
