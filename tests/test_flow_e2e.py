"""The whole pipeline as Prefect flows (embedded SQLite server) over the replay of real data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from core.manifest import Manifest
from replay import ReplayServer
from report import SHEETS

pytestmark = pytest.mark.prefect


def rows(ws) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def test_adhoc_then_rerun_then_daily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer) -> None:
    from flows import processes
    from flows.pipeline import adhoc_flow, daily_flow

    srv = replay_env
    warm: list[bool] = []  # whether each run started its extraction workers ahead of the first document
    pool = processes.extraction_pool

    def spy(*args: Any, **kwargs: Any) -> Any:
        warm.append(kwargs.get("warm", False))
        return pool(*args, **kwargs)

    monkeypatch.setattr(processes, "extraction_pool", spy)

    state = adhoc_flow(start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1), return_state=True)
    first = Path(state.result())
    downloads = [h for h in srv.hits if h[1].startswith("/finalpage/")]
    assert len(downloads) == 11

    wb = load_workbook(first)
    assert wb.sheetnames == list(SHEETS)
    anns = rows(wb["Announcements"])
    assert len(anns) == 11 and {a["代码"] for a in anns} >= {
        "001282",
        "301563",
        "603418",
        "688775",
        "920100",
        "600519",
        "000430",
        "002638",
        "300626",
        "002335",
    }
    docs = {d["代码"] + str(d["页数"]): d for d in rows(wb["Documents"])}
    assert len(docs) == 11 and all(len(str(d["sha256"])) == 64 for d in docs.values())
    moutai = docs["600519143"]
    assert moutai["页数"] == 143 and moutai["字节"] == 3626217
    # the complete real prospectuses: stated vs extracted patent counts
    assert (docs["002638398"]["专利数(声明)"], docs["002638398"]["专利数(提取)"]) == (166, 166)
    assert docs["002638398"]["专利核对"] == "一致"
    assert docs["002335376"]["专利数(提取)"] == 46 and docs["002335376"]["专利核对"] == "无数量声明"

    patents = rows(wb["Patents"])
    by_code: dict[object, list[dict[str, object]]] = {}
    for p in patents:
        by_code.setdefault(p["代码"], []).append(p)
    assert {k: len(v) for k, v in by_code.items()} == {"002638": 166, "300626": 58, "002335": 46}
    first_patent = by_code["002638"][0]
    assert (first_patent["专利号"], first_patent["专利类型"], first_patent["页码"], first_patent["序号"]) == (
        "200610157350.4",
        "发明",
        181,
        "1",
    )
    assert first_patent["专利名称"] == "变色LED灯控制系统及控制方法" and first_patent["专利权人"] == "发行人"
    assert [p["状态"] for p in by_code["002335"]].count("申请中") == 5
    comps = {c["竞争对手"]: c for c in rows(wb["Competitors"])}
    assert comps["江西联创光电科技股份有限公司"]["简称"] == "联创光电"
    assert comps["江西联创光电科技股份有限公司"]["出处"] == "小标题"
    assert comps["江西联创光电科技股份有限公司"]["关系"] == "竞争对手"  # the classification's judgement
    assert comps["江西联创光电科技股份有限公司"]["角色"] == "竞争对手"  # the role it is named in
    assert comps["深圳市凯中精密技术股份有限公司"]["出处"] == "表格"
    assert "鹤山真明丽灯饰有限公司" not in comps  # a competitor's subsidiary, named in its description
    assert {c["关系"] for c in comps.values()} <= {"竞争对手", "客户", "供应商", "其他", "未知"}
    assert {c["来源"] for c in comps.values()} == {"规则"}  # offline, the rules stand alone
    assert {c["是否上市"] for c in comps.values()} <= {"上市", "非上市", "未知"}
    summaries = rows(wb["Summaries"])
    assert {s["章节"] for s in summaries} >= {"全文", "专利", "竞争对手"}
    assert all(str(s["后端:模型"]).startswith("offline") for s in summaries)
    assert len(rows(wb["Tables"])) >= 270
    info = {r["key"]: r["值"] for r in rows(wb["Run info"])}
    assert info["LLM backend"] == "offline:offline-rules-v1" and info["documents"] == 11

    # the run is reviewable in the Prefect UI: a table of documents and a link to the workbook
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    keys = ArtifactFilterKey(any_=["prospectus-workbook", "prospectus-documents"])
    with get_client(sync_client=True) as client:  # fails with 422 under fastapi>=0.151 (see pyproject)
        this_run = ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(key=keys, flow_run_id=this_run), limit=10)
    by_key = {a.key: a for a in arts}
    assert by_key["prospectus-workbook"].type in {"link", "markdown"}
    assert first.name in str(by_key["prospectus-workbook"].data)
    assert by_key["prospectus-documents"].type == "table" and "001282" in str(by_key["prospectus-documents"].data)

    # a rerun downloads nothing and processes nothing again
    second = Path(adhoc_flow(start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1)))
    assert len([h for h in srv.hits if h[1].startswith("/finalpage/")]) == 11
    info2 = {r["key"]: r["值"] for r in rows(load_workbook(second)["Run info"])}
    assert info2["documents already processed (skipped)"] == 11 and info2["LLM cached"] > 0
    assert len(rows(load_workbook(second)["Patents"])) == 270
    # the cumulative store: the first run's rows are new, the rerun's are not
    assert {a["新增"] for a in anns} == {"新"}
    assert {a["新增"] for a in rows(load_workbook(second)["Announcements"])} == {None}
    assert info2["new documents"] == 0 and info["new documents"] == 11
    assert warm == [True, False]  # eleven documents to download; then all of them known: no workers

    # one merged workbook over every run; a second export since the last one has nothing new
    from core.settings import Settings
    from flows.export import export

    merged = load_workbook(export(Settings(), tmp_path / "exports"))
    assert len(rows(merged["Documents"])) == 11 and len(rows(merged["Patents"])) == 270
    assert {d["新增"] for d in rows(merged["Documents"])} == {"新"}
    nothing = load_workbook(export(Settings(), tmp_path / "exports", since_last_export=True))
    assert rows(nothing["Announcements"]) == [] and rows(nothing["Patents"]) == []

    # daily: first run looks back one day from "today"; the next starts where it ended
    daily_flow(today=dt.date(2025, 9, 25), lookback_days=10)
    daily_flow(today=dt.date(2025, 9, 30))
    manifest = Manifest(tmp_path / "data" / "manifest.sqlite")
    assert manifest.last_successful_window_end("daily") == dt.date(2025, 9, 30)
    windows = [h[2]["seDate"][0] for h in srv.hits if h[1] == "/new/hisAnnouncement/query"][-2:]
    assert windows == ["2025-09-15~2025-09-25", "2025-09-25~2025-09-30"]


def test_served_daily_deployment_has_the_cron_schedule() -> None:
    from flows.serve import deployments

    daily, adhoc = deployments("30 18 * * *", "Asia/Shanghai")
    (schedule,) = daily.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 18 * * *", "Asia/Shanghai")
    assert daily.name == "daily" and adhoc.name == "adhoc" and not adhoc.schedules
    from prefect.utilities.callables import parameter_schema

    from flows.pipeline import adhoc_flow

    params = parameter_schema(adhoc_flow.fn).model_dump()["properties"]
    assert set(params) >= {"exchange", "codes", "keyword", "categories", "start", "end"}
    # the UI form explains every field
    assert all(p.get("description") for p in params.values())
    assert "YYYY-MM-DD" in params["start"]["description"]


def test_bad_documents_are_reported_and_the_rest_carry_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    from flows.pipeline import adhoc_flow
    from replay import Scripted

    srv = replay_env
    moutai = next(e for e in srv.catalogue if e.sec_code == "600519")
    zjj = next(e for e in srv.catalogue if e.sec_code == "000430")
    srv.script(
        "/" + moutai.adjunct_url,
        Scripted(200, b"<html><body>\xe6\x96\x87\xe4\xbb\xb6\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8</body></html>"),
    )
    srv.script("/" + zjj.adjunct_url, Scripted(200, zjj.pdf.read_bytes()[:100_000]))  # truncated body

    state = adhoc_flow(
        categories=["category_ndbg_szsh"], start=dt.date(2015, 1, 1), end=dt.date(2026, 1, 1), return_state=True
    )
    # every document failed: the run says so, and its workbook still explains why
    assert state.is_failed() and "all 2 documents failed" in state.message
    wb = load_workbook(state.result(raise_on_failure=False))
    anns = {a["代码"]: a for a in rows(wb["Announcements"])}
    assert "InvalidPDFError" in str(anns["600519"]["状态"]) and "HTML page" in str(anns["600519"]["状态"])
    assert "truncated" in str(anns["000430"]["状态"])
    assert rows(wb["Documents"]) == []
    info = [(r["key"], r["值"]) for r in rows(wb["Run info"])]
    assert sum(1 for item, _ in info if item == "failure: download") == 2
    kept = sorted(p.name for p in (tmp_path / "data" / "rejected").iterdir())
    assert len(kept) == 2  # both bad bodies kept for inspection


def test_a_bug_in_one_document_fails_that_document_alone_and_the_run_ends_partial_with_its_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    """A KeyError (a bug, not a bad PDF) while one document is extracted: that document's row says
    UnexpectedError, the other document is kept in the workbook, and the run ends Partial (exit 1), so
    the bug stays loud without losing the rest of the run."""
    import flows.processes
    from flows.cli import EXIT_PARTIAL, exit_code
    from flows.pipeline import adhoc_flow

    real = flows.processes.extract_document

    def broken_for_one(path: Path, *args: object, **kwargs: object) -> object:
        if "科华" in str(kwargs.get("issuer")):  # 002335; the other document is 300626
            raise KeyError("a programming error, not a bad PDF")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(flows.processes, "extract_document", broken_for_one)
    monkeypatch.setenv("PP_EXTRACT_PROCESSES", "1")  # in threads, so the wrapper above is the one called
    state = adhoc_flow(codes=["300626", "002335"], start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1), llm=False,
                       return_state=True)  # fmt: skip
    assert state.is_failed() and state.name == "Partial" and exit_code(state) == EXIT_PARTIAL  # red in the UI
    wb = load_workbook(state.result(raise_on_failure=False))
    assert {p["代码"] for p in rows(wb["Patents"])} == {"300626"}
    info = [(r["key"], str(r["值"])) for r in rows(wb["Run info"])]
    assert any(k == "failure: extract" and "UnexpectedError: KeyError" in v and "programming error" in v
               for k, v in info)  # fmt: skip


def test_a_stalled_stage_fails_its_document_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    import time

    import flows.processes
    from flows.pipeline import adhoc_flow

    def stalled(*args: object, **kwargs: object) -> None:
        time.sleep(6)  # a thread cannot be interrupted: the run records the deadline, then ends

    monkeypatch.setattr(flows.processes, "extract_document", stalled)
    monkeypatch.setenv("PP_EXTRACT_TIMEOUT_S", "2")
    state = adhoc_flow(codes=["300626"], start=dt.date(2017, 1, 1), end=dt.date(2017, 12, 31), return_state=True)
    assert state.is_failed() and "all 1 documents failed" in state.message
    info = [(r["key"], r["值"]) for r in rows(load_workbook(state.result(raise_on_failure=False))["Run info"])]
    assert any(item == "failure: extract" and "DeadlineExceededError" in str(value) for item, value in info)


def test_table_recipes_from_a_flow_run_are_merged_into_one_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    from flows.pipeline import adhoc_flow

    state = adhoc_flow(
        categories=["年报"],
        start=dt.date(2015, 1, 1),
        end=dt.date(2026, 1, 1),
        tables=["关联交易"],
        llm=False,
        return_state=True,
    )
    assert state.is_completed(), state.message
    wb = load_workbook(state.result())
    sales = rows(wb["关联交易销售"])
    assert {r["代码"] for r in sales} == {"600519", "000430"} and len(sales) == 28
    assert next(r for r in sales if r["代码"] == "000430")["本期发生额"] == 343754.19
    assert len(rows(wb["关联交易采购"])) == 39


def test_a_documents_llm_calls_start_while_a_slower_document_is_still_extracting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    """Streaming: each document goes download → extract → LLM as soon as it is ready, instead of the
    LLM stage waiting for the last extraction of the run. One document's extraction is held until the
    other's first LLM call arrives (stage by stage, that call would never come while it is held)."""
    import threading

    import flows.processes
    from flows.pipeline import adhoc_flow
    from tests.fake_openai import FakeOpenAI, by_schema, schema_of

    real = flows.processes.extract_document
    other_asked = threading.Event()
    held: list[bool] = []

    def one_held(path: Path, *args: object, **kwargs: object) -> object:
        out = real(path, *args, **kwargs)
        if "科华" in str(kwargs.get("issuer")):  # 002335; the other document is 002638
            held.append(other_asked.wait(timeout=30))
        return out

    def answer(body: dict[str, object]) -> object:
        if schema_of(body) != "AnnouncementClassOut":  # a document's own items: summary, competitors
            other_asked.set()
        return by_schema(body)  # type: ignore[arg-type]

    monkeypatch.setattr(flows.processes, "extract_document", one_held)
    monkeypatch.setenv("PP_EXTRACT_PROCESSES", "1")  # in threads, so the wrapper above is the one called
    with FakeOpenAI(respond=answer) as model:  # type: ignore[arg-type]
        monkeypatch.setenv("PP_LLM_BASE_URL", model.base_url)
        monkeypatch.setenv("PP_LLM_API_KEY", "test")
        monkeypatch.setenv("PP_LLM_MODEL", "fake")
        state = adhoc_flow(codes=["002638", "002335"], start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1),
                           return_state=True)  # fmt: skip
        asked = [schema_of(r) for r in model.requests]
    assert state.is_completed()
    assert held == [True]  # 002638's LLM calls came while 002335 was still in its extraction
    assert sum(a.startswith("CompetitorClassOut") for a in asked) >= 2 and "SectionSummaryOut" in asked
    assert "CompetitorExtractOut" in asked  # with a model configured, it reads the competitor sections too


