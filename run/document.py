"""One document's way through a run: download → extract → its model items, isolated.

Whatever happens while this document's bytes are downloaded, parsed or sent to the model, this
document alone fails: the failure is a row of its :class:`DocumentRun` (a bug is an
``UnexpectedError`` with its traceback in the log) and the other documents carry on. The extraction
runs through the executor the caller passes in (the flows' worker processes, or here), so this
module never imports ``flows/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core import cancel, progress
from core.errors import ConfigError
from core.manifest import Manifest
from core.records import Announcement, Document, DocumentExtraction, Failure, LLMUsage
from core.settings import Settings
from core.store import Store
from extractors.companies import listed_code, listed_full_name
from extractors.recipes import TableRecipe
from run.enrich import Enrichment, enrich, llm_service, model_queue
from run.plan import extract_stage
from run.stages import Stage, isolated
from scrapers.download import Downloader
from scrapers.http import HttpClient

log = logging.getLogger(__name__)

#: runs ``extract_document(path, doc_key, *, issuer, use_tabula, recipes, recipe_engine)`` with a
#: ``timeout_s`` and returns its extraction (the flows pass their worker pool; tests a plain call)
Executor = Callable[..., DocumentExtraction]


@dataclass
class DocumentRun:
    """One document's way through the run: the downloaded file, its extraction (``reused``: from the
    manifest), its LLM records, and what failed on the way."""

    key: str
    document: Document | None = None
    extraction: DocumentExtraction | None = None
    reused: bool = False
    llm: Enrichment = field(default_factory=Enrichment)
    failures: list[Failure] = field(default_factory=list)
    #: its extraction went to the cumulative store under the run (``DocumentContext.store_run``) and is
    #: not kept here: ``extraction`` is None and these are its counts
    stored: bool = False
    patents: int = 0
    competitors: int = 0

    @property
    def failed(self) -> bool:
        """The document could not be downloaded or extracted, or its rows not stored (its model items do
        not count)."""
        return self.extraction is None and not self.stored


@dataclass(frozen=True)
class DocumentContext:
    """What every document of a run shares."""

    settings: Settings
    recipes: Sequence[TableRecipe]
    use_llm: bool
    run_key: str
    executor: Executor
    logger: Any = log
    #: the document's name in the log
    name: str = "document"
    #: leave the model items to the run's batch (``--llm-batch``): the document ends with its extraction
    defer_llm: bool = False
    #: hand the model items to the run's model queue (:func:`run.enrich.model_queue`): the document's
    #: task ends with its extraction, and a slow model never holds it (the flows set it)
    queue_llm: bool = False
    #: the run's name in the cumulative store: each document's records (its file, its extraction, then
    #: its model records) go there as soon as they are known and the document's run keeps only its
    #: counts, so a run holds no document's rows (the flows set it; the workbook reads them back)
    store_run: str = ""
    #: PDFs on disk (``flows extract``): each names and dates itself from its cover before its rows go
    #: anywhere (:func:`named_by_cover`, the cover's date)
    from_disk: bool = False


def process(ann: Announcement, ctx: DocumentContext) -> DocumentRun:
    """Download → extract → this document's LLM items, as soon as the one before is done. Nothing is
    done twice: the download and the extraction are looked up by content hash first."""
    out = DocumentRun(key=ann.key)
    with isolated(out.failures, ann.key, Stage.DOWNLOAD, ctx.logger):
        manifest = Manifest(ctx.settings.manifest_path)  # opened (and checked) once for both steps
        with HttpClient(ctx.settings) as http:
            out.document = Downloader(http, ctx.settings, manifest).fetch(ann)
    if out.document is None:
        last = out.failures[-1].text if out.failures else "no document"
        progress.current().step("download", f"{ctx.name} failed: {last}", failed=True)
        progress.current().expect("extract", -1)
        return out
    progress.current().step("download", ctx.name, nbytes=out.document.size)
    return _extract_and_ask(out, ctx, manifest)


def process_local(path: Path, ctx: DocumentContext) -> DocumentRun:
    """A PDF on disk as a run's document: extract → this document's LLM items, the same steps as
    :func:`process` after its download. Its date is the one its cover prints (extractors.docdate);
    without one, the file's modification date, said in the document's warnings."""
    out = DocumentRun(key=f"file:{path.name}")
    with isolated(out.failures, out.key, Stage.EXTRACT, ctx.logger):
        if not path.is_file():
            raise ConfigError(f"{path}: no such file")
        out.document = local_document(path)
    if out.document is None:
        progress.current().step("extract", f"{ctx.name} failed: {out.failures[-1].text}", failed=True)
        return out
    manifest = Manifest(ctx.settings.manifest_path)
    return _extract_and_ask(out, replace(ctx, from_disk=True), manifest)


def as_its_cover_says(doc: Document, ex: DocumentExtraction) -> tuple[Document, DocumentExtraction]:
    """A PDF on disk named and dated as its cover prints (:func:`named_by_cover`, the cover's date);
    with no date on the cover it keeps the file's, and its warnings say so."""
    doc = named_by_cover(doc, ex.issuer_name)
    if ex.document_date is not None:
        return doc.model_copy(update={"published": ex.document_date}), ex
    note = f"日期：封面未印日期，取文件修改日期 {doc.published}"
    return doc, ex.model_copy(update={"warnings": (*ex.warnings, note)})


def named_by_cover(doc: Document, issuer: str | None) -> Document:
    """A PDF on disk named as a run's document is: its code (from the file name, else the listed
    company whose legal name the cover prints) and its short name from the listed-company dictionary,
    else the cover's legal name itself; a document neither names keeps its empty name."""
    company = listed_code(doc.sec_code) if doc.sec_code else None
    if company is None and issuer:
        company = listed_full_name(issuer)
    if company is not None and (not doc.sec_code or doc.sec_code == company.code):
        return doc.model_copy(update={"sec_code": company.code, "sec_name": company.short_name})
    return doc.model_copy(update={"sec_name": issuer}) if issuer and not doc.sec_name else doc


def local_document(path: Path) -> Document:
    """A PDF on disk as a Document: its code from a six-digit file-name prefix (001282_…pdf), the file's
    modification date until its cover says otherwise."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    code = path.name[:6] if re.fullmatch(r"[0-9]{6}", path.name[:6]) else ""
    return Document(
        key=f"file:{path.name}",
        sec_code=code,
        sec_name="",
        title=path.stem,
        published=dt.date.fromtimestamp(path.stat().st_mtime),
        url=path.resolve().as_uri(),
        path=str(path.resolve()),
        sha256=digest.hexdigest(),
        size=size,
    )


def _extract_and_ask(out: DocumentRun, ctx: DocumentContext, manifest: Manifest) -> DocumentRun:
    """The document's extraction (once per content hash), then its model items."""
    assert out.document is not None
    with isolated(out.failures, out.document.key, Stage.EXTRACT, ctx.logger):
        out.extraction, out.reused = extract_cached(out.document, ctx, manifest)
    if out.extraction is None:
        last = out.failures[-1].text if out.failures else "no extraction"
        progress.current().step("extract", f"{ctx.name} failed: {last}", failed=True)
        return out
    progress.current().step("extract", f"{ctx.name}: {len(out.extraction.patents)} patents, "
                            f"{len(out.extraction.competitors)} competitors")  # fmt: skip
    if ctx.from_disk:
        out.document, out.extraction = as_its_cover_says(out.document, out.extraction)
    extraction, doc_key = out.extraction, out.document.key
    if ctx.store_run:  # its rows to the store now; this run keeps its counts only
        with isolated(out.failures, doc_key, Stage.STORE, ctx.logger):
            Store.shared(ctx.settings.store_path).put_document(ctx.store_run, out.document, extraction)
            out.stored, out.patents, out.competitors = True, len(extraction.patents), len(extraction.competitors)
        out.extraction = None
        if not out.stored:
            return out
    if cancel.requested() or ctx.defer_llm:
        return out
    if ctx.queue_llm:  # the run's model queue asks them: this document's task ends with its extraction
        model_queue(ctx.run_key, ctx.settings).submit(doc_key, lambda: ask_and_store(doc_key, extraction, ctx))
        return out
    refined, out.llm = ask_and_store(doc_key, extraction, ctx)
    if not ctx.store_run:
        out.extraction = refined
    return out


def ask_and_store(
    doc_key: str, extraction: DocumentExtraction, ctx: DocumentContext
) -> tuple[DocumentExtraction | None, Enrichment]:
    """:func:`ask_model`; with ``ctx.store_run``, its refined extraction and model records go to the
    store under the run and neither is returned (None, and the usage and failures alone)."""
    refined, llm = ask_model(doc_key, extraction, ctx)
    if not ctx.store_run:
        return refined, llm
    with isolated(llm.failures, doc_key, Stage.STORE, ctx.logger):
        Store.shared(ctx.settings.store_path).put_document(ctx.store_run, extraction=refined, llm=llm.results)
    return None, Enrichment(usage=llm.usage, failures=llm.failures)


def ask_model(
    doc_key: str, extraction: DocumentExtraction, ctx: DocumentContext
) -> tuple[DocumentExtraction, Enrichment]:
    """A document's model items: the extraction tasks first (a configured model's competitor names,
    merged with the rules'), then every other task on the refined extraction. Whatever fails is that
    item's (or, for a bug, this document's model work's) recorded failure."""
    llm_failures: list[Failure] = []
    usage: list[LLMUsage] = []
    llm = Enrichment()
    with isolated(llm_failures, doc_key, "llm", ctx.logger):
        service = llm_service(ctx.settings, ctx.use_llm, ctx.run_key)
        extraction, folded = service.fold(extraction, usage)
        llm_failures += folded
        llm = enrich([], [extraction], ctx.settings, ctx.use_llm, ctx.run_key, ctx.logger)
    llm.usage = [*usage, *llm.usage]
    llm.failures += llm_failures  # its line: core.progress "llm n/N"
    return extraction, llm


def extract_cached(doc: Document, ctx: DocumentContext, manifest: Manifest) -> tuple[DocumentExtraction, bool]:
    """Extract once per content hash and set of recipes: a rerun gets the stored result (``True`` =
    from the manifest)."""
    settings = ctx.settings
    stage = extract_stage(ctx.recipes, settings)
    stored = manifest.stage_result(doc.sha256, stage)
    if stored is not None:
        ctx.logger.info("skip %s: already extracted (sha256 %s)", doc.key, doc.sha256[:12])
        return DocumentExtraction.model_validate(stored).model_copy(update={"doc_key": doc.key}), True
    result = ctx.executor(
        doc.path,
        doc.key,
        issuer=doc.sec_name,
        use_tabula=settings.tabula_enabled,
        recipes=ctx.recipes,
        recipe_engine=settings.recipe_engine,
        timeout_s=settings.extract_timeout_s,
    )
    if not isinstance(result, DocumentExtraction):
        raise TypeError(f"the extraction gave {type(result).__name__}, not a DocumentExtraction")
    manifest.put_stage(doc.sha256, stage, result.model_dump(mode="json"))
    return result, False
