"""The LLM layer against a local OpenAI-compatible server, and the offline backend."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import LLMError, LLMInvalidOutputError, LLMTruncatedError
from core.records import Announcement, CompetitorMention, DocumentExtraction, LLMUsage
from core.settings import Settings
from llm.client import OfflineModel, OpenAICompatibleModel, Prompt, RawAnswer, model_from_settings
from llm.service import Cache, LLMService
from llm.tasks import TASKS
from llm.tasks.announcement import classify_offline as classify_announcement_offline
from llm.tasks.competitor import classify_offline as classify_competitor_offline
from llm.tasks.summary import SummaryInput, summarise_offline
from tests.fake_openai import FakeOpenAI, chat, error

ANN = Announcement(
    source="cninfo",
    announcement_id="1",
    sec_code="001282",
    sec_name="三联锻造",
    title="首次公开发行股票并在主板上市招股说明书",
    published=dt.date(2023, 5, 17),
    pdf_url=None,
)
GOOD = json.dumps({"category": "招股/IPO", "confidence": 0.95, "rationale": "标题为招股说明书"}, ensure_ascii=False)


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeOpenAI() as server:
        yield server


def service(fake: FakeOpenAI, tmp_path: Path, **kw: object) -> LLMService:
    s = Settings(
        llm_base_url=fake.base_url,
        llm_api_key="sk-test",
        llm_model="qwen-plus",
        llm_max_retries=2,
        llm_timeout_s=10,
        **kw,
    )  # type: ignore[arg-type]
    return LLMService(model_from_settings(s), Cache(tmp_path / "cache.sqlite"), max_reasks=s.llm_max_reasks)


def test_structured_answer_is_validated_and_usage_recorded(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(chat(GOOD, prompt_tokens=321, completion_tokens=45))
    svc = service(fake, tmp_path)
    label = svc.run_task(TASKS["announcement"], ANN)
    assert (label.category, label.confidence, label.backend) == ("招股/IPO", 0.95, "openai-compatible:qwen-plus")
    (req,) = fake.requests
    assert req["model"] == "qwen-plus" and req["temperature"] == 0
    assert req["response_format"]["type"] == "json_schema"
    assert req["response_format"]["json_schema"]["schema"]["required"] == ["category", "confidence", "rationale"]
    assert fake.auth == ["Bearer sk-test"]
    (usage,) = svc.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.cached, usage.attempts) == (321, 45, False, 1)
    assert svc.cache is not None and svc.cache.usage_log() == [usage]  # persisted per call
    assert svc.usage_totals()["announcement tokens"] == 366


def test_invalid_json_is_re_asked_with_the_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(
        chat('{"category": "招股/IPO", "confidence": 1.7'),  # not JSON
        chat(json.dumps({"category": "新股", "confidence": 0.5, "rationale": "x"}, ensure_ascii=False)),  # bad enum
        chat("```json\n" + GOOD + "\n```"),
    )
    svc = service(fake, tmp_path)
    assert svc.run_task(TASKS["announcement"], ANN).category == "招股/IPO"
    assert len(fake.requests) == 3
    reask = fake.requests[2]["messages"]
    assert reask[-2]["role"] == "assistant" and "新股" in reask[-2]["content"]
    assert reask[-1]["role"] == "user" and "category" in reask[-1]["content"]
    assert svc.usage[-1].attempts == 3 and svc.usage[-1].prompt_tokens == 300


def test_invalid_answers_are_bounded(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(*[chat("not json at all")] * 3)
    with pytest.raises(LLMInvalidOutputError, match="3 attempts") as err:
        service(fake, tmp_path).run_task(TASKS["announcement"], ANN)
    assert err.value.raw == "not json at all" and len(fake.requests) == 3


def test_truncated_answer_is_an_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(chat('{"summary": "公司主要竞争对手包括精锻科技、天润', finish_reason="length"))
    section = SummaryInput("d", "competitor", "主要竞争对手", (121,), "公司主要竞争对手包括精锻科技。")
    with pytest.raises(LLMTruncatedError, match="finish_reason=length"):
        service(fake, tmp_path).run_task(TASKS["summary"], section)
    assert len(fake.requests) == 1


def test_429_then_success(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(error(429, "Rate limit reached", {"Retry-After": "0"}), chat(GOOD))
    assert service(fake, tmp_path).run_task(TASKS["announcement"], ANN).category == "招股/IPO"
    assert len(fake.requests) == 2


def test_429_forever_is_an_llm_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(*[error(429, "Rate limit reached", {"Retry-After": "0"})] * 3)
    with pytest.raises(LLMError, match="rate limited"):
        service(fake, tmp_path).run_task(TASKS["announcement"], ANN)


def test_provider_without_json_schema_falls_back_to_json_object(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(error(400, "response_format type json_schema is not supported"), chat(GOOD))
    svc = service(fake, tmp_path)
    assert svc.run_task(TASKS["announcement"], ANN).category == "招股/IPO"
    assert [r["response_format"]["type"] for r in fake.requests] == ["json_schema", "json_object"]
    assert "JSON Schema" in fake.requests[1]["messages"][0]["content"]  # the schema travels in the prompt
    assert isinstance(svc.model, OpenAICompatibleModel) and svc.model.mode == "json_object"


def test_cache_by_content_hash(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(chat(GOOD))
    first = service(fake, tmp_path).run_task(TASKS["announcement"], ANN)
    svc = service(fake, tmp_path)
    assert svc.run_task(TASKS["announcement"], ANN) == first
    assert len(fake.requests) == 1 and svc.usage[-1].cached
    fake.queue(chat(GOOD))
    service(fake, tmp_path).run_task(TASKS["announcement"], ANN.model_copy(update={"title": "2026年半年度报告"}))
    assert len(fake.requests) == 2  # other text, other key


def test_competitor_classification(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(
        chat(
            json.dumps(
                {
                    "role": "competitor",
                    "listed": "listed",
                    "domicile": "domestic",
                    "stock_code": "300258",
                    "rationale": "深交所上市公司",
                },
                ensure_ascii=False,
            )
        )
    )
    m = CompetitorMention(
        doc_key="d",
        name="江苏太平洋精锻科技股份有限公司",
        page=121,
        context="精锻科技成立于1992年，深交所上市公司",
        stock_code="300258",
    )
    label = service(fake, tmp_path).run_task(TASKS["competitor"], m)
    assert (label.role, label.listed, label.domicile, label.stock_code) == (
        "competitor",
        "listed",
        "domestic",
        "300258",
    )
    assert "customer" in fake.requests[0]["messages"][1]["content"]  # the prompt asks for the role


def test_no_key_means_the_labelled_offline_backend() -> None:
    model = model_from_settings(Settings())
    assert isinstance(model, OfflineModel) and model.backend == "offline"
    label = LLMService(model).run_task(TASKS["announcement"], ANN)
    assert label.backend == "offline:offline-rules-v1" and "离线规则" in label.rationale


@pytest.mark.parametrize(
    "title, category",
    [
        ("首次公开发行股票并在主板上市招股说明书", "招股/IPO"),
        ("酉立智能:2026年半年度报告", "定期报告"),
        ("关于召开2026年第二次临时股东大会的通知", "股东大会"),
        ("关于控股股东股份被轮候冻结的公告", "股权变动"),
        ("2026年8月6日投资者关系活动记录表", "投资者关系"),
        ("华能国际关于第十期中期票据发行的公告", "融资"),
        ("万东医疗第十届董事会第十八次会议决议公告", "董事会/监事会"),
        ("2026年7月销售情况简报", "其他"),
    ],
)
def test_offline_keyword_classifier_on_real_titles(title: str, category: str) -> None:
    assert classify_announcement_offline(title).category == category


def test_offline_competitor_rules() -> None:
    listed = classify_competitor_offline(
        "江苏太平洋精锻科技股份有限公司", "精锻科技成立于1992年，深交所上市公司", "300258"
    )
    assert (listed.listed, listed.domicile) == ("listed", "domestic")
    foreign = classify_competitor_offline(
        "德西福格汽车零部件集团", "德西福格汽车零部件集团总部位于德国，成立于1938年", None
    )
    assert (foreign.listed, foreign.domicile) == ("unknown", "foreign")
    gopro = classify_competitor_offline("GoPro", "GoPro 成立于 2004 年，2014 年在美国纳斯达克上市（GPRO）", None)
    assert (gopro.listed, gopro.domicile) == ("listed", "foreign")


@pytest.mark.parametrize(
    "name, context, role",
    [
        # 603418 p132: carmakers named as the issuer's customers inside the competition chapter
        ("广汽集团", "得到全球领先的新能源汽车整车厂商特斯拉、广汽集团、蔚来汽车、北汽新能源的高度认可", "customer"),
        # 001282 p122: a forging supplier of a comparable company
        ("东风锻造有限公司", "公司子公司福达锻造自主生产锻件，同时向东风锻造有限公司等采购曲轴毛坯", "supplier"),
        # 001282 p121: the competitor table
        (
            "天润工业技术股份有限公司",
            "公司主要竞争对手基本情况如下：序号 公司名称 2 天润工业技术股份有限公司（天润工业，002283）",
            "competitor",
        ),
        ("某某公司", "某某公司成立于2001年", "unknown"),
    ],
)
def test_offline_competitor_roles_from_cues(name: str, context: str, role: str) -> None:
    assert classify_competitor_offline(name, context, None).role == role


def test_offline_summary_is_extractive() -> None:
    text = "公司主要竞争对手包括精锻科技、天润工业。精锻科技成立于1992年。天润工业成立于1995年，主营曲轴。"
    out = summarise_offline(text)
    assert out.summary and all(part in text for part in out.summary.split("。") if part)


# --- the service at the protocol level: a fake model, no HTTP (as simonw/llm's MockModel) -------------


class FakeModel:
    """A Model that answers from a queue and records what it was asked."""

    model_id = "fake-1"
    backend = "fake"

    def __init__(self) -> None:
        self.answers: list[RawAnswer] = []
        self.prompts: list[tuple[Prompt, list[dict[str, str]]]] = []

    def enqueue(self, *texts: str, finish_reason: str = "stop") -> FakeModel:
        self.answers += [RawAnswer(t, 10, 5, finish_reason) for t in texts]
        return self

    def complete(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer:
        self.prompts.append((prompt, list(history)))
        return self.answers.pop(0)


def test_service_reasks_with_the_validation_error_then_caches_the_valid_answer(tmp_path: Path) -> None:
    model = FakeModel().enqueue('{"category": "不存在的类别", "confidence": 2}', GOOD)
    svc = LLMService(model, Cache(tmp_path / "c.sqlite"), max_reasks=2)
    label = svc.run_task(TASKS["announcement"], ANN)
    assert (label.category, label.backend) == ("招股/IPO", "fake:fake-1")
    (_, first), (_, second) = model.prompts
    assert first == [] and "invalid" in second[-1]["content"] and "category" in second[-1]["content"]
    # the same input again: served from the cache, the model is not asked
    again = LLMService(model, Cache(tmp_path / "c.sqlite")).run_task(TASKS["announcement"], ANN)
    assert again == label and len(model.prompts) == 2


def test_service_gives_up_after_the_bounded_reasks(tmp_path: Path) -> None:
    model = FakeModel().enqueue("not json", "still not json", "{}")
    with pytest.raises(LLMInvalidOutputError, match="3 attempts"):
        LLMService(model, max_reasks=2).run_task(TASKS["announcement"], ANN)
    assert len(model.prompts) == 3


def test_every_registered_task_has_an_offline_answer_its_schema_accepts() -> None:
    from core.records import DocumentExtraction

    ex = DocumentExtraction(
        doc_key="d",
        pages=1,
        patent_pages=(),
        competitor_pages=(),
        sections=(),
        tables=(),
        patents=(),
        competitors=(CompetitorMention(doc_key="d", name="精锻科技", page=1, context="精锻科技（300258）"),),
        lead_text="公司主要从事汽车锻造零部件的研发、生产和销售。2022年营业收入10.5亿元。",
        lead_pages=(1,),
    )
    for task in TASKS.values():
        items = list(task.inputs([ANN], [ex]))
        assert items, task.name
        for _, item in items:
            out = task.offline(task.payload(item))
            assert task.schema.model_validate(out.model_dump()) == out


# --- concurrency and rate limits -------------------------------------------------------------------


def _announcements(n: int) -> list[Announcement]:
    return [ANN.model_copy(update={"announcement_id": str(i), "title": f"{ANN.title}（第{i}份）"}) for i in range(n)]


def test_calls_overlap_up_to_the_concurrency_setting_and_results_keep_their_order(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    fake.latency, fake.gather = 0.2, 4  # answers once four are in flight: no race with a busy machine
    fake.queue(*[chat(GOOD)] * 7, error(400, "bad request"), *[chat(GOOD)] * 4)
    svc = service(fake, tmp_path)
    svc.concurrency = 4
    items = _announcements(12)
    results = svc.run_many(TASKS["announcement"], items)
    assert fake.max_in_flight == 4 and len(fake.requests) == 12
    failed = [r for r in results if isinstance(r, LLMError)]
    assert len(failed) == 1 and "rejected" in str(failed[0])  # one bad item, the other eleven kept
    assert [r.key for r in results if not isinstance(r, LLMError)] == [
        a.key for a, r in zip(items, results, strict=True) if not isinstance(r, LLMError)
    ]


def test_requests_per_minute_are_shared_by_every_caller() -> None:
    from llm.limits import RateLimiter

    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    limiter = RateLimiter(rpm=2, clock=lambda: now[0], sleep=sleep)
    limiter.acquire()
    now[0] = 10.0
    limiter.acquire()
    limiter.acquire()  # the third in a minute waits for the first to leave the window
    assert waits == [50.0] and now[0] == 60.0
    limiter.acquire()  # and the fourth for the second
    assert now[0] == 70.0


def test_tokens_per_minute_use_the_real_count_once_known() -> None:
    from llm.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(tpm=1000, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    first = limiter.acquire(900)  # estimated from the prompt's characters
    limiter.settle(first, 300)  # the endpoint counted fewer
    limiter.acquire(600)
    assert now[0] == 0.0  # 300 + 600 fits
    limiter.acquire(600)  # 1500 does not: wait for the first call to leave the window
    assert now[0] == 60.0


def test_retry_after_pauses_every_in_flight_caller(fake: FakeOpenAI, tmp_path: Path) -> None:
    from llm.limits import RateLimiter

    fake.queue(
        *[error(429, "Rate limit reached", {"Retry-After": "0"})] * 2, error(429, "slow down", {"Retry-After": "7"})
    )
    svc = service(fake, tmp_path)  # the client retries twice, honouring Retry-After itself
    now = [100.0]
    waits: list[float] = []
    svc.limiter = RateLimiter(clock=lambda: now[0], sleep=lambda s: (waits.append(s), now.__setitem__(0, now[0] + s)))
    with pytest.raises(LLMError, match="rate limited"):
        svc.run_task(TASKS["announcement"], ANN)
    fake.queue(chat(GOOD))
    other = _announcements(1)[0]
    assert svc.run_task(TASKS["announcement"], other).category == "招股/IPO"
    assert waits == [7.0]  # the next call, for another item, waited out the endpoint's Retry-After


# --- summaries a person can read: facts from the extraction, stated offline and given to the model ---


def _kingsun() -> DocumentExtraction:
    from extractors.document import extract_document
    from tests.conftest import PDF

    return extract_document(PDF / "prospectus_full" / "002638_kingsun_optoelectronic_prospectus_2011_full.pdf", "k")


@pytest.mark.slow
def test_offline_summaries_state_the_extracted_facts_not_cut_table_cells() -> None:
    task = TASKS["summary"]
    by_kind = {item.kind: task.offline(task.payload(item)) for _, item in task.inputs([], [_kingsun()])}
    # counts by type and the as-of date read off p.181 (公司拥有专利 166 项 … 截至 2011 年 6 月 30 日)
    assert by_kind["patent"].summary.startswith(
        "共披露专利166项（实用新型84项、外观设计58项、发明24项）；截至2011-06-30。"
    )
    # p.361 (募集资金运用) also names GE among the competitors: "…包括GE、欧司朗以及飞利浦"
    assert by_kind["competitor"].summary.startswith(
        "主要竞争对手6家：欧司朗、飞利浦、联创光电、国星光电、真明丽、GE。"
    )
    for out in by_kind.values():
        for part in [out.summary, *out.key_points]:
            flat = part.replace(" ", "")
            grams = [flat[i : i + 4] for i in range(len(flat) - 3)]
            assert len(set(grams)) >= 0.9 * len(grams), part  # no column labels read over and over


@pytest.mark.slow
def test_the_model_is_given_the_same_facts(tmp_path: Path) -> None:
    model = FakeModel().enqueue('{"summary": "概述。", "key_points": []}')
    task = TASKS["summary"]
    item = next(item for _, item in task.inputs([], [_kingsun()]) if item.kind == "patent")
    LLMService(model).run_task(task, item)
    ((prompt, _),) = model.prompts
    assert "数字和名称以此为准" in prompt.user and "共披露专利166项" in prompt.user


def test_items_of_several_tasks_share_one_pool_of_calls(tmp_path: Path) -> None:
    # with the tasks one after another, each task's last calls ran with the pool half empty
    from llm.client import model_from_settings
    from tests.conftest import make_settings
    from tests.fake_openai import FakeOpenAI, chat

    answer = '{"category": "招股/IPO", "confidence": 0.9, "rationale": "标题"}'
    with FakeOpenAI() as fake:
        fake.gather = 6  # each call answered once all six are in flight (or after 10 s)
        fake.queue(*[chat(answer)] * 6)
        s = make_settings(tmp_path, llm_base_url=fake.base_url, llm_api_key="k", llm_model="m")
        svc = LLMService(model_from_settings(s), concurrency=6)
        first = [ANN.model_copy(update={"announcement_id": str(i), "title": f"招股说明书{i}"}) for i in range(3)]
        second = [ANN.model_copy(update={"announcement_id": str(i), "title": f"招股意向书{i}"}) for i in range(3, 6)]
        work = [(TASKS["announcement"], a) for a in first] + [(TASKS["announcement"], a) for a in second]
        results = svc.run_all(work)
    assert [r.key for r in results] == [a.key for a in first + second]  # in order
    assert fake.max_in_flight == 6  # both groups in flight at once


def test_documents_sharing_one_service_share_its_slots_and_keep_their_own_usage(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    # each document's task calls the run's service from its own thread: PP_LLM_CONCURRENCY is the
    # run's limit, not each document's, and each task gets back only its own items' usage
    import threading

    from llm.service import release_service, shared_service

    fake.latency, fake.gather = 0.2, 2
    fake.queue(*[chat(GOOD)] * 8)
    made: list[LLMService] = []

    def make() -> LLMService:
        made.append(service(fake, tmp_path))
        made[-1].concurrency = 2
        return made[-1]

    items = _announcements(8)
    usages: list[list[LLMUsage]] = [[], [], [], []]

    def document(n: int) -> None:
        svc = shared_service("run-1", make)
        svc.run_all([(TASKS["announcement"], a) for a in items[2 * n : 2 * n + 2]], usage=usages[n])

    threads = [threading.Thread(target=document, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 1 and release_service("run-1") is made[0] and release_service("run-1") is None
    assert fake.max_in_flight == 2 and len(fake.requests) == 8  # four callers, two calls in flight
    assert [len(u) for u in usages] == [2, 2, 2, 2] and all(not r.cached for u in usages for r in u)


def test_the_same_item_asked_by_two_documents_at_once_costs_one_call(fake: FakeOpenAI, tmp_path: Path) -> None:
    # versions of one prospectus share sections, and their documents stream through at the same time
    import threading

    fake.latency = 0.3
    fake.queue(chat(GOOD), chat(GOOD))
    svc = service(fake, tmp_path)
    svc.concurrency = 4
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(svc.run_task(TASKS["announcement"], ANN))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.requests) == 1 and len(got) == 2 and got[0] == got[1]
    assert sorted(u.cached for u in svc.usage) == [False, True]


def test_the_offline_summarys_chapters_skip_the_table_of_contents_and_numbered_figures() -> None:
    """The opening of a prospectus prints its table of contents (dot leaders and page numbers) before
    the chapters themselves, and numbered lists of figures look like headings."""
    from llm.tasks.summary import lead_facts

    opening = "\n".join(
        [
            "目  录",
            "第一节 释义 .................................................. 5",
            "第二节 概览 …………………………………………………… 11",
            "第一节 释义",
            "一、普通术语",
            "1、 12,345.67",
            "二、专业术语",
            "第二节 概览",
            "（一）发行人基本情况",
            "报告期内，公司营业收入 45,678.90 万元，持续增长。",
        ]
    )
    facts = lead_facts(opening)
    assert facts[0] == "主要章节：第一节 释义；一、普通术语；二、专业术语；第二节 概览"
    assert facts[1:] == ("报告期内，公司营业收入 45,678.90 万元，持续增长。",)


def test_an_offline_summary_never_quotes_a_figure_cut_out_of_its_sentence() -> None:
    """A balance-sheet line read as text gave the fragment 「日的净资产 40,482.37万元」: a figure outside a
    whole sentence is not a fact, and a text with no whole sentence has no quoted text at all."""
    from llm.tasks.summary import lead_facts, summarise_offline

    table_lines = "项目 2010年12月31日\n截至2010年12月31日的净资产 40,482.37万元\n总资产 88,000.00万元"
    assert lead_facts(table_lines) == ()
    out = summarise_offline(table_lines)
    assert "40,482.37" not in out.summary and out.summary == "（无可摘要的整句）"


def _usage_rows(path: Path) -> list[tuple[str, int]]:
    """The usage table as written to disk (not through the cache, which writes what it holds first)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT task, cached FROM usage ORDER BY rowid").fetchall()