def test_a_configured_models_competitor_names_reach_the_sheet_grounded_and_merged_with_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    """002638 pp. 147-149 (主要竞争对手概况): the model names two firms printed on p. 148 and one that
    the document never prints; the Competitors sheet has the two, marked as found by the model, and
    the Documents sheet notes the one rejected."""
    import json

    from flows.pipeline import adhoc_flow
    from tests.fake_openai import FakeOpenAI, by_schema, chat, schema_of

    named = [
        {"name": "佛山市国星光电股份有限公司", "short_name": "国星光电", "role": "竞争对手", "page": 148,
         "evidence": "佛山市国星光电股份有限公司是国家火炬计划重点高新技术企业"},
        {"name": "荷兰皇家飞利浦电子公司", "short_name": "飞利浦", "role": "竞争对手", "page": 148,
         "evidence": "荷兰皇家飞利浦电子公司成立于 1891 年"},
        {"name": "万向钱潮股份有限公司", "short_name": None, "role": "竞争对手", "page": 148,
         "evidence": "万向钱潮股份有限公司"},
    ]  # fmt: skip

    def answer(body: dict[str, Any]) -> Any:
        if schema_of(body) == "CompetitorExtractOut" and '<page n="148">' in body["messages"][1]["content"]:
            return chat(json.dumps({"companies": named}, ensure_ascii=False))
        return by_schema(body)

    with FakeOpenAI(respond=answer) as model:
        monkeypatch.setenv("PP_LLM_BASE_URL", model.base_url)
        monkeypatch.setenv("PP_LLM_API_KEY", "test")
        monkeypatch.setenv("PP_LLM_MODEL", "fake")
        state = adhoc_flow(codes=["002638"], start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1), return_state=True)
    assert state.is_completed(), state.message
    wb = load_workbook(state.result())
    comps = {c["竞争对手"]: c for c in rows(wb["Competitors"])}
    for name in ("佛山市国星光电股份有限公司", "荷兰皇家飞利浦电子公司"):
        assert comps[name]["来源"] in ("模型", "规则+模型") and comps[name]["页码"] == 148
    assert "万向钱潮股份有限公司" not in comps
    assert any("规则" in c["来源"] for c in comps.values())  # the rules' names are kept beside them
    (doc,) = rows(wb["Documents"])
    assert "万向钱潮股份有限公司（第148页：名称不在所注页）" in str(doc["警告/错误"])


