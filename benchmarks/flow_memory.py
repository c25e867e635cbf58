"""The flow process's memory against the number of documents: ``python -m flows run`` over N
byte-distinct copies of corpus PDFs (a replay server serves them under distinct announcement ids),
sampled from /proc every 0.2 s.

Prints, per run: the documents, wall seconds, the flow process's RSS once its first document was
extracted, its RSS at its last extraction, and its peak (the workbook, CSV and parquet included), the
growth per document between the first and the last extraction, and, across the sizes of one
checkout, the peak's growth per document from the smallest size. With ``--checkout`` another checkout
(the code before a change: ``git archive <commit> | tar -x -C <dir>``) runs the same documents side by
side, at the same time, so before and after are measured on the same machine load.

    .venv/bin/python benchmarks/flow_memory.py --docs 10 100 [--pdfs full] [--checkout /tmp/old]

``--pdfs small`` copies the 15-page section of one prospectus (cheap: a few rows a document);
``--pdfs full`` the three full prospectuses of the corpus (327–398 pages: hundreds of patents and
tables rows each, as a backfill's documents are). The model is the offline backend (``--no-llm``:
its summaries and labels are still made and stored), or ``--model`` a local OpenAI-compatible server
answering at once.

``--writer ROWS`` measures the workbook writer alone, in this process: N synthetic documents of ROWS
patents and ROWS table rows each, stored under one run, written (xlsx, CSV, parquet) from the store
and from a report that holds every extraction (as a run did before; the writer is today's either
way): the peak of Python allocations (tracemalloc) and the CPU seconds.

    .venv/bin/python benchmarks/flow_memory.py --writer 200 --docs 100 400
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from flow_bench import _times, bench_env, run_logged  # noqa: E402

from core import procs  # noqa: E402
from replay import DEFAULT_CORPUS, ReplayServer  # noqa: E402
from replay.server import CatalogueEntry, corpus_catalogue  # noqa: E402
from tests.fake_openai import FakeOpenAI, by_schema  # noqa: E402

log = logging.getLogger("flow-memory")

#: the corpus PDFs a run copies: a short section (cheap) or the full prospectuses (a backfill's rows)
PDFS = {
    "small": ("001282_sanlian_forging_prospectus_section_p28-42.pdf",),
    "full": (
        "002638_kingsun_optoelectronic_prospectus_2011_full.pdf",
        "300626_huarui_electrical_prospectus_2017_full.pdf",
        "002335_kehua_hengsheng_prospectus_2010_full.pdf",
    ),
}


def copies(n: int, which: str, folder: Path) -> list[CatalogueEntry]:
    """N byte-distinct copies of the chosen PDFs, each under its own announcement id."""
    base = [e for e in corpus_catalogue(DEFAULT_CORPUS) if e.pdf.name in PDFS[which]]
    out = []
    for i in range(n):
        src = base[i % len(base)]
        copy = folder / f"{i:05d}_{src.pdf.name}"
        copy.write_bytes(src.pdf.read_bytes() + f"\n% flow_memory copy {i}\n".encode())
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i % 300)  # inside the run's window
        out.append(
            dataclasses.replace(
                src, title=f"{src.title}（副本{i}）", published=day, announcement_id=f"8{i:09d}", pdf=copy
            )
        )
    return out


class RssSampler(threading.Thread):
    """The flow process's RSS (MB) every 0.2 s, with the time it was read."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self.samples: list[tuple[float, float]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            p = procs.tree(self.pid).get(self.pid)
            if p is not None:
                self.samples.append((time.time(), p.rss_mb))
            time.sleep(0.2)

    def at(self, t: float) -> float:
        """The RSS read last at or before ``t`` (the first read when none was)."""
        before = [rss for when, rss in self.samples if when <= t]
        return before[-1] if before else (self.samples[0][1] if self.samples else float("nan"))


def run(checkout: Path, n: int, which: str, model: FakeOpenAI | None, folder: Path) -> dict[str, float]:
    with ReplayServer(DEFAULT_CORPUS, catalogue=copies(n, which, folder)) as srv:
        env = bench_env(srv, model, folder, PYTHONPATH=str(checkout)) if model else _offline_env(srv, folder, checkout)
        python = checkout / ".venv" / "bin" / "python"
        cmd = [str(python if python.exists() else sys.executable), "-m", "flows", "run", "--start", "2024-01-01",
               "--end", "2024-12-31", "--all-versions", *([] if model else ["--no-llm"])]  # fmt: skip
        t0 = time.time()
        returncode, wall, lines, sampler = run_logged(cmd, checkout, env, folder, RssSampler)
    if os.environ.get("FLOW_MEMORY_LOG"):  # keep the run's log for a look
        Path(os.environ["FLOW_MEMORY_LOG"]).write_text("\n".join(lines), encoding="utf-8")
    if returncode not in (0, 1):
        log.error("flow exited %s:\n%s", returncode, "\n".join(lines[-30:]))
        raise SystemExit(1)
    extracted = _times(lines, r"extract \d+/\d+|extracted ")
    first, last = (min(extracted), max(extracted)) if extracted else (t0, t0)
    rss_first, rss_last = sampler.at(first), sampler.at(last)
    return {
        "wall": wall,
        "rss_first": rss_first,
        "rss_last": rss_last,
        "peak": max((rss for _, rss in sampler.samples), default=float("nan")),
        "per_doc": (rss_last - rss_first) / (len(extracted) - 1) if len(extracted) > 1 else float("nan"),
        "extracted": len(extracted),
    }


