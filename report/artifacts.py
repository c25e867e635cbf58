"""Rows and text of the Prefect artifacts (pure: ``flows`` publishes them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from report.run import RunReport
from report.sheets import PatentCheck, patent_check


@dataclass(frozen=True)
class Counts:
    """What the artifacts show of one document's extraction."""

    pages: int
    patents: int
    competitors: int
    check: PatentCheck


def extraction_counts(report: RunReport) -> dict[str, Counts]:
    """Each extracted document's counts, by key, from one pass over the run's extractions (a run reads
    them back from the store: one pass, not one lookup per document and figure)."""
    return {
        key: Counts(ex.pages, len(ex.patents), len(ex.competitors), patent_check(ex))
        for key, ex in report.extractions.items()
    }


def document_rows(report: RunReport, counts: dict[str, Counts] | None = None) -> list[dict[str, Any]]:
    """One row per document and one per failure, with the same columns: a failure row keeps the
    key under ``key``, the stage under ``stage`` and the reason under ``error``. ``counts``:
    :func:`extraction_counts`, when already made."""
    counts = extraction_counts(report) if counts is None else counts
    rows: list[dict[str, Any]] = []
    for d in report.documents:
        ex = counts.get(d.key)
        rows.append(
            {
                "key": d.key,
                "code": d.sec_code,
                "name": d.sec_name,
                "title": d.title,
                "pages": ex.pages if ex else None,
                "patents": ex.patents if ex else None,
                "competitors": ex.competitors if ex else None,
                "status": "ok" if ex else "failed",
                "stage": "" if ex else "extract",
                "error": "",
            }
        )
    anns = {a.key: a for a in report.announcements}
    docs = {d.key: d for d in report.documents}
    for f in report.failures:
        source = docs.get(f.key) or anns.get(f.key)
        rows.append(
            {
                "key": f.key,
                "code": source.sec_code if source else "",
                "name": source.sec_name if source else "",
                "title": source.title if source else "",
                "pages": None,
                "patents": None,
                "competitors": None,
                "status": "failed",
                "stage": f.stage,
                "error": f.text[:300],
            }
        )
    return rows


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#!|<>~])")
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def md(text: object, limit: int | None = None) -> str:
    """Text from a server or a document, safe inside a markdown table cell: line breaks and control
    characters become a space, and every character markdown gives a meaning (links, images, HTML,
    emphasis, ``|`` cell breaks) is backslash-escaped, so a title can neither break the table nor
    become a link or markup in the Prefect UI."""
    value = _BREAKS.sub(" ", str(text))
    if limit is not None:
        value = value[:limit]
    return _MARKDOWN.sub(r"\\\1", value)


def summary_markdown(report: RunReport, counts: dict[str, Counts] | None = None) -> str:
    """Counts per stage, failures with their stage and reason, stated-vs-extracted patent counts.
    ``counts``: :func:`extraction_counts`, when already made."""
    counts = extraction_counts(report) if counts is None else counts
    lines = [
        f"# {md(report.flow)} run",
        "",
        "| stage | count |",
        "|---|---|",
        f"| announcements | {len(report.announcements)} |",
        f"| documents downloaded | {len(report.documents)} |",
        f"| documents extracted | {len(counts)} |",
        f"| patents | {sum(c.patents for c in counts.values())} |",
        f"| competitors | {sum(c.competitors for c in counts.values())} |",
        f"| failures | {len(report.failures)} |",
        "",
    ]
    checks = [(d, ex.check) for d in report.documents if (ex := counts.get(d.key))]
    if any(c.stated is not None or c.extracted for _, c in checks):
        lines += ["| document | 专利数(声明) | 专利数(提取) | 核对 |", "|---|---|---|---|"]
        lines += [
            f"| {md(d.sec_code)} {md(d.title, 30)} | {c.stated if c.stated is not None else '—'} | {c.extracted} "
            f"| {md(c.note)} |"
            for d, c in checks
            if c.stated is not None or c.extracted
        ]
        lines.append("")
    if report.failures:
        lines += ["| key | stage | reason |", "|---|---|---|"]
        lines += [f"| {md(f.key)} | {md(f.stage)} | {md(f.text, 200)} |" for f in report.failures]
    return "\n".join(lines)
