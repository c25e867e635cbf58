"""Extract PDFs already on disk into a workbook and CSVs: no scraping, no Prefect server.

``python -m flows extract FILE|FOLDER … [--table 关联交易]`` runs the same extraction and writes the
same workbook as a flow run; a file that cannot be read is a failure row, the others carry on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path

from core.errors import PipelineError
from core.records import Document, Failure
from core.settings import Settings
from extractors.document import extract_document
from extractors.recipes import TableRecipe
from report import RunReport, write_workbook

log = logging.getLogger(__name__)


def pdf_files(paths: Sequence[Path]) -> list[Path]:
    """The PDFs named, and those inside the folders named (sorted, recursive)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.suffix.lower() == ".pdf")
        else:
            out.append(p)
    return out


def local_document(path: Path) -> Document:
    data = path.read_bytes()
    code = path.name[:6] if re.fullmatch(r"[0-9]{6}", path.name[:6]) else ""
    return Document(
        key=f"file:{path.name}",
        sec_code=code,
        sec_name="",
        title=path.stem,
        published=dt.date.fromtimestamp(path.stat().st_mtime),
        url=path.resolve().as_uri(),
        path=str(path.resolve()),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
    )


def extract_files(paths: Sequence[Path], outputs_dir: Path, recipes: Sequence[TableRecipe], settings: Settings) -> Path:
    files = pdf_files(paths)
    report = RunReport(
        flow="extract",
        parameters={"files": [str(f) for f in files], "tables": [r.name for r in recipes]},
        started=dt.datetime.now(dt.UTC),
        recipes=list(recipes),
        llm_backend="none (local extraction)",
    )
    for n, f in enumerate(files, start=1):
        if not f.is_file():
            report.failures.append(Failure(key=str(f), stage="extract", error_type="", message="no such file"))
            continue
        try:
            doc = local_document(f)
        except OSError as exc:
            report.failures.append(Failure(key=str(f), stage="extract", error_type="OSError", message=str(exc)))
            continue
        report.documents.append(doc)
        try:
            ex = extract_document(
                f, doc.key, use_tabula=settings.tabula_enabled, recipes=recipes, recipe_engine=settings.recipe_engine
            )
        except PipelineError as exc:
            report.failures.append(Failure.of(doc.key, "extract", exc))
            log.warning("extract %d/%d failed: %s: %s", n, len(files), f.name, exc)
            continue
        except Exception as exc:  # a bug, not a bad file: loud in the log, recorded, the others go on
            log.exception("extract %d/%d: unexpected error on %s", n, len(files), f.name)
            message = f"{type(exc).__name__}: {exc}"
            report.failures.append(Failure(key=doc.key, stage="extract", error_type="UnexpectedError", message=message))
            continue
        report.extractions[doc.key] = ex
        log.info(
            "extract %d/%d: %s: %d patents, %d competitors, %d recipe rows",
            n,
            len(files),
            f.name,
            len(ex.patents),
            len(ex.competitors),
            len(ex.recipe_rows),
        )
    report.finished = dt.datetime.now(dt.UTC)
    return write_workbook(report, outputs_dir)
