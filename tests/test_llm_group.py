"""Items of a grouped task (the competitor classification) asked together: one call per document,
each item's answer validated and cached on its own, an item the group answer misses asked alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import LLMError, LLMUnavailableError
from core.records import CompetitorMention, LLMUsage
from core.settings import Settings
from llm.batch import run_batch
from llm.client import OfflineModel, Prompt, RawAnswer, model_from_settings
from llm.service import Cache, LLMService, cache_key, usage_totals
from llm.tasks import TASKS
from llm.tasks.competitor import classify_offline
from tests.fake_openai import FakeOpenAI, by_schema, schema_of
from tests.fake_openai_batch import FakeBatchOpenAI

TASK = TASKS["competitor"]
ROLES = ["competitor", "customer", "supplier", "other", "unknown"]


def mention(n: int, doc: str = "doc-1") -> CompetitorMention:
    return CompetitorMention(
        doc_key=doc, name=f"公司{n}股份有限公司", page=100 + n,
        context=f"第{n}家：公司{n}股份有限公司是发行人的同行业企业", section_title="主要竞争对手", source="table",
    )  # fmt: skip


def answer(n: int, **over: Any) -> dict[str, Any]:
    """Item ``n``'s answer: its role tells the items apart."""
    return {"role": ROLES[n % 5], "listed": "unknown", "domicile": "domestic", "stock_code": None,
            "rationale": f"第{n}家", **over}  # fmt: skip


class GroupModel:
    """A model at the protocol: a group prompt is answered by ``group`` (the ids asked → the answer's
    text), a single prompt with the item's own answer (read from the company's number)."""

    model_id = "fake-1"
    backend = "fake"

    def __init__(self, group: Any = None, fail: BaseException | None = None, finish: str = "stop") -> None:
        self.prompts: list[Prompt] = []
        self.group = group or (lambda ids: {"answers": [{"id": i, **answer(n)} for i, n in ids]})
        self.fail = fail
        self.finish = finish

    def complete(self, prompt: Prompt, history: list[dict[str, str]]) -> RawAnswer:
        self.prompts.append(prompt)
        if "answers" in prompt.payload:  # a group call
            if self.fail is not None:
                raise self.fail
            ids = [(p["id"], number(p["name"])) for p in prompt.payload["answers"]]
            body = self.group(ids)
            return RawAnswer(body if isinstance(body, str) else json.dumps(body), 300, 90, self.finish)
        return RawAnswer(json.dumps(answer(number(prompt.payload["name"]))), 100, 20)

    @property
    def groups(self) -> list[Prompt]:
        return [p for p in self.prompts if "answers" in p.payload]

    @property
    def singles(self) -> list[Prompt]:
        return [p for p in self.prompts if "answers" not in p.payload]


def number(name: str) -> int:
    return int(name.removeprefix("公司").removesuffix("股份有限公司"))


def svc(model: Any, tmp_path: Path, **kw: Any) -> LLMService:
    return LLMService(model, Cache(tmp_path / "c.sqlite"), max_reasks=1, **kw)


def test_a_documents_competitors_are_classified_in_one_call_with_one_answer_each(tmp_path: Path) -> None:
    model = GroupModel(group=lambda ids: {"answers": [{"id": i, **answer(n)} for i, n in reversed(ids)]})
    usage: list[LLMUsage] = []
    items = [mention(n) for n in range(12)]
    out = svc(model, tmp_path, concurrency=4).run_all([(TASK, m) for m in items], usage=usage)
    assert len(model.prompts) == 1 and not model.singles
    assert [r.role for r in out] == [ROLES[n % 5] for n in range(12)]  # matched by id, not by position
    assert [r.name for r in out] == [m.name for m in items] and all(r.backend == "fake:fake-1" for r in out)
    # the call's tokens once, in one row; Run info's totals count one call
    (row,) = usage
    assert (row.prompt_tokens, row.completion_tokens, row.cached, row.backend) == (300, 90, False, "fake group")
    assert usage_totals(usage)["competitor calls"] == 1 and usage_totals(usage)["competitor tokens"] == 390


def test_the_group_prompt_carries_every_items_payload_and_a_budget_for_every_answer(tmp_path: Path) -> None:
    with FakeOpenAI(respond=by_schema) as fake:
        s = Settings(llm_base_url=fake.base_url, llm_api_key="sk-test", llm_model="m", llm_max_retries=0)
        items = [mention(n) for n in range(7)]
        out = LLMService(model_from_settings(s), Cache(tmp_path / "c.sqlite")).run_all([(TASK, m) for m in items])
        assert all(r.role == "competitor" for r in out)
        (req,) = fake.requests
    assert schema_of(req) == "CompetitorClassOutGroup"
    assert req["max_tokens"] == max(s.llm_max_tokens, 7 * TASK.group_item_tokens)
    user = req["messages"][1]["content"]
    for m in items:
        assert m.name in user and m.context in user
    assert "主要竞争对手" in user and "竞争对手表格的一行" in user  # where each was found


