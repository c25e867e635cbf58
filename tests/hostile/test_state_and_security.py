"""State that heals (a future window, rows that no longer validate, a newer schema), input that must
not be trusted (non-ASCII digits, spreadsheet formulas, markdown), and the CLI's one-line refusals."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError, PipelineError
from core.manifest import Manifest
from core.records import Announcement, Document, Failure
from core.store import Store

DOC = Document(
    key="cninfo:1", sec_code="001282", sec_name="三联锻造", title="招股说明书", published=dt.date(2023, 5, 17),
    url="http://x/1.pdf", path="/tmp/1.pdf", sha256="a" * 64, size=10,
)  # fmt: skip


# --- state that heals ---------------------------------------------------------------------------------


def test_a_daily_window_recorded_under_a_future_clock_is_clamped_to_today(tmp_path: Path) -> None:
    m = Manifest(tmp_path / "manifest.sqlite")
    run = m.start_run("daily", dt.date(2099, 12, 30), dt.date(2099, 12, 31))
    m.finish_run(run, "completed")
    assert m.last_successful_window_end("daily", today=dt.date(2026, 8, 1)) == dt.date(2026, 8, 1)
    assert m.last_successful_window_end("daily") <= dt.date.today() + dt.timedelta(days=1)  # type: ignore[operator]


def test_a_manifest_row_that_no_longer_validates_is_a_miss_not_a_crash(tmp_path: Path) -> None:
    m = Manifest(tmp_path / "manifest.sqlite")
    m.put_document(DOC)
    m.put_document(DOC.model_copy(update={"key": "cninfo:2", "sha256": "b" * 64}))
    with sqlite3.connect(m.path) as c:
        c.execute("UPDATE documents SET record = '{\"key\": 5}' WHERE key = 'cninfo:1'")
        c.execute("INSERT INTO stages VALUES (?, 'extract', 'not json', 'now')", ("a" * 64,))
    assert m.get_document("cninfo:1") is None and m.find_by_sha("a" * 64) is None
    assert [d.key for d in m.documents()] == ["cninfo:2"]
    assert m.stage_result("a" * 64, "extract") is None
    assert len(m.invalid_rows) == 4


def test_a_store_row_that_no_longer_validates_is_skipped_and_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    ann = Announcement(
        source="cninfo", announcement_id="1", sec_code="001282", sec_name="三联锻造", title="招股说明书",
        published=dt.date(2023, 5, 17), pdf_url="http://x/1.pdf",
    )  # fmt: skip
    store.add("run1", announcements=[ann, ann.model_copy(update={"announcement_id": "2"})], documents=[DOC])
    with sqlite3.connect(store.path) as c:
        c.execute("UPDATE items SET first_at = 'yesterday' WHERE key = 'cninfo:1' AND kind = 'announcement'")
        c.execute("UPDATE items SET type = 'antigravity:Fly' WHERE kind = 'document'")
    out = store.load()
    assert [a.key for a in out.announcements] == ["cninfo:2"] and out.documents == []
    assert len(out.skipped) == 2 and any("outside this project" in s for s in out.skipped)


def test_a_cached_answer_that_no_longer_validates_is_asked_again(tmp_path: Path) -> None:
    import json

    from llm.client import Prompt, RawAnswer
    from llm.service import Cache, LLMService, cache_key
    from llm.tasks import TASKS
    from tests.fake_openai import ANSWERS

    schema = TASKS["announcement"].schema
    valid = json.dumps(ANSWERS[schema.__name__], ensure_ascii=False)

    class Model:
        model_id, backend, calls = "m", "fake", 0

        def complete(self, prompt: Any, history: Any) -> RawAnswer:
            Model.calls += 1
            return RawAnswer(valid)

    cache = Cache(tmp_path / "cache.sqlite")
    prompt = Prompt(task="announcement", system="s", user="u", schema=schema, payload={"x": 1})
    key = cache_key("m", "announcement", {"x": 1})
    with sqlite3.connect(cache.path) as c:
        c.execute("INSERT INTO answers VALUES (?, 'announcement', 'm', ?, 0, 0)", (key, '{"other": 1}'))
    out, _ = LLMService(Model(), cache).run(prompt, schema)
    assert out == schema.model_validate_json(valid) and Model.calls == 1


def test_a_store_of_a_newer_schema_is_refused_and_kept_as_it_is(tmp_path: Path) -> None:
    from core.errors import StoreSchemaError

    path = tmp_path / "store.sqlite"
    Store(path)
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA user_version = 99")
    import core.sqlite

    core.sqlite._READY.clear()
    with pytest.raises(StoreSchemaError, match="schema version 99"):
        Store(path)
    assert path.is_file() and not list(tmp_path.glob("*.corrupt-*"))


# --- security -----------------------------------------------------------------------------------------

NON_ASCII_CODES = ["００１２８２", "٠٠١٢٨٢", "۰۰۱۲۸۲", "００1282"]


@pytest.mark.parametrize("code", NON_ASCII_CODES)
def test_a_code_of_non_ascii_digits_is_refused_everywhere(code: str) -> None:
    from core.params import RunParams
    from scrapers.base import Query, parse_rows
    from scrapers.download import safe_filename

    with pytest.raises(ValueError):
        Query(codes=(code,))
    with pytest.raises((ConfigError, ValueError)):
        RunParams.checked(codes=[code])
    ann = Announcement(
        source="cninfo",
        announcement_id="1",
        sec_code=code,
        sec_name="x",
        title="t",
        published=dt.date(2023, 5, 17),
        pdf_url=None,
    )
    kept, rejected = parse_rows([{}], lambda _r: ann, "cninfo")
    assert kept == [] and len(rejected) == 1
    assert not safe_filename(ann).startswith(code)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\t=cmd|' /C calc'!A0", "'\t=cmd|' /C calc'!A0"),
        ('\r=HYPERLINK("http://evil")', '\'\r=HYPERLINK("http://evil")'),
        (" \n+SUM(1)", "' \n+SUM(1)"),
        ("a\x00b\x1bc\x7f", "abc"),
        ("\x00=1+1", "'=1+1"),
    ],
)
def test_a_csv_cell_is_sanitised_like_the_workbooks(text: str, expected: str) -> None:
    from report.tabular import _cell

    assert _cell(text) == expected


def test_server_text_is_escaped_in_the_markdown_artifact() -> None:
    from report.artifacts import summary_markdown
    from report.run import RunReport

    report = RunReport(flow="daily", parameters={}, started=dt.datetime.now(dt.UTC))
    report.failures.append(
        Failure(key="k|[click](http://evil)", stage="download", error_type="X", message="<img src=x>\n# heading")
    )
    text = summary_markdown(report)
    row = text.splitlines()[-1]
    assert row.count(" | ") == 2  # the three cells stay three
    import re

    assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(http|\n# heading", text)  # each one escaped or on one line
    assert "\\<img" in text and "\\[click\\]\\(http" in text


# --- one-line refusals of the CLI -------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PP_OUTPUTS_DIR", str(tmp_path / "outputs"))
    return tmp_path


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from flows.cli import main

    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_export_since_year_one_is_a_one_line_refusal(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "0001-01-01" in _refused(["export", "--since", "0001-01-01"], capsys)


def test_a_huge_lookback_is_a_one_line_refusal(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "lookback" in _refused(["daily", "--lookback-days", "99999999999"], capsys)


def test_a_gbk_recipes_file_is_a_one_line_refusal(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipes = cli_env / "recipes.toml"
    recipes.write_bytes('[[recipe]]\nname = "关联交易"\n'.encode("gbk"))
    assert "codec" in _refused(["extract", "--recipes", str(recipes), str(cli_env)], capsys)


def test_a_data_folder_that_is_a_file_is_a_one_line_refusal(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (cli_env / "data").write_text("not a folder", "utf-8")
    assert "is a file" in _refused(["export"], capsys)


def test_a_store_of_a_newer_schema_is_refused_before_any_work(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "data").mkdir()
    with sqlite3.connect(cli_env / "data" / "store.sqlite") as c:
        c.execute("PRAGMA user_version = 99")
    assert "newer" in _refused(["export"], capsys)
    assert not (cli_env / "outputs").exists()


def test_pipeline_errors_keep_their_family() -> None:
    from core.errors import LLMDeadlineError, LLMError, LLMResponseShapeError, StoreError, StoreSchemaError

    assert issubclass(LLMDeadlineError, LLMError) and issubclass(LLMResponseShapeError, LLMError)
    assert issubclass(StoreSchemaError, StoreError) and issubclass(StoreError, PipelineError)


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("database is locked"),
        sqlite3.OperationalError("attempt to write a readonly database"),
        sqlite3.OperationalError("database or disk is full"),
        sqlite3.DatabaseError("database disk image is malformed"),
        sqlite3.IntegrityError("UNIQUE constraint failed"),
        sqlite3.InterfaceError("bad parameter"),
        sqlite3.ProgrammingError("closed database"),
    ],
    ids=lambda e: f"{type(e).__name__}:{str(e)[:20]}",
)
def test_no_sqlite_exception_escapes_the_manifest_or_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: sqlite3.Error
) -> None:
    from core.errors import StoreError

    m = Manifest(tmp_path / "manifest.sqlite")
    store = Store(tmp_path / "store.sqlite")

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: _Failing(exc))
    with pytest.raises(StoreError, match=type(exc).__name__):
        m.get_document("k")
    with pytest.raises(StoreError, match=type(exc).__name__):
        store.load()


class _Failing:
    """A connection whose every statement fails with ``exc``."""

    def __init__(self, exc: sqlite3.Error) -> None:
        self.exc = exc

    def execute(self, *_a: Any) -> Any:
        raise self.exc

    def __enter__(self) -> _Failing:
        return self

    def __exit__(self, *_a: object) -> None:
        return None

    def close(self) -> None:
        return None
