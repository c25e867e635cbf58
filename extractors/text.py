"""Pure text helpers shared by the locators and normalisers."""

from __future__ import annotations

import re

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_CHAR = re.compile(rf"[{_CJK}]")
#: Each whitespace run is matched once (a pattern such as ``\s*\n\s*`` tried at every position of a
#: long run of spaces is quadratic: 16,000 ideographic spaces took 6 s).
_WHITESPACE_RUN = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\u00a0]+")
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_WORD_END = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz,;)")
_WORD_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz(")


def join_wrapped(text: str) -> str:
    """Join lines wrapped inside a cell or paragraph: no space next to CJK, one space between Latin
    words ("Hand-held or vehicle\\nmounted" → "Hand-held or vehicle mounted"), nothing between the
    rest ("2029.1\\n2.18", "ZL202311045\\n168.X"). Linear: each whitespace run is looked at once."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    def joined(m: re.Match[str]) -> str:
        run = m.group()
        if "\n" not in run:
            return run
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if _CJK_CHAR.match(before) or _CJK_CHAR.match(after):
            return ""
        if before in _WORD_END and after in _WORD_START and not run[: run.index("\n")].strip(" \t"):
            return " "  # "vehicle\nmounted": a space between two words
        return ""

    text = _WHITESPACE_RUN.sub(joined, text)
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