def test_each_item_is_cached_on_its_own(tmp_path: Path) -> None:
    """A rerun of one item, or another document asking one of them alone, makes no call."""
    model = GroupModel()
    svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(5)])
    assert len(model.prompts) == 1
    again = svc(model, tmp_path)
    assert again.run_task(TASK, mention(3)).role == ROLES[3]
    other_doc = again.run_all([(TASK, mention(1)), (TASK, mention(4))])
    assert [r.role for r in other_doc] == [ROLES[1], ROLES[4]]
    assert len(model.prompts) == 1 and all(u.cached for u in again.usage)
    # the answer sits under the key the item has when asked alone
    prompt = again._prompt(TASK, mention(2))
    assert again.cache is not None and again.cache.get(cache_key("fake-1", "competitor", prompt.payload))


def test_an_item_left_out_of_the_group_answer_is_asked_alone(tmp_path: Path) -> None:
    model = GroupModel(group=lambda ids: {"answers": [{"id": i, **answer(n)} for i, n in ids if n != 2]})
    out = svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(4)])
    assert [r.role for r in out] == [ROLES[n] for n in range(4)]
    (alone,) = model.singles
    assert alone.payload["name"] == mention(2).name and alone.schema is TASK.schema


def test_an_invalid_item_of_the_group_answer_is_asked_alone_and_the_others_kept(tmp_path: Path) -> None:
    def group(ids: list[tuple[int, int]]) -> dict[str, Any]:
        # not a role; a required label without its value
        bad: dict[int, dict[str, Any]] = {1: {"role": "rival"}, 3: {"listed": None}}
        return {"answers": [{"id": i, **answer(n, **bad.get(n, {}))} for i, n in ids]}

    model = GroupModel(group=group)
    out = svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(5)])
    assert [r.role for r in out] == [ROLES[n] for n in range(5)]
    assert sorted(p.payload["name"] for p in model.singles) == [mention(1).name, mention(3).name]


def test_an_id_answered_twice_or_unknown_counts_as_missing(tmp_path: Path) -> None:
    def group(ids: list[tuple[int, int]]) -> dict[str, Any]:
        return {"answers": [{"id": 0, **answer(0)}, {"id": 0, **answer(1)}, {"id": 1, **answer(1)},
                            {"id": 9, **answer(2)}, {"id": "2", **answer(2)}]}  # fmt: skip

    model = GroupModel(group=group)
    out = svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(3)])
    assert [r.role for r in out] == [ROLES[n] for n in range(3)]
    assert sorted(p.payload["name"] for p in model.singles) == [mention(0).name, mention(2).name]


def test_an_unusable_group_answer_sends_every_item_alone(tmp_path: Path) -> None:
    for bad in (GroupModel(group=lambda ids: "not json"), GroupModel(finish="length")):
        out = svc(bad, tmp_path / str(id(bad))).run_all([(TASK, mention(n)) for n in range(3)])
        assert [r.role for r in out] == [ROLES[n] for n in range(3)]
        assert len(bad.groups) == 1 and len(bad.singles) == 3


def test_a_failed_group_call_is_each_items_typed_failure_without_a_call_each(tmp_path: Path) -> None:
    """Asked alone, each item would fail the same way (the endpoint is down, or throttling): one
    failure each, recorded, and no more calls."""
    model = GroupModel(fail=LLMUnavailableError("fake: 503 after retries"))
    usage: list[LLMUsage] = []
    out = svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(4)], usage=usage)
    assert all(isinstance(r, LLMError) and "503" in str(r) for r in out)
    assert len(model.prompts) == 1 and not model.singles
    assert usage == []  # as a single call that raised: no tokens reported, no row


def test_only_the_misses_are_grouped(tmp_path: Path) -> None:
    model = GroupModel()
    first = svc(model, tmp_path)
    first.run_all([(TASK, mention(n)) for n in (1, 3)])
    usage: list[LLMUsage] = []
    out = svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(6)], usage=usage)
    assert [r.role for r in out] == [ROLES[n % 5] for n in range(6)]
    asked = [number(p["name"]) for p in model.groups[-1].payload["answers"]]
    assert len(model.groups) == 2 and asked == [0, 2, 4, 5] and not model.singles
    assert sorted(u.cached for u in usage) == [False, True, True]


def test_a_lone_miss_is_asked_alone(tmp_path: Path) -> None:
    model = GroupModel()
    svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(3)])
    svc(model, tmp_path).run_all([(TASK, mention(n)) for n in range(4)])
    assert len(model.groups) == 1 and [number(p.payload["name"]) for p in model.singles] == [3]