def test_a_paid_call_is_logged_at_once_and_cache_hits_together_at_the_runs_end(tmp_path: Path) -> None:
    """A cached rerun's documents each wrote their hits' rows, a transaction per document contended by
    every busy thread; hits cost nothing, so they are held for one write. Paid calls are never held."""
    from llm.service import release_service, shared_service

    model = FakeModel().enqueue(GOOD)
    path = tmp_path / "c.sqlite"
    svc = shared_service("run-hits", lambda: LLMService(model, Cache(path)))
    svc.run_all([(TASKS["announcement"], ANN)])
    assert _usage_rows(path) == [("announcement", 0)]  # on disk before anything else happens
    for _ in range(5):  # five documents asking what is cached
        svc.run_all([(TASKS["announcement"], ANN)])
    assert _usage_rows(path) == [("announcement", 0)]
    assert release_service("run-hits") is svc  # the run's end
    assert _usage_rows(path) == [("announcement", 0)] + [("announcement", 1)] * 5
    assert len(model.prompts) == 1


def test_held_cache_hits_are_written_past_the_limit_and_when_the_cache_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An analyst's own service is never released: its hits still reach the file."""
    import gc

    from llm import service as service_module

    monkeypatch.setattr(service_module, "HITS_HELD", 3)
    path = tmp_path / "c.sqlite"
    cache = Cache(path)
    hit = LLMUsage(task="summary", model="m", backend="b", cached=True)
    cache.log_usage(hit, hit)
    assert _usage_rows(path) == []
    cache.log_usage(hit)
    assert _usage_rows(path) == [("summary", 1)] * 3
    cache.log_usage(hit)
    assert cache.usage_log() == [hit] * 4  # read through the cache: what it holds included
    cache.log_usage(hit)
    del cache
    gc.collect()
    assert _usage_rows(path) == [("summary", 1)] * 5


