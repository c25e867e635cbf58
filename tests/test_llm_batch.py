"""The batch path (``llm.batch``) end to end against a local server with the Batch API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core.records import Announcement
from core.settings import Settings
from llm.batch import BatchReport, run_batch
from llm.client import OfflineModel, model_from_settings
from llm.service import Cache, LLMService
from llm.tasks import TASKS
from tests.fake_openai import Answer, by_schema, chat
from tests.fake_openai_batch import FakeBatchOpenAI

TASK = TASKS["announcement"]


def ann(n: int, title: str = "首次公开发行股票并在主板上市招股说明书") -> Announcement:
    return Announcement(
        source="cninfo", announcement_id=str(n), sec_code=f"{n:06d}", sec_name=f"公司{n}", title=title,
        published=dt.date(2023, 5, 17), pdf_url=None,
    )  # fmt: skip


def service(server: FakeBatchOpenAI, tmp_path: Path) -> LLMService:
    s = Settings(llm_base_url=server.base_url, llm_api_key="sk-test", llm_model="m", llm_max_retries=0)  # type: ignore[arg-type]
    return LLMService(model_from_settings(s), Cache(tmp_path / "cache.sqlite"), max_reasks=1)


def no_sleep(_: float) -> None:
    pass


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(x) for x in data.decode().splitlines()]


def test_items_go_in_one_batch_file_and_come_back_validated_cached_and_costed(tmp_path: Path) -> None:
    with FakeBatchOpenAI() as server:
        svc = service(server, tmp_path)
        items = [ann(1), ann(2, "2023年年度报告"), ann(1)]  # the third asks what the first asks
        report = BatchReport()
        out = run_batch(svc, [(TASK, a) for a in items], sleep=no_sleep, report=report)
        assert [r.category for r in out] == ["招股/IPO"] * 3
        assert server.chat_requests == []  # nothing went online
        [upload] = server.uploads
        sent = lines(upload)
        assert len(sent) == 2 and len({x["custom_id"] for x in sent}) == 2  # one line per distinct request
        assert {x["method"] for x in sent} == {"POST"} and {x["url"] for x in sent} == {"/v1/chat/completions"}
        assert report.submitted == 2 and report.answered == 3 and report.online == 0 and report.status == "completed"
        assert {u.backend for u in svc.usage} == {"openai-compatible batch"}
        # a rerun finds every answer in the cache: no upload, no call
        again = run_batch(service(server, tmp_path), [(TASK, a) for a in items], sleep=no_sleep)
        assert [r.category for r in again] == ["招股/IPO"] * 3 and len(server.uploads) == 1


def test_a_batch_line_is_exactly_the_request_the_online_path_sends(tmp_path: Path) -> None:
    with FakeBatchOpenAI() as server:
        run_batch(service(server, tmp_path / "a"), [(TASK, ann(7))], sleep=no_sleep)
        service(server, tmp_path / "b").run_all([(TASK, ann(7))])
        [online] = server.chat_requests
        [line] = lines(server.uploads[0])
        assert line["body"] == online


def test_failed_lines_and_invalid_answers_are_asked_online(tmp_path: Path) -> None:
    def respond(body: dict[str, Any]) -> Answer:
        if "年度报告" in json.dumps(body, ensure_ascii=False):
            return chat("not json")
        return by_schema(body)

    with FakeBatchOpenAI(respond) as server:
        svc = service(server, tmp_path)
        report = BatchReport()
        items = [ann(3), ann(4, "2023年年度报告")]
        out = run_batch(svc, [(TASK, a) for a in items], sleep=no_sleep, report=report)
        # the annual report's batch answer was invalid: asked online (and re-asked there, bounded)
        assert report.answered == 1 and report.online == 1
        assert out[0].category == "招股/IPO"
        assert isinstance(out[1], Exception)  # online it stays invalid: the item's typed failure


def test_a_line_that_failed_inside_the_batch_is_asked_online(tmp_path: Path) -> None:
    with FakeBatchOpenAI() as server:
        svc = service(server, tmp_path)
        from llm.service import cache_key  # the custom_id is the item's cache key, known before submitting

        prompt = svc._prompt(TASK, ann(5))
        server.fail_ids = {cache_key(svc.model.model_id, prompt.task, prompt.payload)}
        report = BatchReport()
        out = run_batch(svc, [(TASK, ann(5)), (TASK, ann(6))], sleep=no_sleep, report=report)
        assert [r.category for r in out] == ["招股/IPO"] * 2
        assert report.answered == 1 and report.online == 1 and len(server.chat_requests) == 1


def test_an_expired_batch_sends_everything_online(tmp_path: Path) -> None:
    with FakeBatchOpenAI() as server:
        server.end_status = "expired"
        report = BatchReport()
        out = run_batch(service(server, tmp_path), [(TASK, ann(1)), (TASK, ann(2))], sleep=no_sleep, report=report)
        assert [r.category for r in out] == ["招股/IPO"] * 2
        assert report.status == "expired" and report.online == 2 and len(server.chat_requests) == 2


def test_a_provider_without_batches_falls_back_to_the_online_path(tmp_path: Path) -> None:
    with FakeBatchOpenAI() as server:
        server.supports_batches = False
        report = BatchReport()
        out = run_batch(service(server, tmp_path), [(TASK, ann(1))], sleep=no_sleep, report=report)
        assert out[0].category == "招股/IPO" and len(server.chat_requests) == 1
        assert report.batch_id is None and "no batch" in report.notes[0]


def test_polling_waits_for_the_batch_to_end(tmp_path: Path) -> None:
    with FakeBatchOpenAI() as server:
        server.polls_to_complete = 4
        slept: list[float] = []
        run_batch(service(server, tmp_path), [(TASK, ann(1))], sleep=slept.append, poll_s=7)
        assert slept == [7, 7, 7]


def test_the_offline_backend_has_no_batch_and_answers_as_online(tmp_path: Path) -> None:
    svc = LLMService(OfflineModel(), Cache(tmp_path / "c.sqlite"))
    report = BatchReport()
    out = run_batch(svc, [(TASK, ann(1))], sleep=no_sleep, report=report)
    assert out[0].category and report.online == 1 and report.batch_id is None


@pytest.mark.parametrize("bad", ["", "{", '{"custom_id": 1}', '{"custom_id": "k", "response": {"status_code": 200}}'])
def test_output_lines_of_the_wrong_shape_never_raise(bad: str) -> None:
    from llm.batch import parse_output

    parsed = parse_output(bad)
    assert all(a.text is None for a in parsed.values())
