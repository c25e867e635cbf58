"""``python -m flows grep PATTERN [--since …] [--company …] [FILES…]``: search inside the documents.

Every document the manifest knows (everything a run downloaded), and any PDF named on the command
line, is indexed once (extractors.textindex: SQLite FTS5, trigram tokenizer) and searched; the hits
are printed, one line each, and written as a sheet (检索结果) with a link to each page. No Prefect, no
network.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

from core.errors import PipelineError
from core.manifest import Manifest
from core.records import Document
from core.settings import Settings
from extractors.textindex import DEFAULT_LIMIT, IndexedDocument, TextHit, TextIndex, index_missing
from run.document import local_document

log = logging.getLogger(__name__)
BEIJING = dt.timezone(dt.timedelta(hours=8))

HEADER = ("代码", "简称", "日期", "标题", "页码", "片段", "页面链接", "本地文件")


def index_path(settings: Settings) -> Path:
    return settings.data_dir / "text_index.sqlite"


def _indexed(d: Document) -> IndexedDocument:
    """A downloaded document (or a local file, named as `flows extract` names it) as the index knows it."""
    return IndexedDocument(
        sha256=d.sha256, key=d.key, sec_code=d.sec_code, sec_name=d.sec_name, title=d.title,
        published=None if d.key.startswith("file:") else d.published, path=d.path,
        url=None if d.url.startswith("file:") else d.url,
    )  # fmt: skip


def documents(settings: Settings, files: Sequence[Path] = ()) -> list[IndexedDocument]:
    """What can be searched: the manifest's downloaded documents that are still on disk, and ``files``."""
    docs: list[IndexedDocument] = []
    if settings.manifest_path.is_file():
        for d in Manifest(settings.manifest_path).documents():
            if Path(d.path).is_file():
                docs.append(_indexed(d))
    from flows.local import pdf_files

    for f in pdf_files(list(files)):
        if f.is_file():
            docs.append(_indexed(local_document(f)))
        else:
            log.warning("grep: %s: no such file", f)
    return docs


def search_text(
    pattern: str,
    settings: Settings,
    *,
    files: Sequence[Path] = (),
    since: dt.date | None = None,
    company: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[TextHit]:
    """Index what is not indexed yet, then search. ``files`` given: only those files are searched."""
    index = TextIndex(index_path(settings))
    docs = documents(settings, files)
    done, refused = index_missing(index, docs)
    if done:
        log.info("indexed %d document(s); %d in the index", done, index.documents())
    for path, why in refused:
        log.warning("not searchable: %s: %s", path, why)
    paths = [d.path for d in docs if d.key.startswith("file:")] if files else []
    return index.search(pattern, since=since, company=company, paths=paths, limit=limit)


def hit_rows(hits: Sequence[TextHit]) -> list[list[object]]:
    from report.sheets import Link

    return [
        [
            h.sec_code,
            h.sec_name,
            h.published,
            h.title,
            h.page,
            h.snippet,
            Link(f"p.{h.page}", h.link),
            Link(Path(h.path).name, f"{Path(h.path).resolve().as_uri()}#page={h.page}"),
        ]
        for h in hits
    ]


def write_hits(pattern: str, hits: Sequence[TextHit], outputs_dir: Path) -> Path:
    """The hits as a one-sheet workbook (the run workbook's styling: frozen header, links, widths)."""
    from openpyxl import Workbook

    from report.excel import write_sheet

    outputs_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(BEIJING).strftime("%Y%m%d_%H%M%S")
    path = outputs_dir / f"grep_{stamp}.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("检索结果")
    write_sheet(ws, list(HEADER), hit_rows(hits), wrap=["片段", "标题"])
    info = wb.create_sheet("检索条件")
    write_sheet(info, ["项目", "值"], [["检索词", pattern], ["命中页数", len(hits)]])
    tmp = path.with_name(f".{path.name}.part")
    wb.save(tmp)
    tmp.replace(path)
    return path


def main(
    pattern: str,
    settings: Settings,
    *,
    files: Sequence[Path] = (),
    since: dt.date | None = None,
    company: str | None = None,
    limit: int = DEFAULT_LIMIT,
    outputs_dir: Path | None = None,
) -> int:
    try:
        hits = search_text(pattern, settings, files=files, since=since, company=company, limit=limit)
    except (PipelineError, ValueError) as exc:
        log.error("grep: %s", exc)
        return 2
    for h in hits:
        log.info("%s %s %s p.%d  %s", h.sec_code or "-", h.sec_name or h.title, h.published or "", h.page, h.snippet)
    if not hits:
        log.info("grep: no page contains %r", pattern)
        return 0
    path = write_hits(pattern, hits, outputs_dir or settings.outputs_dir)
    log.info("grep: %d page(s)%s; sheet: %s", len(hits), f" (the first {limit})" if len(hits) == limit else "", path)
    return 0
