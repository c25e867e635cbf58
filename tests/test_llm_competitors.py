"""The model's competitor names (llm.tasks.competitor_extract) on real pages, with a fake model at the
protocol level: grounding on the named page, the merge with the rules' names, the roles, offline and
the cache. Pages: 001282's full text, pp. 121-123 (主要竞争对手 + 同行业可比公司, a table whose company
names are broken over several printed lines)."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from core.records import CompetitorMention, CompetitorRole, Document, DocumentExtraction, LLMUsage, Section, SectionKind
from extractors.document import _section, extract_text_pages
from extractors.locate import Located, split_fulltext_pages
from extractors.pdftext import PdfText
from llm.client import OfflineModel, Prompt, RawAnswer
from llm.service import Cache, LLMService
from llm.tasks import ALL_TASKS, EXTRACTION_TASKS
from llm.tasks.competitor_extract import MAX_CHARS_PER_CALL, TASK, chunks, flat, merge_mentions
from report import RunReport
from report.sheets import COMPETITORS, Context
from tests.conftest import TEXT

KEY = "cninfo:1216830304"


@cache
def pages_001282() -> list[str]:
    return split_fulltext_pages((TEXT / "001282_sanlian_forging_prospectus_fulltext_pages.md").read_text("utf-8"))


def extraction(rules: tuple[CompetitorMention, ...], pages: tuple[int, ...] = (121, 122, 123)) -> DocumentExtraction:
    """001282 with its competitor section on ``pages`` and the given rules' mentions."""
    text = PdfText(pages_001282())
    section = _section(KEY, Located(SectionKind.COMPETITOR, "（二）公司主要竞争对手", pages, "heading"), text)
    return DocumentExtraction(
        doc_key=KEY,
        pages=text.page_count,
        patent_pages=(),
        competitor_pages=pages,
        sections=(section,),
        tables=(),
        patents=(),
        competitors=rules,
    )


def rule(name: str, short: str | None = None, page: int = 121) -> CompetitorMention:
    return CompetitorMention(doc_key=KEY, name=name, page=page, context=f"{name}……", short_name=short, source="table")


def said(
    name: str, page: int, context: str, role: CompetitorRole = "竞争对手", short: str | None = None
) -> CompetitorMention:
    """A mention as the model's grounded answer gives it."""
    return CompetitorMention(doc_key=KEY, name=name, page=page, context=context, short_name=short,
                             roles=(role,), found_by=("model",))  # fmt: skip


def company(name: str, page: int, evidence: str, role: str = "竞争对手", short: str | None = None) -> dict[str, Any]:
    return {"name": name, "short_name": short, "role": role, "page": page, "evidence": evidence}


