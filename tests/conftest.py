from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Prefect must see these before it is imported: an isolated home and a generous first-start timeout
# (the ephemeral server runs its migrations on first start). Each pytest-xdist worker gets a home of its
# own (its own ephemeral server and SQLite database), not the one it inherits from the controller; a
# PREFECT_HOME set by the caller is kept.
_OWN_HOME = "PROSPECTUS_TESTS_PREFECT_HOME"
if "PREFECT_HOME" not in os.environ or os.environ.get(_OWN_HOME) == os.environ["PREFECT_HOME"]:
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    os.environ["PREFECT_HOME"] = os.environ[_OWN_HOME] = tempfile.mkdtemp(prefix=f"prefect-home-{_worker}-")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
for key in [k for k in os.environ if k.startswith("PP_")]:
    del os.environ[key]  # tests build their own Settings

import pytest  # noqa: E402

from core.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PROSPECTUS_CORPUS", ROOT.parent / "shared" / "corpus"))
if not (CORPUS / "MANIFEST.md").is_file():
    raise RuntimeError(f"the shared corpus is missing at {CORPUS}; tests need ../shared/corpus")

PDF = CORPUS / "pdf"
TEXT = CORPUS / "text" / "prospectus_fulltext"
API = CORPUS / "api"


def pytest_configure(config: pytest.Config) -> None:
    """Render the replay's synthetic PDFs once, before any pytest-xdist worker starts, so that two
    workers never write the same file at once (in a serial run the first replay server would)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        from replay.neeq_sample import synthetic_pdfs
        from replay.server import SYNTHETIC_DIR

        synthetic_pdfs(SYNTHETIC_DIR)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for tests: a private data dir, no politeness gap, fast retries."""
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "outputs_dir": tmp_path / "outputs",
        "min_interval_s": 0,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "max_retries": 3,
    }
    return Settings(**{**base, **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def _replay_server():  # type: ignore[no-untyped-def]
    """One replay server of the corpus for the whole session (its catalogue is read once); each test
    gets it with no requests recorded and no scripted answers left (see :func:`replay`)."""
    from replay import ReplayServer

    with ReplayServer(CORPUS) as server:
        yield server


@pytest.fixture
def replay(_replay_server: Any):  # type: ignore[no-untyped-def]
    server = _replay_server
    with server._lock:
        server.hits.clear()
        server._scripts.clear()
    yield server
    with server._lock:
        server._scripts.clear()


@pytest.fixture
def replay_env(replay: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The replay server, with the environment a flow reads its settings from pointing at it
    (every exchange URL, a private data and outputs folder, no politeness gap)."""
    for name, url in replay.settings_overrides().items():
        monkeypatch.setenv("PP_" + name.upper(), url)
    monkeypatch.setenv("PP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PP_OUTPUTS_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("PP_MIN_INTERVAL_S", "0")
    return replay


def replay_settings(server: Any, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings pointing every exchange at the replay ``server``."""
    return make_settings(tmp_path, **{**server.settings_overrides(), **overrides})


def spawned_since(before: set[int]) -> dict[int, str]:
    """This process's spawned workers started since ``before`` (not multiprocessing's resource tracker),
    each with its memory map (what it has loaded)."""
    from core import procs

    out = {}
    for child in procs.spawned(os.getpid()):
        if child.pid not in before:
            try:
                out[child.pid] = Path(f"/proc/{child.pid}/maps").read_text()
            except OSError:  # exited meanwhile
                continue
    return out


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return check()
