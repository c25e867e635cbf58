"""Competitors and comparable companies named by a model from the located competition sections.

The model reads the pages of the document's competitor sections (``Section.kind == competitor``)
and returns each company it finds named there as a competitor (竞争对手) or a comparable company
(可比公司), with the page it is printed on and a quote from that page. Its answer is **grounded**
before anything is kept: a name is accepted only when it is printed on the page it names, and the
quote is printed on that page too (both compared after NFKC and with whitespace removed, so a name
broken over two printed lines still matches). Anything else is rejected, counted, logged and noted
in the document's warnings: no company the document does not print reaches the sheet.

The accepted names are then merged with the rules' (:func:`merge_mentions`): the same firm is one
mention, marked as found by both, with both roles when the two disagree.

Bounded input: at most :data:`MAX_CHARS_PER_CALL` characters of page text per call. Pages are
packed into calls in page order; a page longer than the cap is split at line breaks into parts,
each sent with its page number (the grounding check still reads the whole page).

Offline (no key configured) the backend names nothing: the rules stand alone, and the answer is
labelled ``offline`` like every other offline output.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from core.records import (
    Announcement,
    CompetitorMention,
    CompetitorRole,
    DocumentExtraction,
    FoundBy,
    Record,
    SectionKind,
)
from extractors import companies
from llm.schemas import StrictOut
from llm.tasks.base import ModelInfo, Task

log = logging.getLogger(__name__)

#: Characters of page text in one call (about 4,000 tokens of Chinese): room for the prompt, the
#: schema and an answer of a few dozen companies within a 16k context. Longer sections take more calls.
MAX_CHARS_PER_CALL = 4000

#: The answer's token budget (PP_LLM_MAX_TOKENS when that is larger): a few dozen companies, each
#: with a quote of up to 60 characters, run past the default 1,024 (a cut answer is an error).
ANSWER_TOKENS = 4096

#: Roles and finders in the order the sheet shows them
ROLE_ORDER: tuple[CompetitorRole, ...] = ("竞争对手", "可比公司")
FOUND_ORDER: tuple[FoundBy, ...] = ("rules", "model")


class NamedCompany(StrictOut):
    name: str = Field(min_length=1, max_length=80, description="公司名称，按该页印刷原文逐字照抄（有全称用全称）")
    short_name: str | None = Field(max_length=40, description="文中给出的简称，没有则为 null")
    role: CompetitorRole = Field(description="竞争对手，或 可比公司（文中称同行业可比公司/可比上市公司时）")
    page: int = Field(ge=1, description="名称所在页的页码，即 <page n=…> 的 n")
    evidence: str = Field(min_length=1, max_length=120, description="从该页逐字摘录、含该名称的一句话")


class CompetitorExtractOut(StrictOut):
    companies: list[NamedCompany] = Field(max_length=40, description="文中点名的每一家公司；没有则为空列表")


@dataclass(frozen=True)
class CompetitionPages:
    """One call's worth of a document's competition pages."""

    doc_key: str
    #: (page, the text sent for it): a whole page, or one part of a page longer than the cap
    sent: tuple[tuple[int, str], ...]
    #: each page's whole text (what names and quotes are checked against) and its section's title
    page_text: Mapping[int, str] = field(compare=False)
    titles: Mapping[int, str] = field(compare=False)


class ModelCompetitors(Record):
    """What one call kept after grounding, and what it rejected (with why)."""

    doc_key: str
    pages: tuple[int, ...]
    mentions: tuple[CompetitorMention, ...]
    rejected: tuple[str, ...] = ()
    backend: str


def flat(text: str) -> str:
    """The form names and quotes are compared in: NFKC (full-width brackets and letters folded), no
    whitespace (a PDF line break can fall inside a name)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def competition_pages(ex: DocumentExtraction) -> list[tuple[int, str, str]]:
    """(page, its section's title, its text) of every page of the competitor sections, in page order,
    each page once. A section whose page offsets are unknown (stored before they were kept) is left
    out: its names could not be checked against one page."""
    seen: dict[int, tuple[str, str]] = {}
    for s in ex.sections:
        if s.kind != SectionKind.COMPETITOR:
            continue
        texts = s.page_texts()
        if not texts:
            log.warning("%s: section %r has no page offsets; the model does not read it", ex.doc_key, s.title)
        for page, text in texts:
            if page not in seen and text.strip():
                seen[page] = (s.title, text)
    return [(p, seen[p][0], seen[p][1]) for p in sorted(seen)]