class PageModel:
    """A Model that names, in each call, the companies whose ``asked`` page (default: their own) it
    was given; it records every prompt. ``fail``: any call is an error (a rerun must not call it)."""

    model_id = "fake-1"
    backend = "fake"

    def __init__(self, *companies: dict[str, Any], fail: bool = False) -> None:
        self.companies = companies
        self.prompts: list[Prompt] = []
        self.fail = fail

    def complete(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer:
        assert not self.fail, "the model was called"
        self.prompts.append(prompt)
        given = {p["page"] for p in prompt.payload["pages"]}
        named = [
            {k: v for k, v in c.items() if k != "asked"} for c in self.companies if c.get("asked", c["page"]) in given
        ]
        return RawAnswer(json.dumps({"companies": named}, ensure_ascii=False), 120, 40)


#: printed on p. 121 broken over three lines: 江苏太平洋精锻 / 科技股份有限公 / 司（精锻科技，
JINGDUAN = company(
    "江苏太平洋精锻科技股份有限公司", 121, "江苏太平洋精锻科技股份有限公司（精锻科技，300258）", short="精锻科技"
)
#: on no page of the document
INVENTED = company("万向钱潮股份有限公司", 121, "万向钱潮股份有限公司（万向钱潮，000559）")


def fold(model: Any, ex: DocumentExtraction, tmp_path: Path) -> tuple[DocumentExtraction, list[LLMUsage]]:
    usage: list[LLMUsage] = []
    out, failures = LLMService(model, Cache(tmp_path / "llm.sqlite")).fold(ex, usage)
    assert failures == []
    return out, usage


def test_every_section_of_a_real_full_text_keeps_where_each_of_its_pages_starts() -> None:
    """The trap: a section's text is its pages joined, so a name could not be checked against one
    page; the offsets give each page back exactly."""
    pages = pages_001282()
    ex = extract_text_pages(KEY, pages)
    assert ex.sections
    for s in ex.sections:
        assert s.page_texts() == tuple((p, pages[p - 1]) for p in s.pages)


def test_001282_a_company_the_document_does_not_print_is_rejected(tmp_path: Path) -> None:
    ex = extraction(rules=())
    out, _ = fold(PageModel(JINGDUAN, INVENTED), ex, tmp_path)
    assert [c.name for c in out.competitors] == ["江苏太平洋精锻科技股份有限公司"]  # broken over 3 lines: kept
    (kept,) = out.competitors
    assert (kept.page, kept.short_name, kept.found_by, kept.roles) == (121, "精锻科技", ("model",), ("竞争对手",))
    assert kept.context == JINGDUAN["evidence"] and kept.section_title == "（二）公司主要竞争对手"
    (note,) = out.warnings
    assert "1个名称" in note and "万向钱潮股份有限公司（第121页：名称不在所注页）" in note


def test_001282_a_name_given_with_a_page_that_does_not_print_it_is_rejected(tmp_path: Path) -> None:
    # 宁波蜗牛锻造有限公司 is printed on p. 121 only (p. 122 has 宁波蜗牛); the model says p. 122
    wrong_page = company("宁波蜗牛锻造有限公司", 122, "宁波蜗牛锻造有限公司是由斯洛文尼亚蜗牛股份有限公司")
    # the name is on p. 121, the quote is not printed anywhere
    made_up_quote = company("德西福格汽车零部件集团", 121, "德西福格是全球最大的曲轴制造商")
    # a page the model was not given (p. 300 is outside the competitor section)
    elsewhere = company("桂林福达股份有限公司", 300, "桂林福达股份有限公司") | {"asked": 121}
    ex = extraction(rules=())
    out, _ = fold(PageModel(wrong_page, made_up_quote, elsewhere, JINGDUAN), ex, tmp_path)
    assert [c.name for c in out.competitors] == ["江苏太平洋精锻科技股份有限公司"]
    (note,) = out.warnings
    assert "宁波蜗牛锻造有限公司（第122页：名称不在所注页）" in note
    assert "德西福格汽车零部件集团（第121页：引文不在所注页）" in note
    assert "桂林福达股份有限公司（第300页：所注页不在所读页面中）" in note


def test_the_same_firm_from_the_rules_and_the_model_is_one_mention_found_by_both_with_both_roles() -> None:
    rules = (
        rule("江苏太平洋精锻科技股份有限公司", "精锻科技"),
        rule("天润工业"),  # the rules read only the short name
        rule("云南西仪工业股份有限公司", "西仪股份"),
    )
    model = (
        said("精锻科技", 122, "精锻科技、天润工业、西仪股份和桂林福达作为可比公司", role="可比公司"),
        said("天润工业技术股份有限公司", 121, "天润工业技术股份有限公司（天润工业，002283）", short="天润工业"),
        said(
            "桂林福达股份有限公司", 121, "桂林福达股份有限公司（福达股份，603166）", role="可比公司", short="福达股份"
        ),
        said("桂林福达股份有限公司", 122, "桂林福达股份有限公司（福达股份，603166）。"),
    )
    merged = merge_mentions(rules, model)
    by_name = {c.name: c for c in merged}
    assert list(by_name) == [
        "江苏太平洋精锻科技股份有限公司",
        "天润工业技术股份有限公司",
        "云南西仪工业股份有限公司",
        "桂林福达股份有限公司",
    ]
    jd = by_name["江苏太平洋精锻科技股份有限公司"]  # matched through its short name
    assert (jd.found_by, jd.roles, jd.page, jd.source) == (("rules", "model"), ("竞争对手", "可比公司"), 121, "table")
    tr = by_name["天润工业技术股份有限公司"]  # the rules' short name, with the model's full name beside it
    assert (tr.short_name, tr.found_by, tr.context) == ("天润工业", ("rules", "model"), "天润工业……")
    assert by_name["云南西仪工业股份有限公司"].found_by == ("rules",)
    fd = by_name["桂林福达股份有限公司"]  # the model's own, named twice: once, both roles, its first page
    assert (fd.found_by, fd.roles, fd.page, fd.short_name) == (("model",), ("竞争对手", "可比公司"), 121, "福达股份")


def test_001282_comparable_companies_come_through_with_their_role_and_the_sheet_shows_who_found_them(
    tmp_path: Path,
) -> None:
    comparable = company(
        "天润工业技术股份有限公司",
        121,
        "公司选取的同行业可比公司包括四家上市公司，江苏太平洋精锻科技股份有限公司（精锻科技，300258）、天润工业技术股份有限公司",
        role="可比公司",
        short="天润工业",
    )
    also_comparable = company("江苏太平洋精锻科技股份有限公司", 121, comparable["evidence"], role="可比公司")
    ex = extraction(
        rules=(rule("江苏太平洋精锻科技股份有限公司", "精锻科技"), rule("宁波蜗牛锻造有限公司", "宁波蜗牛"))
    )
    out, _ = fold(PageModel(comparable, also_comparable), ex, tmp_path)
    assert [(c.name, c.roles, c.found_by) for c in out.competitors] == [
        ("江苏太平洋精锻科技股份有限公司", ("竞争对手", "可比公司"), ("rules", "model")),
        ("宁波蜗牛锻造有限公司", ("竞争对手",), ("rules",)),
        ("天润工业技术股份有限公司", ("可比公司",), ("model",)),
    ]
    doc = Document(key=KEY, sec_code="001282", sec_name="三联锻造", title="招股说明书", published=dt.date(2023, 5, 17),
                   url="http://static.cninfo.com.cn/x.PDF", path="", sha256="0" * 64, size=1)  # fmt: skip
    report = RunReport(flow="adhoc", parameters={}, started=dt.datetime(2026, 12, 3), documents=[doc],
                       extractions={KEY: out})  # fmt: skip
    rows = [dict(zip(COMPETITORS.header, r, strict=True)) for r in COMPETITORS.rows(Context(report))]
    assert [(r["竞争对手"], r["角色"], r["来源"], r["出处"]) for r in rows] == [
        ("江苏太平洋精锻科技股份有限公司", "竞争对手、可比公司", "规则+模型", "表格"),
        ("宁波蜗牛锻造有限公司", "竞争对手", "规则", "表格"),
        ("天润工业技术股份有限公司", "可比公司", "模型", "模型引文"),
    ]
    assert rows[2]["上下文"] == comparable["evidence"] and rows[2]["页码"] == 121


def test_offline_the_rules_stand_alone(tmp_path: Path) -> None:
    rules = (rule("江苏太平洋精锻科技股份有限公司", "精锻科技"), rule("天润工业技术股份有限公司", "天润工业"))
    ex = extraction(rules)
    out, usage = fold(OfflineModel(), ex, tmp_path)
    assert out == ex  # nothing added, nothing marked
    assert usage and {(u.task, u.backend, u.prompt_tokens) for u in usage} == {("competitor_extract", "offline", 0)}
    answer = ALL_TASKS["competitor_extract"].offline({"pages": [{"page": 121, "text": pages_001282()[120]}]})
    assert answer.companies == []


def test_a_rerun_is_served_from_the_cache_without_calling_the_model(tmp_path: Path) -> None:
    ex = extraction(rules=(rule("宁波蜗牛锻造有限公司", "宁波蜗牛"),))
    first_model = PageModel(JINGDUAN, INVENTED)
    first, paid = fold(first_model, ex, tmp_path)
    calls = len(first_model.prompts)
    assert calls >= 1 and not any(u.cached for u in paid)
    again, usage = fold(PageModel(fail=True), ex, tmp_path)  # the same cache file
    assert again == first and len(usage) == calls and all(u.cached for u in usage)


def test_a_long_competition_part_is_read_in_calls_under_the_cap_every_page_once(tmp_path: Path) -> None:
    """603418's competitor section runs over 13 pages: several calls, none over the cap, in page
    order; a page longer than the cap is sent in parts, each with its page number."""
    pages = split_fulltext_pages((TEXT / "603418_yousheng_prospectus_fulltext_pages.md").read_text("utf-8"))
    numbers = tuple(range(132, 145))
    parts = chunks([(p, pages[p - 1]) for p in numbers])
    assert len(parts) > 1 and all(sum(len(t) for _, t in part) <= MAX_CHARS_PER_CALL for part in parts)
    assert [p for part in parts for p, _ in part] == list(numbers)
    assert "".join(t for part in parts for _, t in part) == "".join(pages[p - 1] for p in numbers)
    long_page = "\n".join(f"第{i}行：某某股份有限公司是行业内主要企业之一。" for i in range(400))
    split = chunks([(7, long_page)])
    assert len(split) > 1 and {p for part in split for p, _ in part} == {7}
    assert "".join(t for part in split for _, t in part) == long_page
    # through the service: one call per part, each given only its own pages
    text = PdfText(pages)
    section = _section("d", Located(SectionKind.COMPETITOR, "竞争", numbers, "heading"), text)
    ex = extraction(()).model_copy(update={"doc_key": "d", "sections": (section,)})
    model = PageModel()
    fold(model, ex, tmp_path)
    assert [[x["page"] for x in p.payload["pages"]] for p in model.prompts] == [[p for p, _ in part] for part in parts]


def test_a_section_stored_without_page_offsets_is_not_sent_to_the_model(tmp_path: Path) -> None:
    ex = extraction(rules=())
    old = ex.sections[0].model_copy(update={"page_starts": ()})
    model = PageModel(JINGDUAN)
    out, usage = fold(model, ex.model_copy(update={"sections": (old,)}), tmp_path)
    assert model.prompts == [] and usage == [] and out.competitors == ()


def test_the_task_is_an_extraction_task_with_a_schema_the_offline_answer_fits() -> None:
    assert EXTRACTION_TASKS == {"competitor_extract": TASK} and TASK.fold is not None
    assert TASK.schema.model_validate({"companies": []}) == TASK.offline({"pages": []})
    assert flat("江苏太平洋精锻\n科技（精锻科技，300258）") == "江苏太平洋精锻科技(精锻科技,300258)"


def test_the_structured_output_path_carries_the_task(tmp_path: Path) -> None:
    """Through the OpenAI-compatible client and a local fake endpoint: the strict JSON Schema of the
    nested answer, the pages in the prompt, the grounded answer."""
    from core.settings import Settings
    from llm.client import model_from_settings
    from tests.fake_openai import FakeOpenAI, chat

    with FakeOpenAI() as fake:
        fake.queue(chat(json.dumps({"companies": [JINGDUAN, INVENTED]}, ensure_ascii=False)))
        s = Settings(llm_base_url=fake.base_url, llm_api_key="sk-test", llm_model="m")
        ex = extraction(rules=(), pages=(121,))
        out, failures = LLMService(model_from_settings(s), Cache(tmp_path / "c.sqlite")).fold(ex)
        (req,) = fake.requests
    assert failures == [] and [c.name for c in out.competitors] == ["江苏太平洋精锻科技股份有限公司"]
    fmt = req["response_format"]["json_schema"]
    assert fmt["name"] == "CompetitorExtractOut" and fmt["strict"] is True
    item = fmt["schema"]["$defs"]["NamedCompany"]
    assert item["required"] == ["name", "short_name", "role", "page", "evidence"]
    assert item["additionalProperties"] is False
    assert '<page n="121">' in req["messages"][1]["content"]
    assert req["max_tokens"] == 4096  # its own answer budget, above PP_LLM_MAX_TOKENS's default 1024


@pytest.mark.parametrize("section_kind", [SectionKind.PATENT])
def test_only_competitor_sections_are_read(section_kind: SectionKind, tmp_path: Path) -> None:
    ex = extraction(rules=())
    other = ex.sections[0].model_copy(update={"kind": section_kind})
    model = PageModel(JINGDUAN)
    fold(model, ex.model_copy(update={"sections": (other,)}), tmp_path)
    assert model.prompts == []


def test_section_page_texts_of_a_record_without_offsets_are_empty() -> None:
    s = Section(doc_key="d", kind=SectionKind.COMPETITOR, title="t", pages=(1, 2), text="a\nb", located_by="heading")
    assert s.page_texts() == ()
    assert s.model_copy(update={"page_starts": (0, 2)}).page_texts() == ((1, "a"), (2, "b"))
