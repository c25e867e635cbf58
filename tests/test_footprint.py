"""What the flow process loads: the trap is the ~130 MB of libraries it never uses (issue 11)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: fresh interpreters in subprocesses: left out of make test-fast
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_the_flow_process_never_loads_the_pdf_engines_pandas_or_prefects_server() -> None:
    # extraction runs in worker processes, parquet is written with pyarrow when the run ends, and the
    # run's Prefect server is a child process: the flow itself holds Prefect's client alone; `openai`
    # (~0.65 s) is loaded by the first model call, which a cached or offline run never makes
    code = (
        "import json, sys, flows.cli, flows.pipeline, flows.server, report;"
        "print(json.dumps(sorted(m for m in ('pdfplumber', 'pdfminer', 'pypdfium2', 'pandas', 'pyarrow',"
        " 'prefect.server.api.server', 'fastapi', 'tabula', 'openai') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_runs_prefect_server_is_started_as_prefect_starts_its_own() -> None:
    import prefect

    from flows.server import command

    cmd = command(8123)
    assert cmd[1:4] == ["-m", "uvicorn", "--app-dir"] and Path(cmd[4]) == Path(prefect.__file__).parent.parent
    assert "prefect.server.api.server:create_app" in cmd and cmd[cmd.index("--port") + 1] == "8123"


def test_writing_the_parquet_files_leaves_pyarrow_out_of_the_writing_process(tmp_path: Path) -> None:
    # once it has written a file, pyarrow keeps ~100 MB of a process's memory for good (its libraries,
    # thread pool and allocator): the run's flow process hands the parquet files to a child
    code = (
        "import json, sys; from pathlib import Path; from tests.test_workbook import report;"
        "from report import write_workbook;"
        f"p = write_workbook(report(Path({str(tmp_path)!r})), Path({str(tmp_path / 'out')!r}));"
        "print(json.dumps(['pyarrow' in sys.modules, sorted(f.name for f in"
        " p.with_name(p.stem + '_parquet').glob('*'))]))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded, files = json.loads(out.stdout.strip().splitlines()[-1])
    assert not loaded
    assert "Patents.parquet" in files and not [f for f in files if f.startswith(".")]
