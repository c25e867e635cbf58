"""The system message every task shares. Each task's own prompt sits in its module (llm.tasks)."""

from __future__ import annotations

import json

SYSTEM = (
    "你是中国A股招股说明书与上市公司公告的分析助手。只根据给定文本作答，不要编造。"
    "Answer with one JSON object only, no prose, no code fences."
)


def with_schema(system: str, schema: dict[str, object]) -> str:
    """Providers in JSON-object mode only see the schema through the prompt."""
    return f"{system}\nThe JSON must match this JSON Schema:\n{json.dumps(schema, ensure_ascii=False)}"