def test_more_items_than_a_group_holds_are_split_into_even_groups(tmp_path: Path) -> None:
    model = GroupModel()
    n = TASK.group_size + 5  # type: ignore[operator]
    out = svc(model, tmp_path, concurrency=2).run_all([(TASK, mention(i)) for i in range(n)])
    assert [r.role for r in out] == [ROLES[i % 5] for i in range(n)]
    sizes = sorted(len(p.payload["answers"]) for p in model.groups)
    assert len(model.prompts) == 2 and sizes == [n // 2, n - n // 2]


def test_the_same_item_twice_in_a_group_is_asked_once(tmp_path: Path) -> None:
    model = GroupModel()
    items = [mention(0), mention(1), mention(0, doc="doc-2")]
    out = svc(model, tmp_path).run_all([(TASK, m) for m in items])
    assert [(r.doc_key, r.role) for r in out] == [("doc-1", ROLES[0]), ("doc-1", ROLES[1]), ("doc-2", ROLES[0])]
    (call,) = model.prompts
    assert len(call.payload["answers"]) == 2


def test_the_offline_backend_answers_a_group_with_its_rules_for_each_item(tmp_path: Path) -> None:
    items = [
        mention(0),
        CompetitorMention(doc_key="d", name="精锻科技", page=1,
                          context="江苏太平洋精锻科技股份有限公司（300258）是同行业上市公司"),
        CompetitorMention(doc_key="d", name="东风锻造", page=1, context="公司向东风锻造有限公司采购毛坯"),
    ]  # fmt: skip
    usage: list[LLMUsage] = []
    out = svc(OfflineModel(), tmp_path).run_all([(TASK, m) for m in items], usage=usage)
    for m, r in zip(items, out, strict=True):
        want = classify_offline(m.name, m.context, m.stock_code, m.section_title, m.source)
        assert (r.role, r.listed, r.domicile, r.stock_code) == (want.role, want.listed, want.domicile, want.stock_code)
    assert (out[1].listed, out[1].stock_code, out[2].role) == ("listed", "300258", "supplier")  # told apart
    assert len(usage) == 1 and usage[0].backend == "offline group"


def test_the_batch_path_keeps_a_grouped_tasks_items_one_line_each_and_groups_what_goes_online(
    tmp_path: Path,
) -> None:
    """A batch line is one item's request, as before (its answer is the item's own, cached under its
    key); the items the batch could not answer go online, where they are asked as one group."""
    with FakeBatchOpenAI() as server:
        s = Settings(llm_base_url=server.base_url, llm_api_key="sk-test", llm_model="m", llm_max_retries=0)
        service = LLMService(model_from_settings(s), Cache(tmp_path / "c.sqlite"), max_reasks=1)
        items = [mention(n) for n in range(4)]
        keys = [cache_key("m", "competitor", service._prompt(TASK, m).payload) for m in items]
        server.fail_ids = set(keys[1:])  # failed inside the batch: asked online
        out = run_batch(service, [(TASK, m) for m in items], sleep=lambda _: None)
        assert [r.role for r in out] == ["competitor"] * 4
        (upload,) = server.uploads
        sent = [json.loads(x) for x in upload.decode().splitlines()]
        assert [schema_of(x["body"]) for x in sent] == ["CompetitorClassOut"] * 4
        assert [schema_of(x) for x in server.chat_requests] == ["CompetitorClassOutGroup"]


def test_an_item_another_caller_is_asking_waits_for_that_answer_instead_of_a_second_call(tmp_path: Path) -> None:
    """Versions of one prospectus share their competitor chapter: two documents at once ask the same
    items. The group leaves out the item already in flight and takes its answer when it comes."""
    import threading

    grouped = threading.Event()

    def group(ids: list[tuple[int, int]]) -> dict[str, Any]:
        grouped.set()
        return {"answers": [{"id": i, **answer(n)} for i, n in ids]}

    model = GroupModel(group=group)
    service = svc(model, tmp_path)
    other = svc(GroupModel(), tmp_path)  # the other caller, with the same cache
    key = cache_key("fake-1", "competitor", service._prompt(TASK, mention(1)).payload)
    in_flight = service._asking[key] = threading.Event()
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.extend(service.run_all([(TASK, mention(n)) for n in range(3)])))
    worker.start()
    assert grouped.wait(timeout=10)  # the group was asked while the other caller's call was in flight
    other.run_task(TASK, mention(1))  # the other caller's answer, cached
    del service._asking[key]
    in_flight.set()
    worker.join(timeout=10)
    assert [r.role for r in out] == [ROLES[n] for n in range(3)]
    (call,) = model.prompts
    assert [number(p["name"]) for p in call.payload["answers"]] == [0, 2]
