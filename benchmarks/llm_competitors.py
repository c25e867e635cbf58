"""What the model's competitor reading costs per document: calls and characters sent.

Each document is extracted (the rules, the located sections), then its competitor sections go
through ``LLMService.fold`` against the local OpenAI-compatible test server (tests/fake_openai.py),
which answers with no company. Printed per document: the competitor sections' pages, the calls,
the characters sent in all and in the largest call (system message with the schema + the user
message: a model's prompt tokens are about this many for Chinese text), then a rerun's calls (every
answer cached: none).

Usage: python benchmarks/llm_competitors.py [--pdf] [FILE ...]
  default: the five page-by-page full texts of the corpus (text/prospectus_fulltext/*_pages.md);
  --pdf: the complete PDFs of pdf/prospectus_full/ (slower: every PDF is extracted)
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.records import DocumentExtraction  # noqa: E402
from core.settings import Settings  # noqa: E402
from extractors.document import extract_document, extract_text_pages  # noqa: E402
from extractors.locate import split_fulltext_pages  # noqa: E402
from llm.client import model_from_settings  # noqa: E402
from llm.service import Cache, LLMService  # noqa: E402
from tests.fake_openai import FakeOpenAI, by_schema  # noqa: E402

log = logging.getLogger("llm-competitors")
CORPUS = ROOT.parent / "shared" / "corpus"


def extraction(path: Path) -> DocumentExtraction:
    if path.suffix.lower() == ".pdf":
        return extract_document(path, path.name)
    return extract_text_pages(path.name, split_fulltext_pages(path.read_text("utf-8")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdf", action="store_true")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    files = args.files or sorted(
        (CORPUS / "pdf" / "prospectus_full").glob("*.pdf")
        if args.pdf
        else (CORPUS / "text" / "prospectus_fulltext").glob("*_pages.md")
    )
    log.info("%-58s%7s%7s%9s%10s%7s", "document", "pages", "calls", "chars", "max/call", "rerun")
    totals = [0, 0, 0]
    with FakeOpenAI(respond=by_schema) as fake, tempfile.TemporaryDirectory() as tmp:
        s = Settings(llm_base_url=fake.base_url, llm_api_key="k", llm_model="fake")
        for path in files:
            ex = extraction(path)
            pages = sorted({p for sec in ex.sections if sec.kind.value == "competitor" for p in sec.pages})
            before = len(fake.requests)
            LLMService(model_from_settings(s), Cache(Path(tmp) / "c.sqlite")).fold(ex)
            sent = [sum(len(m["content"]) for m in r["messages"]) for r in fake.requests[before:]]
            done = len(fake.requests)
            LLMService(model_from_settings(s), Cache(Path(tmp) / "c.sqlite")).fold(ex)
            rerun = len(fake.requests) - done
            row = (path.name[:56], len(pages), len(sent), sum(sent), max(sent, default=0), rerun)
            log.info("%-58s%7d%7d%9d%10d%7d", *row)
            totals = [totals[0] + 1, totals[1] + len(sent), totals[2] + sum(sent)]
    n = max(totals[0], 1)
    log.info("%d documents: %.1f calls and %.0f characters sent per document", totals[0], totals[1] / n, totals[2] / n)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
