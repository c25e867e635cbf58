"""Model calls and prompt characters per document, with the grouped tasks asked one item a call
(as before grouping) and grouped (as registered), side by side on the same extractions.

Each document is extracted once (cached as JSON under --work), then its model work goes through the
service as a document task does it (flows/pipeline.py: ``LLMService.fold``, then every task of
``llm.tasks.TASKS`` on the refined extraction) against the local OpenAI-compatible test server
(tests/fake_openai.py), from an empty cache. Counted from the requests the server received: calls,
and characters sent (system message with the schema, user message, by task: a model's prompt tokens
are about this many for Chinese text; the fake server's own token counts are fixed and not used).

Usage: python benchmarks/llm_calls.py [--work DIR] [FILE ...]
  default: the complete PDFs of the corpus (pdf/prospectus_full/*.pdf)
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.records import DocumentExtraction  # noqa: E402
from core.settings import Settings  # noqa: E402
from extractors.document import extract_document  # noqa: E402
from llm.client import model_from_settings  # noqa: E402
from llm.service import Cache, LLMService  # noqa: E402
from llm.tasks import TASKS, Task  # noqa: E402
from tests.fake_openai import FakeOpenAI, by_schema, schema_of  # noqa: E402

log = logging.getLogger("llm-calls")
CORPUS = ROOT.parent / "shared" / "corpus"
TASK_OF = {"CompetitorClassOut": "competitor", "SectionSummaryOut": "summary", "CompetitorExtractOut": "extract",
           "AnnouncementClassOut": "announcement"}  # fmt: skip


def extraction(path: Path, work: Path) -> DocumentExtraction:
    cached = work / f"{path.stem}.json"
    if cached.exists():
        return DocumentExtraction.model_validate_json(cached.read_text("utf-8"))
    ex = extract_document(path, path.name)
    cached.write_text(ex.model_dump_json(), "utf-8")
    return ex


def alone(task: Task[Any, Any, Any]) -> Task[Any, Any, Any]:
    """The task asked one item a call, as before grouping."""
    return dataclasses.replace(task, group_size=None)


def document_calls(ex: DocumentExtraction, grouped: bool, tmp: Path) -> tuple[Counter[str], Counter[str]]:
    """Calls and characters sent by task for one document's model work, from an empty cache."""
    with FakeOpenAI(respond=by_schema) as fake:
        s = Settings(llm_base_url=fake.base_url, llm_api_key="k", llm_model="fake", llm_max_retries=0)
        svc = LLMService(model_from_settings(s), Cache(tmp / f"{ex.doc_key}-{grouped}.sqlite"), concurrency=4)
        refined, _ = svc.fold(ex)
        work = [
            (t if grouped else alone(t), item) for t in TASKS.values() for _, item in t.inputs([], [refined])
        ]  # fmt: skip
        failed = [r for r in svc.run_all(work) if isinstance(r, Exception)]
        if failed:
            raise SystemExit(f"{ex.doc_key}: {len(failed)} items failed: {failed[0]}")
        calls: Counter[str] = Counter()
        chars: Counter[str] = Counter()
        for r in fake.requests:
            task = TASK_OF.get(schema_of(r).removesuffix("Group"), schema_of(r))
            calls[task] += 1
            chars[task] += sum(len(m["content"]) for m in r["messages"])
        return calls, chars


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "llm_calls_extractions")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    args.work.mkdir(parents=True, exist_ok=True)
    files = args.files or sorted((CORPUS / "pdf" / "prospectus_full").glob("*.pdf"))
    head = ("document", "comps", "calls", "calls", "comp", "comp", "chars", "chars")
    log.info("%-44s%6s%8s%8s%7s%7s%10s%10s", *head)
    log.info("%-44s%6s%8s%8s%7s%7s%10s%10s", "", "", "before", "after", "before", "after", "before", "after")
    totals: dict[str, Counter[str]] = {"calls": Counter(), "chars": Counter()}
    by_task: dict[bool, Counter[str]] = {False: Counter(), True: Counter()}
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            ex = extraction(path, args.work)
            b_calls, b_chars = document_calls(ex, False, Path(tmp))
            a_calls, a_chars = document_calls(ex, True, Path(tmp))
            by_task[False].update(b_calls)
            by_task[True].update(a_calls)
            row = (path.stem[:42], len(ex.competitors), b_calls.total(), a_calls.total(), b_calls["competitor"],
                   a_calls["competitor"], b_chars.total(), a_chars.total())  # fmt: skip
            log.info("%-44s%6d%8d%8d%7d%7d%10d%10d", *row)
            totals["calls"].update({"before": b_calls.total(), "after": a_calls.total()})
            totals["chars"].update({"before": b_chars.total(), "after": a_chars.total()})
    n = max(len(files), 1)
    for what in ("calls", "chars"):
        t = totals[what]
        log.info("%s per document: %.1f before, %.1f after (%.0f%%)", what, t["before"] / n, t["after"] / n,
                 100 * (t["after"] - t["before"]) / max(t["before"], 1))  # fmt: skip
    for grouped, label in ((False, "before"), (True, "after")):
        log.info("calls by task, %s: %s", label, dict(sorted(by_task[grouped].items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