def test_cached_items_are_answered_in_the_callers_thread_and_only_misses_go_to_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cached rerun started a pool of threads per document for answers that were all in the cache."""
    from llm import service as service_module

    pools: list[list[Any]] = []
    real = service_module.ThreadPoolExecutor

    class Watched(real):  # type: ignore[misc, valid-type]
        def map(self, fn: Any, *iterables: Any, **kw: Any) -> Any:
            pools.append(list(iterables[0]))
            return super().map(fn, *iterables, **kw)

    monkeypatch.setattr(service_module, "ThreadPoolExecutor", Watched)
    model = FakeModel().enqueue(*[GOOD] * 6)
    svc = LLMService(model, Cache(tmp_path / "c.sqlite"), concurrency=4)
    items = _announcements(6)
    first = svc.run_all([(TASKS["announcement"], a) for a in items[:4]])
    assert [len(p) for p in pools] == [4]
    usage: list[LLMUsage] = []
    again = svc.run_all([(TASKS["announcement"], a) for a in items], usage=usage)  # four cached, two not
    assert [len(p) for p in pools] == [4, 2] and [item for _, item in pools[1]] == items[4:]
    assert again[:4] == first and all(r.category == "招股/IPO" for r in again)
    assert [u.cached for u in usage] == [True] * 4 + [False] * 2 and len(model.prompts) == 6
    svc.run_all([(TASKS["announcement"], a) for a in items])
    assert len(pools) == 2  # everything cached: no pool at all


@pytest.mark.slow
def test_a_run_whose_every_item_is_cached_never_loads_the_openai_client(fake: FakeOpenAI, tmp_path: Path) -> None:
    """The endpoint's client (and the ``openai`` package, ~0.65 s to import) is built at the first
    call: a cached rerun makes none. Checked in a fresh interpreter, after a first one filled the cache."""
    import subprocess
    import sys

    fake.queue(chat(GOOD))
    code = (
        "import json, sys; from pathlib import Path; from core.settings import Settings;"
        "from llm.client import model_from_settings; from llm.service import Cache, LLMService;"
        "from llm.tasks import TASKS; from tests.test_llm import ANN;"
        f"s = Settings(llm_base_url={fake.base_url!r}, llm_api_key='sk-test', llm_model='qwen-plus');"
        f"svc = LLMService(model_from_settings(s), Cache(Path({str(tmp_path / 'c.sqlite')!r})));"
        "label = svc.run_task(TASKS['announcement'], ANN);"
        "print(json.dumps([label.category, [u.cached for u in svc.usage], 'openai' in sys.modules]))"
    )
    root = Path(__file__).resolve().parents[1]

    def run() -> list[object]:
        out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
        return list(json.loads(out.stdout.strip().splitlines()[-1]))

    assert run() == ["招股/IPO", [False], True]  # asked: the client was built
    assert run() == ["招股/IPO", [True], False]  # all cached: never loaded
    assert len(fake.requests) == 1


def test_the_in_flight_limit_grows_while_the_endpoint_keeps_up_and_halves_on_a_429() -> None:
    """Additive increase after a clean window of calls, multiplicative decrease on a 429 or a timeout,
    within PP_LLM_CONCURRENCY_MAX; with no maximum above the start it never grows past it."""
    from llm.limits import AdaptiveSlots

    slots = AdaptiveSlots(4, maximum=6)
    for _ in range(4):  # one clean window of 4 calls
        slots.acquire()
        slots.release()
    assert slots.limit == 5
    for _ in range(5 + 6 + 6):
        slots.acquire()
        slots.release()
    assert slots.limit == 6  # capped at the maximum
    slots.acquire()
    slots.release(throttled=True)
    assert slots.limit == 3
    slots.acquire()
    slots.release(throttled=True)
    slots.acquire()
    slots.release(throttled=True)
    assert slots.limit == 1  # never below one
    fixed = AdaptiveSlots(4)
    for _ in range(20):
        fixed.acquire()
        fixed.release()
    assert fixed.limit == 4
    fixed.acquire()
    fixed.release(throttled=True)
    for _ in range(2 + 3):  # recovers to where it started, no further
        fixed.acquire()
        fixed.release()
    assert fixed.limit == 4


def test_a_429_halves_the_calls_in_flight_of_the_whole_service(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.queue(error(429, "slow down"), *[chat(GOOD)] * 3)
    s = Settings(llm_base_url=fake.base_url, llm_api_key="sk-test", llm_max_retries=0)  # type: ignore[arg-type]
    svc = LLMService(model_from_settings(s), concurrency=4, concurrency_max=8)
    anns = [ANN.model_copy(update={"announcement_id": str(n), "title": f"公告{n}"}) for n in range(4)]
    results: list[object] = []
    for a in anns:  # one after another, so the order of the endings is known
        try:
            results.append(svc.run_task(TASKS["announcement"], a))
        except LLMError as exc:
            results.append(exc)
    assert isinstance(results[0], LLMError) and not any(isinstance(r, LLMError) for r in results[1:])
    # 4 halved to 2 by the 429; a clean window of 2 calls grows it to 3; the third clean call starts the next
    assert svc._slots.limit == 3
