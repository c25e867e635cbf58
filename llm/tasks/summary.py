"""Summarise a located section (patents, competitors) or, failing one, the document's opening.

Each item carries the **facts** the extraction established (patent counts by type and status, those
pledged, the as-of date; the competitors' names; the headings and key figures of an opening). The
offline backend states them as its summary, so it reads as sentences rather than cut table cells;
a model gets them in its prompt and is told to keep to them, so it is grounded on the same facts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from core.records import Announcement, DocumentExtraction, Summary
from extractors.locate import heading_in
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
    #: what the extraction established, one sentence each (the summary is built on them)
    facts: tuple[str, ...] = ()


_AS_OF = re.compile(r"截[至止](?:本招股(?:说明|意向)书签署日|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日)")
_NONE = {"", "无", "-", "—", "/", "否", "不适用"}


def patent_facts(ex: DocumentExtraction) -> tuple[str, ...]:
    """'共披露境内专利114项（发明12项、实用新型102项），其中已授权110项、申请中4项，质押16项；截至2022-12-31'."""
    if not ex.patents:
        return ()
    foreign = [p for p in ex.patents if p.region and p.region not in ("中国", "中国大陆", "境内")]
    kinds = Counter(p.patent_type.value for p in ex.patents)
    by_type = "、".join(f"{k}{n}项" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    scope = (
        f"境内专利{len(ex.patents) - len(foreign)}项、境外专利{len(foreign)}项"
        if foreign
        else f"专利{len(ex.patents)}项"
    )
    parts = [f"共披露{scope}（{by_type}）"]
    pending = sum(p.status.value == "申请中" for p in ex.patents)
    pledged = sum((p.encumbrance or "").strip() not in _NONE for p in ex.patents)
    extra = [f"申请中{pending}项" if pending else "", f"质押或有他项权利{pledged}项" if pledged else ""]
    if any(extra):
        parts.append("其中" + "、".join(e for e in extra if e))
    fact = "，".join(parts)
    for stated in ex.stated_patents:
        m = _AS_OF.search(stated.sentence)
        if m and m.group(1):
            fact += f"；截至{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
            break
        if m:
            fact += "；截至招股说明书签署日"
            break
    facts = [fact]
    declared = ex.patent_statement.total if ex.patent_statement is not None else None
    if declared is not None and declared != len(ex.patents):
        facts.append(f"文中声明{declared}项，读出{len(ex.patents)}项")
    return tuple(facts)


def competitor_facts(ex: DocumentExtraction) -> tuple[str, ...]:
    """'主要竞争对手6家：精锻科技、天润工业…' (short names where the document gives them)."""
    names: list[str] = []
    for c in ex.competitors:
        name = c.short_name or c.name
        if name not in names:
            names.append(name)
    if not names:
        return ()
    shown = "、".join(names[:12]) + ("等" if len(names) > 12 else "")
    return (f"主要竞争对手{len(names)}家：{shown}",)


_FIGURE = re.compile(
    r"(?P<label>[^\s\d，。；：:]{0,16}(?:营业收入|净利润|总资产|净资产|募集资金|发行股数|发行数量|注册资本)"
    r"[^\d\n]{0,12}?)\s*(?P<num>-?\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元|万股|股|%)?"
)


def lead_facts(text: str) -> tuple[str, ...]:
    """The headings of a document's opening and the whole sentences that state its key figures (a
    figure cut out of its sentence, 「日的净资产 40,482.37万元」, reads as a fragment: a figure printed in a
    table row or a heading, not in a sentence, is left out)."""
    heads: list[str] = []
    for line in text.splitlines():
        found = heading_in(line)
        if found and found[0] <= 1 and line.strip() not in heads:  # chapters (第一节) and their parts (一、)
            heads.append(line.strip())
    facts = [f"主要章节：{'；'.join(heads[:6])}"] if heads else []
    figures: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if _FIGURE.search(line):
            for sentence in _SENT.findall(_paragraph_around(lines, i)):
                sentence = sentence.strip()
                if _FIGURE.search(sentence) and _is_sentence(sentence) and sentence not in figures:
                    figures.append(sentence)
    facts += figures[:3]
    return tuple(facts)


#: a printed line that stops mid-sentence ends with a Han character or inner punctuation (not with 。, a
#: page number or a figure, as a table-of-contents line or a table row does)
_OPEN_END = re.compile(r"[\u4e00-\u9fff，、（“《]$")
_CLOSED_END = ("。", "！", "？", "；", "!", "?", ";")


def _paragraph_around(lines: Sequence[str], i: int, reach: int = 4) -> str:
    """The printed lines around line ``i`` that belong to its sentences: back over lines that stop
    mid-sentence, forward until one that closes a sentence (at most ``reach`` lines each way)."""
    start = i
    while start > i - reach and start > 0 and _OPEN_END.search(lines[start - 1]) and not heading_in(lines[start - 1]):
        start -= 1
    end = i
    while end < i + reach and end + 1 < len(lines) and not lines[end].endswith(_CLOSED_END):
        if heading_in(lines[end + 1]) or not lines[end + 1]:
            break
        end += 1
    return "".join(lines[start : end + 1])


_LINE_BREAK = re.compile(  # \s{0,16}, not \s*: a run of blank lines made the lookahead quadratic
    r"(?<![。！？；：:])\n(?!\s{0,16}(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+、))"
)


def _joined(text: str) -> str:
    """Lines of one paragraph joined (a PDF breaks sentences at every printed line)."""
    return _LINE_BREAK.sub("", text)


_SENT = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


def summarise_offline(
    text: str, facts: Sequence[str] = (), max_sentences: int = 4, max_chars: int = 400
) -> SectionSummaryOut:
    """The facts first, as sentences; then, for room left, the document's own sentences with the most
    frequent content bigrams (whole sentences of joined lines; table rows read as text are not
    sentences and are left out). Key points: the facts, then sentences with figures."""
    sentences = [s.strip() for s in _SENT.findall(_joined(text)) if _is_sentence(s.strip())]
    lead = "；".join(f.rstrip("。；;") for f in facts) + ("。" if facts else "")
    if not sentences:  # no whole sentence to quote: the facts, or say so (never a cut fragment)
        summary = lead or "（无可摘要的整句）"
        return SectionSummaryOut(summary=summary[:max_chars], key_points=list(facts)[:6])
    grams = Counter(g for s in sentences for g in _bigrams(s))
    scored = sorted(
        range(len(sentences)),
        key=lambda i: (-sum(grams[g] for g in set(_bigrams(sentences[i]))) / (1 + len(sentences[i]) ** 0.5), i),
    )
    chosen = sorted(scored[: max(0, max_sentences - len(facts))])
    summary = lead
    for i in chosen:
        if len(summary) + len(sentences[i]) > max_chars:
            break
        summary += sentences[i]
    points = [*facts, *(s for s in sentences if re.search(r"\d", s) and s not in summary)][:5]
    return SectionSummaryOut(summary=(summary or sentences[0])[:max_chars], key_points=[p[:200] for p in points])


def _is_sentence(s: str) -> bool:
    """A sentence of prose: long enough, ending as sentences end, mostly CJK, no phrase repeated
    (a table read line by line repeats its column labels: '专利权维 原始取专利权维 原始取')."""
    if not 12 <= len(s) <= 300 or s[-1] not in "。！？；;":
        return False
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in s)
    if cjk < 0.5 * len(s.replace(" ", "")):
        return False
    flat = re.sub(r"\s+", "", s)
    grams = [flat[i : i + 4] for i in range(len(flat) - 3)]
    return len(grams) == len(set(grams)) or len(set(grams)) >= 0.9 * len(grams)


def _bigrams(s: str) -> list[str]:
    chars = re.sub(r"[\s\d，、。：；（）()《》“”\"',.:;%-]", "", s)
    return [chars[i : i + 2] for i in range(len(chars) - 1)]


def _inputs(_: Sequence[Announcement], extractions: Sequence[DocumentExtraction]) -> Iterable[tuple[str, SummaryInput]]:
    for ex in extractions:
        if ex.sections:
            for s in ex.sections:
                facts = patent_facts(ex) if s.kind.value == "patent" else competitor_facts(ex)
                yield ex.doc_key, SummaryInput(ex.doc_key, s.kind.value, s.title, s.pages, s.text, facts)
        elif ex.lead_text:
            facts = lead_facts(ex.lead_text)
            yield ex.doc_key, SummaryInput(ex.doc_key, "document", "全文开头", ex.lead_pages, ex.lead_text, facts)


def _prompt(p: dict[str, Any]) -> str:
    what = {"patent": "专利情况", "competitor": "主要竞争对手/可比公司"}.get(p["kind"], "文件")
    facts = p.get("facts") or []
    grounding = (
        "已从文件中提取的事实如下，数字和名称以此为准，不得改动：\n" + "\n".join(f"- {f}" for f in facts) + "\n"
        if facts
        else ""
    )
    return (
        f"请用中文概括下面招股说明书章节（{what}，标题：{p['title']}）的要点：summary 为 3-5 句，"
        f"key_points 为不超过 5 条事实要点（含数字的优先）。\n{grounding}<text>\n{p['text']}\n</text>"
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
    version="summary-v2",
    schema=SectionSummaryOut,
    inputs=_inputs,
    payload=lambda s: {"kind": s.kind, "title": s.title, "text": s.text, "facts": list(s.facts)},
    prompt=_prompt,
    offline=lambda p: summarise_offline(p["text"], p.get("facts") or ()),
    record=_record,
)
