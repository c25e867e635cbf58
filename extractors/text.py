"""Pure text helpers shared by the locators and normalisers."""

from __future__ import annotations

import re

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_JOIN_CJK = re.compile(rf"(?<=[{_CJK}])\s*\n\s*|\s*\n\s*(?=[{_CJK}])")
_WORD_WRAP = re.compile(r"(?<=[A-Za-z,;)])[ \t]*\n\s*(?=[A-Za-z(])")
_SPACES = re.compile(r"[ \t\u00a0]+")
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def join_wrapped(text: str) -> str:
    """Join lines wrapped inside a cell or paragraph: no space next to CJK, one space between Latin
    words ("Hand-held or vehicle\\nmounted" → "Hand-held or vehicle mounted")."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _JOIN_CJK.sub("", text)
    text = _WORD_WRAP.sub(" ", text)  # "vehicle\nmounted": a space between two words
    text = re.sub(r"\s*\n\s*", "", text)  # "2029.1\n2.18", "ZL202311045\n168.X": no space
    text = _SPACES.sub(" ", text).strip()
    return _CJK_GAP.sub("", text)


def squash(text: str) -> str:
    """Remove every whitespace character (for matching flattened table text)."""
    return re.sub(r"\s+", "", text)


_PAGE_LABEL = re.compile(r"^\s*(?:\d{1,4}|1-1-\d{1,4}|第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?|-\s*\d+\s*-)\s*$")


def strip_running_lines(pages: list[str], min_share: float = 0.3) -> list[str]:
    """Drop running headers/footers: lines repeated at the top or bottom of many pages
    ("XX股份有限公司 招股说明书"), and bare page labels ("123", "1-1-123")."""
    from collections import Counter

    def edges(text: str) -> list[str]:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        return lines[:2] + lines[-2:]

    counts = Counter(ln for p in pages for ln in set(edges(p)))
    threshold = max(3, int(len(pages) * min_share))
    running = {ln for ln, n in counts.items() if n >= threshold}
    out = []
    for text in pages:
        lines = text.splitlines()
        nonblank = [i for i, ln in enumerate(lines) if ln.strip()]
        edge_idx = set(nonblank[:2] + nonblank[-2:])
        out.append(
            "\n".join(
                ln
                for i, ln in enumerate(lines)
                if not (i in edge_idx and (ln.strip() in running or _PAGE_LABEL.match(ln)))
            )
        )
    return out
