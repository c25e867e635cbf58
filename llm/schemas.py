"""What the model must return, as pydantic models (validated; also sent as JSON Schema)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

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


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SectionSummaryOut(_Out):
    summary: str = Field(min_length=1, max_length=600, description="3-5 sentence summary in Chinese")
    key_points: list[str] = Field(max_length=6, description="short factual bullet points")


class AnnouncementClassOut(_Out):
    category: AnnouncementCategory
    confidence: float = Field(ge=0, le=1)
    rationale: str = Field(max_length=300)


CompetitorRole = Literal["competitor", "customer", "supplier", "other", "unknown"]


class CompetitorClassOut(_Out):
    role: CompetitorRole = Field(description="the company's relation to the issuer in this text")
    listed: Literal["listed", "unlisted", "unknown"]
    domicile: Literal["domestic", "foreign", "unknown"]
    stock_code: str | None = Field(description="exchange code if the text gives one, else null")
    rationale: str = Field(max_length=300)


def strict_json_schema(model: type[BaseModel]) -> dict[str, object]:
    """JSON Schema for OpenAI ``strict`` structured outputs: every property required, no extras."""
    schema = model.model_json_schema()

    def fix(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for key in ("title", "default"):
                node.pop(key, None)
            for v in node.values():
                fix(v)
        elif isinstance(node, list):
            for v in node:
                fix(v)

    fix(schema)
    return schema
