"""Extraction accuracy against answer keys built by reading the pages, one summary line per key set.

Two kinds of keys, both written from ``pdftotext -layout`` output and the rendered page images, never
from this project's extractor:

* **The 11 complete prospectus PDFs** (``../shared/corpus/keys/prospectus_full_round1.json``, 6
  documents, and ``prospectus_full_round2.json``, 5 documents) are scored by the shared evaluator,
  ``../shared/tools/evaluate_prospectus_keys.py``, run on this checkout: patent rows by number (recall,
  precision), their fields (number as printed, name, type, page, status), patent pages, competitors
  (recall over the core competitors, precision over distinct mentions, and ``cEx``: the share of
  correct mentions whose name is exactly a printed name; a truncated ``器有限公司`` fails it).
* **This project's own keys** (``benchmarks/keys/*.json``): three of the PDFs with every row's holder,
  and five page-by-page full texts (patent-list pages, stated counts, competitor names). Prints, per
  document: patent rows (recall, precision, fields name/type/status/holder/page), patent pages, the
  stated count read, and competitors (a mention matches a key entry by full or short name).

The last lines are one ``SUMMARY`` line per set: ``full-pdf round1``, ``full-pdf round2``,
``own-keys pdf``, ``own-keys fulltext``.

Usage: python benchmarks/accuracy.py [--corpus DIR] [--only CODE] [--sets SET ...] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.records import CompetitorMention, DocumentExtraction, PatentRecord  # noqa: E402
from extractors.document import extract_document, extract_text_pages  # noqa: E402
from extractors.locate import split_fulltext_pages  # noqa: E402
from extractors.patents import stated_total  # noqa: E402

log = logging.getLogger("accuracy")
KEYS = ROOT / "benchmarks" / "keys"
_FULLWIDTH = str.maketrans("（）【】，：；、", "()[],:;,")


def norm(text: str | None) -> str:
    """Compare names and holders without whitespace, width or list separators."""
    return re.sub(r"[\s,;:、，；]", "", (text or "").translate(_FULLWIDTH)).lower()


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Score) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __str__(self) -> str:
        return f"P {self.precision:.3f} R {self.recall:.3f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"


@dataclass
class Result:
    rows: Score = field(default_factory=Score)
    fields: Counter[str] = field(default_factory=Counter)
    matched: int = 0
    pages: Score = field(default_factory=Score)
    competitors: Score = field(default_factory=Score)
    misses: list[str] = field(default_factory=list)


def score_rows(key_rows: list[dict[str, Any]], found: tuple[PatentRecord, ...], res: Result) -> None:
    """Multiset match by number (a number printed in two rows counts twice), same page first."""
    pool: dict[str, list[PatentRecord]] = {}
    for p in found:
        pool.setdefault(p.number, []).append(p)
    for k in key_rows:
        candidates = pool.get(k["number"], [])
        if not candidates:
            res.rows.fn += 1
            res.misses.append(f"row missed: {k['seq']} {k['number']} {k['name']} p{k['page']}")
            continue
        p = next((c for c in candidates if c.page == k["page"] and c.seq == k["seq"]), None) or next(
            (c for c in candidates if c.page == k["page"]), candidates[0]
        )
        candidates.remove(p)
        res.rows.tp += 1
        res.matched += 1
        checks = {
            "name": norm(p.name) == norm(k["name"]),
            "type": p.patent_type.value == k["type"],
            "status": (p.status.value == "申请中") == (k["status"] == "pending"),
            "holder": norm(p.owner) == norm(k["holder"]),
            "page": p.page == k["page"],
        }
        for name, ok in checks.items():
            res.fields[name] += ok
            if not ok:
                res.misses.append(f"{name} wrong: {k['number']} key {k[_KEY_FIELD[name]]!r} got {_got(p, name)!r}")
    for rest in pool.values():
        for p in rest:
            res.rows.fp += 1
            res.misses.append(f"extra row: {p.number} {p.name} p{p.page}")


_KEY_FIELD = {"name": "name", "type": "type", "status": "status", "holder": "holder", "page": "page"}


def _got(p: PatentRecord, name: str) -> object:
    return {"name": p.name, "type": p.patent_type.value, "status": p.status.value, "holder": p.owner, "page": p.page}[
        name
    ]


def score_competitors(key: list[dict[str, Any]], found: tuple[CompetitorMention, ...], res: Result) -> None:
    """One-to-one: exact full/short-name matches first, then containment (names of four or more)."""
    names = [{norm(k["name"]), norm(k.get("short"))} - {""} for k in key]
    open_keys = set(range(len(key)))
    unmatched: list[CompetitorMention] = []
    for m in found:
        mine = {norm(m.name), norm(m.short_name)} - {""}
        hit = next((i for i in sorted(open_keys) if mine & names[i]), None)
        if hit is None:
            unmatched.append(m)
        else:
            open_keys.discard(hit)
            res.competitors.tp += 1
    for m in unmatched:
        mine = {norm(m.name), norm(m.short_name)} - {""}
        hit = next(
            (
                i
                for i in sorted(open_keys)
                if any(len(a) >= 4 and len(b) >= 4 and (a in b or b in a) for a in mine for b in names[i])
            ),
            None,
        )
        if hit is None:
            res.competitors.fp += 1
            res.misses.append(f"extra competitor: {m.name} ({m.short_name}) p{m.page} [{m.source}]")
        else:
            open_keys.discard(hit)
            res.competitors.tp += 1
    for i in sorted(open_keys):
        res.competitors.fn += 1
        res.misses.append(f"competitor missed: {key[i]['name']} ({key[i].get('short')}) p{key[i]['page']}")


def score_pages(key_pages: list[int], found: tuple[int, ...], score: Score) -> None:
    k, f = set(key_pages), set(found)
    score.tp += len(k & f)
    score.fn += len(k - f)
    score.fp += len(f - k)


def extract(key: dict[str, Any], corpus: Path) -> DocumentExtraction:
    path = corpus / key["document"]
    if key["kind"] == "pdf":
        return extract_document(path, key["code"], issuer=key.get("issuer"))
    pages = split_fulltext_pages(path.read_text("utf-8"))
    return extract_text_pages(key["code"], pages, issuer=key.get("issuer"))


SHARED_KEYS = ("round1", "round2")


def full_pdf_summary(name: str, corpus: Path, only: str | None, verbose: bool) -> str:
    """Run the shared evaluator on this checkout against one of the complete-PDF key files and return
    its summary line (patents R, P, fields; competitors R, P, cEx)."""
    tool = corpus.parent / "tools" / "evaluate_prospectus_keys.py"
    key = corpus / "keys" / f"prospectus_full_{name}.json"
    label = f"full-pdf {name}"
    if not tool.is_file() or not key.is_file():
        return f"SUMMARY {label}: skipped (no {tool if not tool.is_file() else key})"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(tool), str(ROOT), "--python", sys.executable, "--key", str(key)]
        cmd += ["--pdf-dir", str(corpus / "pdf" / "prospectus_full"), "--json", str(out)]
        cmd += (["--only", only] if only else []) + (["-v"] if verbose else [])
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            log.info("  %s", line)
        if not out.is_file():
            return f"SUMMARY {label}: evaluator failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
        result = json.loads(out.read_text("utf-8"))
    o, docs = result["overall"], len(result["files"])
    errors = sum(1 for f in result["files"].values() if f.get("error"))

    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.3f}"

    return (
        f"SUMMARY {label}: patents R={f(o['patent_recall'])} P={f(o['patent_precision'])}"
        f" name={f(o['name'])} type={f(o['type'])} status={f(o['status'])} page={f(o['page'])}"
        f" | patent_pages R={f(o['patent_pages_recall'])} P={f(o['patent_pages_precision'])}"
        f" | competitors R={f(o['competitor_recall'])} P={f(o['competitor_precision'])}"
        f" cEx={f(o['competitor_exact'])} | documents={docs}" + (f" errors={errors}" if errors else "")
    )


def own_keys_summary(label: str, keys: list[dict[str, Any]], corpus: Path, verbose: bool) -> str:
    """Score this project's own keys of one kind (pdf / fulltext) and return the set's summary line."""
    total = Result()
    pdf_fields: Counter[str] = Counter()
    stated_ok = stated_n = 0
    for key in keys:
        t0 = time.perf_counter()
        ex = extract(key, corpus)
        res = Result()
        if key.get("patent_rows") is not None:
            score_rows(key["patent_rows"], ex.patents, res)
        score_pages(key["patent_pages"], ex.patent_pages, res.pages)
        score_competitors(key["competitors"], ex.competitors, res)
        stated = stated_total(ex.stated_patents, ex.patent_pages)
        want = key.get("stated")
        if want:
            stated_n += 1
            got = stated.total if stated else None
            stated_ok += got == want["total"]
            stated_txt = f"stated {want['total']} read {got} rows {len(ex.patents)}"
        else:
            stated_txt = f"no stated count; rows {len(ex.patents)}"
        log.info("%s %-8s %.1fs", key["code"], key["kind"], time.perf_counter() - t0)
        if key.get("patent_rows") is not None:
            fields = "  ".join(f"{f} {res.fields[f] / max(1, res.matched):.3f}" for f in _KEY_FIELD)
            log.info("  patent rows   %s", res.rows)
            log.info("  row fields    %s", fields)
            pdf_fields.update(res.fields)
            total.matched += res.matched
            total.rows.add(res.rows)
        log.info("  patent pages  %s   %s", res.pages, stated_txt)
        log.info("  competitors   %s", res.competitors)
        for line in res.misses if verbose else res.misses[:8]:
            log.info("    %s", line)
        if not verbose and len(res.misses) > 8:
            log.info("    … %d more (-v)", len(res.misses) - 8)
        total.pages.add(res.pages)
        total.competitors.add(res.competitors)
    rows = ""
    if total.matched or total.rows.fn:
        fields = " ".join(f"{f}={pdf_fields[f] / max(1, total.matched):.3f}" for f in _KEY_FIELD)
        rows = f"patent_rows R={total.rows.recall:.3f} P={total.rows.precision:.3f} {fields} | "
    return (
        f"SUMMARY own-keys {label}: {rows}patent_pages R={total.pages.recall:.3f} P={total.pages.precision:.3f}"
        f" | stated counts read {stated_ok}/{stated_n}"
        f" | competitors R={total.competitors.recall:.3f} P={total.competitors.precision:.3f} | documents={len(keys)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--only", help="one stock code")
    parser.add_argument(
        "--sets",
        nargs="*",
        default=["round1", "round2", "pdf", "fulltext"],
        help="key sets to score: round1 round2 (shared complete-PDF keys), pdf fulltext (own keys)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("extractors", "pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.WARNING)
    summaries: list[str] = []
    for name in SHARED_KEYS:
        if name in args.sets:
            log.info("== full-pdf %s (shared evaluator)", name)
            summaries.append(full_pdf_summary(name, args.corpus, args.only, args.verbose))
    own = [json.loads(p.read_text("utf-8")) for p in sorted(KEYS.glob("*.json"))]
    own = [k for k in own if not args.only or k["code"] == args.only]
    for kind in ("pdf", "fulltext"):
        keys = [k for k in own if k["kind"] == kind]
        if kind in args.sets and keys:
            log.info("== own keys: %s", kind)
            summaries.append(own_keys_summary(kind, keys, args.corpus, args.verbose))
    for line in summaries:
        log.info("%s", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