@pytest.mark.slow
def test_a_batch_run_extracts_every_document_first_then_asks_the_model_in_one_batch(
    monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    """--llm-batch: no document task calls the model; after the extractions every item (the
    announcements', each document's summaries and competitors, the model's competitor reading) goes
    into one JSONL file per stage through /v1/files and /v1/batches, and the answers reach the sheets."""
    from flows.pipeline import adhoc_flow
    from tests.fake_openai_batch import FakeBatchOpenAI

    with FakeBatchOpenAI() as model:
        model.polls_to_complete = 1
        monkeypatch.setenv("PP_LLM_BASE_URL", model.base_url)
        monkeypatch.setenv("PP_LLM_API_KEY", "test")
        monkeypatch.setenv("PP_LLM_MODEL", "fake")
        monkeypatch.setenv("PP_LLM_BATCH_POLL_S", "0")
        state = adhoc_flow(codes=["002638", "300626"], start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1),
                           llm_batch=True, return_state=True)  # fmt: skip
        uploads = [[json.loads(x) for x in u.decode().splitlines()] for u in model.uploads]
        online = list(model.chat_requests)
    assert state.is_completed(), state.message
    assert online == []  # nothing asked outside the batches
    assert len(uploads) == 2  # the model's competitor reading first, then every other task
    asked = {line["body"]["response_format"]["json_schema"]["name"] for u in uploads for line in u}
    assert {"CompetitorExtractOut", "SectionSummaryOut", "AnnouncementClassOut"} <= asked
    wb = load_workbook(state.result())
    summaries = rows(wb["Summaries"])
    assert summaries and all(s["摘要"] == "概述。" for s in summaries)  # the fake's answer, through the batch
    info = {r["key"]: r["值"] for r in rows(wb["Run info"])}
    said = str(info["param: llm batch"])  # Run info says what the batches did
    assert "batch_1 completed" in said and "batch_2 completed" in said and "0 online" in said