def _pieces(text: str, cap: int) -> list[str]:
    """``text`` in parts of at most ``cap`` characters, cut at line breaks (a longer line is cut hard)."""
    if len(text) <= cap:
        return [text]
    out, cur = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > cap:
            if cur:
                out.append(cur)
                cur = ""
            out.append(line[:cap])
            line = line[cap:]
        if len(cur) + len(line) > cap:
            out.append(cur)
            cur = ""
        cur += line
    if cur:
        out.append(cur)
    return out


def chunks(pages: Sequence[tuple[int, str]], cap: int = MAX_CHARS_PER_CALL) -> list[tuple[tuple[int, str], ...]]:
    """Pages packed into calls of at most ``cap`` characters of text each, in page order."""
    out: list[tuple[tuple[int, str], ...]] = []
    cur: list[tuple[int, str]] = []
    size = 0
    for page, text in pages:
        for piece in _pieces(text, cap):
            if cur and size + len(piece) > cap:
                out.append(tuple(cur))
                cur, size = [], 0
            cur.append((page, piece))
            size += len(piece)
    if cur:
        out.append(tuple(cur))
    return out


def _inputs(
    _: Sequence[Announcement], extractions: Sequence[DocumentExtraction]
) -> Iterable[tuple[str, CompetitionPages]]:
    for ex in extractions:
        pages = competition_pages(ex)
        page_text = {p: text for p, _, text in pages}
        titles = {p: title for p, title, _ in pages}
        for sent in chunks([(p, text) for p, _, text in pages]):
            yield ex.doc_key, CompetitionPages(ex.doc_key, sent, page_text, titles)


def _prompt(p: dict[str, Any]) -> str:
    pages = "\n".join(f'<page n="{x["page"]}">\n{x["text"]}\n</page>' for x in p["pages"])
    return (
        "下面是一份招股说明书中介绍行业竞争情况的页面，每页以 <page n=…> 标出页码。"
        "找出文中作为发行人的竞争对手或同行业可比公司点名的每一家公司（企业、集团、上市公司、境外公司）。"
        "不要列出：产品、品牌、技术、材料、行业协会、政府机构、客户、供应商、发行人自身及其子公司，"
        "以及竞争对手介绍中提到的其子公司或股东。\n"
        "name：该页印刷的公司名称，逐字照抄，不加不减（有全称用全称）；short_name：文中给出的简称，没有则为 null；"
        "role：竞争对手，或 可比公司（文中称“可比公司”“同行业可比上市公司”时）；page：名称所在页的 n；"
        "evidence：从该页逐字摘录的一句话（不超过 60 字），其中含有该名称。"
        "只列文中印出的公司，不得编造；一家也没有时 companies 为空列表。\n"
        f"{pages}"
    )


def ground(item: CompetitionPages, out: CompetitorExtractOut) -> tuple[list[CompetitorMention], list[str]]:
    """The answer's companies that are printed where the model says (see the module docstring), as
    mentions found by the model; and why each other one was rejected."""
    given = {p for p, _ in item.sent}
    kept: dict[str, CompetitorMention] = {}
    rejected: list[str] = []
    for c in out.companies:
        name, page = " ".join(c.name.split()), c.page
        text = flat(item.page_text.get(page, ""))
        why = (
            "所注页不在所读页面中" if page not in given
            else "名称过短" if len(flat(name)) < 2
            else "名称不在所注页" if flat(name) not in text
            else "引文不在所注页" if flat(c.evidence) not in text
            # the rules' company-name gate: a product, a phrase or a fragment is no company
            else "不像公司名称" if not companies.looks_like_company(name, name_position=True)
            else ""
        )  # fmt: skip
        if why:
            rejected.append(f"{name}（第{page}页：{why}）")
            continue
        short = " ".join(c.short_name.split()) if c.short_name else None
        if short and (flat(short) not in text or flat(short) == flat(name)):
            short = None  # a short name not printed on that page is dropped, the name kept
        key = flat(name)
        if key in kept:  # named twice in one answer: one mention, both roles
            kept[key] = kept[key].model_copy(update={"roles": _union(kept[key].roles, (c.role,), ROLE_ORDER)})
            continue
        kept[key] = CompetitorMention(
            doc_key=item.doc_key,
            name=name,
            page=page,
            context=" ".join(c.evidence.split()),
            short_name=short,
            section_title=item.titles.get(page),
            roles=(c.role,),
            found_by=("model",),
        )
    return list(kept.values()), rejected


