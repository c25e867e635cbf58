"""Extraction accuracy against answer keys built by reading the pages (``benchmarks/keys/*.json``).

The keys were written from ``pdftotext -layout`` output and the rendered page images, never from
this project's extractor (each key's ``notes`` says what was read and what was judged). For the three
complete PDFs they hold every patent row (number as printed, name, type, granted/pending, holder,
page), the stated counts and the competitor list; for the five page-by-page full texts they hold the
patent-list pages, the competitor-chapter pages, the stated counts and the competitor names.

Prints, per document and in total:
* patent rows (PDFs): recall and precision by number, and field accuracy (name, type, status,
  holder, page) over the matched rows;
* patent pages (all): recall and precision of the located patent-list pages; rows found against the
  stated count (full texts: the text fallback);
* competitors (all): precision and recall of names (a mention matches a key entry by full or short
  name), and the chapter pages covered.
The last line is one summary line.

Usage: python benchmarks/accuracy.py [--corpus DIR] [--only CODE] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--only", help="one stock code")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name in ("extractors", "pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.WARNING)
    keys = [json.loads(p.read_text("utf-8")) for p in sorted(KEYS.glob("*.json"))]
    keys = [k for k in keys if not args.only or k["code"] == args.only]
    total = Result()
    pdf_fields: Counter[str] = Counter()
    stated_ok = stated_n = 0
    for key in keys:
        t0 = time.perf_counter()
        ex = extract(key, args.corpus)
        res = Result()
        if key.get("patent_rows") is not None:
            score_rows(key["patent_rows"], ex.patents, res)
        score_pages(key["patent_pages"], ex.patent_pages, res.pages)
        score_competitors(key["competitors"], ex.competitors, res)
        stated = stated_total(ex.stated_patents, ex.patent_pages)
        want = key.get("stated")
        stated_txt = "—"
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
        for line in res.misses if args.verbose else res.misses[:8]:
            log.info("    %s", line)
        if not args.verbose and len(res.misses) > 8:
            log.info("    … %d more (-v)", len(res.misses) - 8)
        total.pages.add(res.pages)
        total.competitors.add(res.competitors)
    fields = " ".join(f"{f}={pdf_fields[f] / max(1, total.matched):.3f}" for f in _KEY_FIELD)
    log.info("TOTAL patent rows %s; fields %s", total.rows, fields)
    log.info("TOTAL patent pages %s; stated counts read %d/%d", total.pages, stated_ok, stated_n)
    log.info("TOTAL competitors %s", total.competitors)
    log.info(
        "SUMMARY patent_rows recall=%.3f precision=%.3f | fields %s | patent_pages recall=%.3f precision=%.3f"
        " | competitors precision=%.3f recall=%.3f | documents=%d",
        total.rows.recall,
        total.rows.precision,
        fields,
        total.pages.recall,
        total.pages.precision,
        total.competitors.precision,
        total.competitors.recall,
        len(keys),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