def _offline_env(srv: ReplayServer, folder: Path, checkout: Path) -> dict[str, str]:
    env = bench_env(srv, _NO_MODEL, folder, PYTHONPATH=str(checkout))
    for k in ("PP_LLM_BASE_URL", "PP_LLM_API_KEY", "PP_LLM_MODEL"):
        env.pop(k, None)
    return env


class _NoModel:
    base_url = ""


_NO_MODEL: FakeOpenAI = _NoModel()  # type: ignore[assignment]


def writer_peak(n: int, rows: int, streamed: bool, folder: Path) -> tuple[float, float]:
    """The workbook, CSV and parquet of N synthetic documents of ``rows`` patents and ``rows`` table
    rows each, stored under one run: (the peak of Python allocations in MB, CPU s) of writing them
    read back from the store (``streamed``), or of holding them in memory (as a run did before) and
    writing them."""
    import tracemalloc

    from core.records import Document, ExtractedTable, PatentRecord, PatentType, TableRow
    from core.store import RunExtractions, Store
    from extractors.document import extract_text_pages
    from report import RunReport, write_workbook

    store, run_name, docs = Store(folder / "store.sqlite"), "bench run", []
    for i in range(n):
        key = f"cninfo:{i}"
        doc = Document(key=key, sec_code=f"{i:06d}", sec_name=f"公司{i}", title="招股说明书",
                       published=dt.date(2024, 1, 1), url=f"http://x/{i}.pdf", path=str(folder / f"{i}.pdf"),
                       sha256=f"{i:064d}", size=1)  # fmt: skip
        patents = tuple(
            PatentRecord(
                doc_key=key,
                page=100 + p % 50,
                name=f"一种装置及其制造方法{i}-{p}",
                number=f"ZL20{i:06d}{p:04d}.8",
                patent_type=PatentType.INVENTION,
            )
            for p in range(rows)
        )
        cells = [TableRow(page=100, cells=(str(p), f"名称{p}", f"ZL{i}{p}")) for p in range(rows)]
        table = ExtractedTable(
            doc_key=key, engine="pdfplumber", kind="patent", header=("序号", "名称", "专利号"), rows=tuple(cells)
        )
        ex = extract_text_pages(key, ["正文"]).model_copy(update={"patents": patents, "tables": (table,)})
        store.put_document(run_name, doc, ex)
        docs.append(doc)
    report = RunReport(flow="bench", parameters={}, started=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), documents=docs)
    stored = RunExtractions(store.path, run_name, [d.key for d in docs])
    tracemalloc.start()  # (held: the extractions in memory count, as a run held them before)
    report.extractions = stored if streamed else dict(stored.items())
    cpu = time.process_time()
    write_workbook(report, folder / ("streamed" if streamed else "held"))
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--pdfs", choices=sorted(PDFS), default="small")
    parser.add_argument("--model", action="store_true", help="a local OpenAI-compatible server, not offline")
    parser.add_argument("--checkout", type=Path, default=None, help="another checkout, run side by side")
    parser.add_argument(
        "--writer", type=int, default=0, metavar="ROWS", help="the writer alone: N documents of ROWS rows each"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.writer:
        log.info(f"{'docs':>6}{'rows/doc':>9}{'held: peak MB':>14}{'cpu s':>7}{'streamed: peak MB':>18}{'cpu s':>7}")
        for n in args.docs:
            with tempfile.TemporaryDirectory() as tmp:
                held, held_cpu = writer_peak(n, args.writer, False, Path(tmp))
            with tempfile.TemporaryDirectory() as tmp:
                streamed, streamed_cpu = writer_peak(n, args.writer, True, Path(tmp))
            log.info(f"{n:>6}{args.writer:>9}{held:>14.1f}{held_cpu:>7.1f}{streamed:>18.1f}{streamed_cpu:>7.1f}")
        return 0
    checkouts = [ROOT] + ([args.checkout.resolve()] if args.checkout else [])
    log.info("cpus=%d pdfs=%s model=%s", os.cpu_count(), args.pdfs, "local server" if args.model else "offline")
    log.info(f"{'docs':>6} {'checkout':<24}{'wall s':>8}{'first MB':>9}{'last MB':>9}{'peak MB':>9}"
             f"{'MB/doc':>8}{'peak MB/doc':>12}{'extracted':>10}")  # fmt: skip
    smallest: dict[Path, tuple[int, float]] = {}
    for n in args.docs:
        with (
            tempfile.TemporaryDirectory() as tmp,
            concurrent.futures.ThreadPoolExecutor(len(checkouts)) as pool,
            FakeOpenAI(respond=by_schema) if args.model else contextlib.nullcontext() as model,
        ):
            futures = {}
            for i, c in enumerate(checkouts):
                folder = Path(tmp) / str(i)
                folder.mkdir()
                futures[c] = pool.submit(run, c, n, args.pdfs, model, folder)
            for c, fut in futures.items():
                r = fut.result()
                base = smallest.setdefault(c, (n, r["peak"]))
                slope = (r["peak"] - base[1]) / (n - base[0]) if n > base[0] else float("nan")
                log.info(f"{n:>6} {str(c)[-24:]:<24}{r['wall']:>8.1f}{r['rss_first']:>9.0f}{r['rss_last']:>9.0f}"
                         f"{r['peak']:>9.0f}{r['per_doc']:>8.3f}{slope:>12.3f}{int(r['extracted']):>10}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