def _record(item: CompetitionPages, out: CompetitorExtractOut, info: ModelInfo) -> ModelCompetitors:
    mentions, rejected = ground(item, out)
    if rejected:
        log.info(
            "%s: %d model names rejected by the grounding check: %s", item.doc_key, len(rejected), "；".join(rejected)
        )
    return ModelCompetitors(
        doc_key=item.doc_key,
        pages=tuple(sorted({p for p, _ in item.sent})),
        mentions=tuple(mentions),
        rejected=tuple(rejected),
        backend=info.label,
    )


def extract_offline(_: dict[str, Any]) -> CompetitorExtractOut:
    """The offline backend names no company (离线：不调用模型，竞争对手只来自规则): the rules stand alone."""
    return CompetitorExtractOut(companies=[])


# --- merging the model's names with the rules' ---------------------------------------------------------


def _union(a: Sequence[Any], b: Sequence[Any], order: Sequence[Any]) -> tuple[Any, ...]:
    both = set(a) | set(b)
    return tuple(x for x in order if x in both)


def _names(m: CompetitorMention) -> set[str]:
    return {flat(n) for n in (m.name, m.short_name) if n}


def same_firm(a: CompetitorMention, b: CompetitorMention) -> bool:
    """The same firm: the same name, or one's short name or full name is the other's name or short name,
    or two printed names of one firm as the rules' gate sees them (理光 / 日本理光, 福建鸿博股份 /
    福建鸿博印刷股份)."""
    if _names(a) & _names(b):
        return True
    return any(
        companies.same_firm(x, y)
        for x in (a.name, a.short_name) if x
        for y in (b.name, b.short_name) if y
    )  # fmt: skip


def _merged(r: CompetitorMention, m: CompetitorMention) -> CompetitorMention:
    """``r`` (kept: its page, context and source) marked as found by ``m``'s finders too, with both
    roles. Where ``r`` has only the short name that ``m`` gives beside a full name, the full name is
    taken and ``r``'s name becomes the short name."""
    update: dict[str, Any] = {
        "roles": _union(r.roles, m.roles, ROLE_ORDER),
        "found_by": _union(r.found_by, m.found_by, FOUND_ORDER),
    }
    if r.short_name is None and m.short_name and flat(m.short_name) == flat(r.name) and flat(m.name) != flat(r.name):
        update |= {"name": m.name, "short_name": r.name}
    elif r.short_name is None and m.short_name and flat(m.short_name) != flat(r.name):
        update["short_name"] = m.short_name
    return r.model_copy(update=update)


def merge_mentions(
    rules: Sequence[CompetitorMention], model: Sequence[CompetitorMention]
) -> tuple[CompetitorMention, ...]:
    """One list: the rules' mentions in their order, each one that the model also named marked as
    found by both (with the union of roles); then the model's other names, found by the model only,
    each firm once (pure)."""
    out = list(rules)
    for m in model:
        hits = [i for i, r in enumerate(out) if same_firm(r, m)]
        for i in hits:
            out[i] = _merged(out[i], m)
        if not hits:
            out.append(m)
    return tuple(out)


def _fold(ex: DocumentExtraction, records: Sequence[ModelCompetitors]) -> DocumentExtraction:
    """The document's competitors merged with the model's grounded names; the rejected ones noted."""
    model = [m for r in records for m in r.mentions]
    rejected = [x for r in records for x in r.rejected]
    if not model and not rejected:
        return ex
    merged = merge_mentions(ex.competitors, model)
    log.info(
        "%s: the model named %d companies on its pages (%d rejected); %d of the rules' %d confirmed, %d added",
        ex.doc_key,
        len(model),
        len(rejected),
        sum("model" in c.found_by for c in merged[: len(ex.competitors)]),
        len(ex.competitors),
        len(merged) - len(ex.competitors),
    )
    notes = ex.warnings
    if rejected:
        shown = "；".join(rejected[:8]) + ("等" if len(rejected) > 8 else "")
        notes = (*notes, f"模型答出的{len(rejected)}个名称未通过页面核对，已剔除：{shown}")
    return ex.model_copy(update={"competitors": merged, "warnings": notes})


TASK: Task[CompetitionPages, CompetitorExtractOut, ModelCompetitors] = Task(
    name="competitor_extract",
    version="competitor-extract-v1",
    schema=CompetitorExtractOut,
    inputs=_inputs,
    payload=lambda c: {"pages": [{"page": p, "text": t} for p, t in c.sent]},
    prompt=_prompt,
    offline=extract_offline,
    record=_record,
    fold=_fold,
    max_tokens=ANSWER_TOKENS,
)
