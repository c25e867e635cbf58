"""Table-recipe speed: seconds per document for a recipe over the two annual reports.

A heading or header recipe picks its candidate pages from the pypdfium2 text pass, so pdfplumber
reads only those pages, never a whole report. Prints, per engine (pdfplumber, and tabula when Java
is there) and document: pages, candidate pages read, rows found and seconds (best of N, text pass
included), then s/document per engine.

Usage: python benchmarks/recipe_bench.py [--repeat N] [--table 关联交易] [--corpus DIR] [--engines pdfplumber,tabula]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractors.document import extract_document  # noqa: E402
from extractors.pdftext import read_text  # noqa: E402
from extractors.recipes import candidate_pages, load_recipes, select  # noqa: E402

log = logging.getLogger("recipe-bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--table", default="关联交易")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--engines", default="pdfplumber,tabula")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("extractors").setLevel(logging.WARNING)
    recipes = select(load_recipes(), [args.table])
    docs = sorted((args.corpus / "pdf" / "announcements").glob("*.pdf"))
    engines = [e for e in args.engines.split(",") if e != "tabula" or shutil.which("java")]
    for engine in engines:
        total = 0.0
        for pdf in docs:
            text = read_text(pdf)
            pages = sorted({p for r in recipes for p in candidate_pages(r, text.pages)})
            best, rows = float("inf"), 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                ex = extract_document(pdf, pdf.name, recipes=recipes, recipe_engine=engine)  # type: ignore[arg-type]
                best = min(best, time.perf_counter() - t0)
                rows = len(ex.recipe_rows)
            total += best
            log.info(
                "%-10s %-48s %4d pages, %2d candidate pages read, %3d rows, %.2f s",
                engine,
                pdf.name,
                text.page_count,
                len(pages),
                rows,
                best,
            )
        log.info(
            "%-10s recipe %s: %.2f s/document over %d documents (best of %d)",
            engine,
            args.table,
            total / len(docs),
            len(docs),
            args.repeat,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
