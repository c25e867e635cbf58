"""Live progress: each document's ``extract n/N`` line is logged when that document ends, not with
the others at the end of the run (before, every line came from a loop over the finished futures, all
with one timestamp), and the same counts reach the Prefect UI as a progress artifact."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from pathlib import Path

import pytest

from core.progress import Progress
from replay import ReplayServer


def test_progress_lines_count_each_stage_with_bytes_and_tokens(caplog: pytest.LogCaptureFixture) -> None:
    p = Progress()
    p.expect("download", 2)
    with caplog.at_level(logging.INFO, logger="core.progress"):
        p.step("download", "a", nbytes=2048)
        p.step("download", "b", nbytes=1024, failed=True)
        p.expect("llm", 3)
        p.step("llm", "a", n=3, tokens=120)
    assert [r.getMessage() for r in caplog.records] == [
        "download 1/2: a (2.0 KB, 2.0 KB in all)",
        "download 2/2: b (1.0 KB, 3.0 KB in all; 1 failed)",
        "llm 3/3: a (120 tokens, 120 in all)",
    ]
    assert caplog.records[1].levelno == logging.WARNING
    assert p.fraction() == 1.0


@pytest.mark.prefect
def test_a_documents_extract_line_is_logged_while_another_document_is_still_extracting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_env: ReplayServer
) -> None:
    import flows.processes
    from flows.pipeline import adhoc_flow

    seen: list[str] = []
    first_line = threading.Event()

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())
            if re.match(r"extract 1/2\b", record.getMessage()):
                first_line.set()

    real = flows.processes.extract_document
    held: list[bool] = []

    def one_held(path: Path, *args: object, **kwargs: object) -> object:
        out = real(path, *args, **kwargs)
        if "科华" in str(kwargs.get("issuer")):  # 002335 waits for the other document's line
            held.append(first_line.wait(timeout=30))
        return out

    monkeypatch.setattr(flows.processes, "extract_document", one_held)
    monkeypatch.setenv("PP_EXTRACT_PROCESSES", "1")  # in threads, so the wrapper above is the one called
    handler = Lines()
    lines = logging.getLogger("core.progress")
    level = lines.level
    lines.setLevel(logging.INFO)  # the tests run Prefect's loggers at WARNING
    loggers = [logging.getLogger(), logging.getLogger("prefect")]
    for lg in loggers:
        lg.addHandler(handler)
    try:
        state = adhoc_flow(codes=["002638", "002335"], start=dt.date(2009, 1, 1), end=dt.date(2026, 1, 1),
                           llm=False, return_state=True)  # fmt: skip
    finally:
        lines.setLevel(level)
        for lg in loggers:
            lg.removeHandler(handler)
    assert state.is_completed(), state.message
    assert held == [True], "the first document's extract line came only after the second had ended"
    assert any(re.match(r"download 2/2: .*MB in all", line) for line in seen)
    assert not [line for line in seen if "worker thread" in line]  # Prefect's false timeout warning

    # the same counts in the UI: the run's progress artifact, at 100 % with the stage counts
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["prospectus-progress"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )
    assert [(a.type, float(a.data)) for a in arts] == [("progress", 100.0)]  # type: ignore[arg-type]
    assert "extract 2/2" in str(arts[0].description)
    # … and the lines themselves in the run's log
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    with get_client(sync_client=True) as client:
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])), limit=200
        )
    assert any(re.match(r"extract 2/2: ", entry.message) for entry in logs)
