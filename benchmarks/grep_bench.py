"""How fast is ``flows grep`` over many documents? Prints the index's build time and size, and each
query's latency (median of --repeat) at N documents.

    .venv/bin/python benchmarks/grep_bench.py --docs 1000 [--repeat 5] [--dir /tmp/grep_bench]

The documents are the corpus's 11 complete prospectuses (3,600+ real pages), read once with the
pypdfium2 pass, then indexed N times over as byte-distinct documents (each copy's pages carry its own
id line, so no two are the same), with codes and dates spread so that the filters select a part.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors.pdftext import read_text  # noqa: E402
from extractors.textindex import IndexedDocument, TextIndex  # noqa: E402

log = logging.getLogger("grep_bench")
FULL = ROOT.parent / "shared" / "corpus" / "pdf" / "prospectus_full"

QUERIES: list[tuple[str, dict[str, object]]] = [
    ("主要竞争对手", {}),  # on a few pages of every prospectus
    ("斯伦贝谢", {}),  # one company, a few pages of one source document
    ("专利", {}),  # two characters: a scan, not the trigram index (found at once, newest first)
    ("钽丝", {}),  # two characters found nowhere: the scan reads every page (the worst case)
    ("已受理的专利", {"since": dt.date(2015, 1, 1)}),
    ("前五名客户", {"company": "100007"}),
]


def build(index: TextIndex, sources: list[tuple[str, list[str]]], docs: int) -> float:
    start = time.perf_counter()
    for n in range(docs):
        name, pages = sources[n % len(sources)]
        code = f"{100000 + n:06d}"
        index.add(
            IndexedDocument(
                sha256=f"bench-{n}",
                key=f"bench:{n}",
                sec_code=code,
                sec_name=f"样本{n}",
                title=f"{name} copy {n}",
                published=dt.date(2007, 1, 1) + dt.timedelta(days=(n * 7) % 6500),
                path=str(FULL / name),
            ),
            [f"[copy {n}]\n{p}" for p in pages],
        )
        if (n + 1) % 100 == 0:
            log.info("indexed %d/%d (%.0f s)", n + 1, docs, time.perf_counter() - start)
    return time.perf_counter() - start


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/grep_bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / f"index_{args.docs}.sqlite"
    index = TextIndex(db)
    pages_total = 0
    if index.documents() < args.docs:
        sources = [(p.name, read_text(p).pages) for p in sorted(FULL.glob("*.pdf"))]
        built = build(index, sources, args.docs)
        pages_total = sum(len(sources[n % len(sources)][1]) for n in range(args.docs))
        log.info("build: %d documents, %d pages in %.1f s (%.1f ms a page)", args.docs, pages_total, built,
                 1000 * built / pages_total)  # fmt: skip
    size = sum(f.stat().st_size for f in args.dir.glob(f"index_{args.docs}.sqlite*"))
    log.info("index: %d documents, %.0f MB on disk", index.documents(), size / 2**20)
    for pattern, filters in QUERIES:
        times, hits = [], 0
        for _ in range(args.repeat):
            t = time.perf_counter()
            hits = len(index.search(pattern, limit=200, **filters))  # type: ignore[arg-type]
            times.append(time.perf_counter() - t)
        log.info("query %-8s %-28s %4d hits  median %.3f s  (min %.3f, max %.3f)", pattern, filters or "", hits,
                 statistics.median(times), min(times), max(times))  # fmt: skip


if __name__ == "__main__":
    main()
