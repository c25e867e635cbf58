"""Summarise a located section (patents, competitors) or, failing one, the document's opening."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from core.records import Announcement, DocumentExtraction, Summary
from llm.schemas import StrictOut
from llm.tasks.base import ModelInfo, Task


class SectionSummaryOut(StrictOut):
    summary: str = Field(min_length=1, max_length=600, description="3-5 sentence summary in Chinese")
    key_points: list[Annotated[str, Field(max_length=200)]] = Field(
        max_length=6, description="short factual bullet points"
    )


@dataclass(frozen=True)
class SummaryInput:
    doc_key: str
    kind: str
    title: str
    pages: tuple[int, ...]
    text: str


_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


def summarise_offline(text: str, max_sentences: int = 4, max_chars: int = 400) -> SectionSummaryOut:
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


def _inputs(_: Sequence[Announcement], extractions: Sequence[DocumentExtraction]) -> Iterable[tuple[str, SummaryInput]]:
    for ex in extractions:
        if ex.sections:
            for s in ex.sections:
                yield ex.doc_key, SummaryInput(ex.doc_key, s.kind.value, s.title, s.pages, s.text)
        elif ex.lead_text:
            yield ex.doc_key, SummaryInput(ex.doc_key, "document", "全文开头", ex.lead_pages, ex.lead_text)


def _prompt(p: dict[str, Any]) -> str:
    what = {"patent": "专利情况", "competitor": "主要竞争对手/可比公司"}.get(p["kind"], "文件")
    return (
        f"请用中文概括下面招股说明书章节（{what}，标题：{p['title']}）的要点：summary 为 3-5 句，"
        f"key_points 为不超过 5 条事实要点（含数字的优先）。\n<text>\n{p['text']}\n</text>"
    )


def _record(item: SummaryInput, out: SectionSummaryOut, m: ModelInfo) -> Summary:
    return Summary(
        doc_key=item.doc_key,
        kind=item.kind,
        pages=item.pages,
        summary=out.summary,
        key_points=tuple(out.key_points),
        backend=m.backend,
        model=m.model_id,
    )


TASK: Task[SummaryInput, SectionSummaryOut, Summary] = Task(
    name="summary",
    version="summary-v1",
    schema=SectionSummaryOut,
    inputs=_inputs,
    payload=lambda s: {"kind": s.kind, "title": s.title, "text": s.text},
    prompt=_prompt,
    offline=lambda p: summarise_offline(p["text"]),
    record=_record,
)
