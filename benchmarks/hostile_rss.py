"""Peak resident memory (VmHWM) of a fresh worker interpreter extracting each hostile PDF of
``tests/hostile/pdfs.py`` (and one real prospectus, for comparison). The issue's bound: 400 MB.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/hostile_rss.py
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.hostile.pdfs import HOSTILE

log = logging.getLogger("bench")

PROBE = """
import json, sys, time
from core.errors import PDFError
from extractors.document import extract_document
t = time.perf_counter()
try:
    ex = extract_document(sys.argv[1], "k"); outcome = f"{ex.pages} pages, {len(ex.warnings)} warnings"
except PDFError as exc:
    outcome = type(exc).__name__
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0].split()[1]
print(json.dumps([outcome, int(hwm) // 1024, round(time.perf_counter() - t, 2)]))
"""


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    real = (
        Path(__file__).resolve().parents[2]
        / "shared/corpus/pdf/prospectus_full/300626_huarui_electrical_prospectus_2017_full.pdf"
    )
    with tempfile.TemporaryDirectory() as tmp:
        files = {name: make(Path(tmp) / f"{name}.pdf") for name, make in sorted(HOSTILE.items())}
        if real.is_file():
            files["real prospectus (300626, full)"] = real
        log.info("| file | size | outcome | peak RSS | seconds |\n|---|---|---|---|---|")
        for name, path in files.items():
            done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
            outcome, peak, seconds = json.loads(done.stdout.strip().splitlines()[-1])
            log.info("| %s | %d KB | %s | %d MB | %.2f |", name, path.stat().st_size >> 10, outcome, peak, seconds)


if __name__ == "__main__":
    main()
