"""A lint for the one regex shape that made page and server text quadratic here: a search that may
start inside a run of characters that an unbounded repeat then scans to its end before failing.

``\\s*\\n\\s*`` on a run of ideographic spaces, ``<[^>]+>`` on a run of ``<``: from each position of
the run the repeat eats the rest of the run, the next element fails, and the search moves on by one
character, so a run of k characters costs k²/2 steps. The shape is caught from the parsed pattern:

* the search is not anchored (``^`` without MULTILINE, ``\\A``);
* the pattern (or one of its top-level alternatives) is an optional lookbehind, a prefix of
  single-character items, then an unbounded repeat of one character class C, then anything more;
* a match may start inside a run of C: the lookbehind admits a character of C, and the prefix's
  first item matches a character of C.

Character sets are sampled on a fixed alphabet (ASCII, the whitespace and CJK punctuation that PDFs
carry, a few ideographs), which is what page text and server bodies are made of.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from re import _compiler, _constants, _parser  # type: ignore[attr-defined]
from typing import Any

ALPHABET = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + list("\t\n\r\x0b\x0c\u00a0\u3000\u2028\u3001\u3002\uff0c\uff08\uff09\uff1a\uff1b\uff10\u4e13\u5229\u53f7\u7b2c")
)
_SINGLE = {_constants.LITERAL, _constants.NOT_LITERAL, _constants.IN, _constants.ANY, _constants.CATEGORY}
_REPEATS = {_constants.MAX_REPEAT, _constants.MIN_REPEAT, getattr(_constants, "POSSESSIVE_REPEAT", None)}


def _chars(items: list[Any], state: Any, flags: int) -> frozenset[str]:
    sub = _parser.SubPattern(state, items)
    compiled = _compiler.compile(sub, flags)
    return frozenset(ch for ch in ALPHABET if compiled.fullmatch(ch))


def _alternatives(seq: list[Any]) -> list[list[Any]]:
    """The top-level sequences to check: a leading group is opened, a top-level branch split."""
    if len(seq) == 1 and seq[0][0] == _constants.BRANCH:
        return [list(alt) for alt in seq[0][1][1]]
    if seq and seq[0][0] == _constants.SUBPATTERN:
        inner = list(seq[0][1][-1])
        if len(inner) == 1 and inner[0][0] == _constants.BRANCH:
            return [list(alt) + seq[1:] for alt in inner[0][1][1]]
        return [inner + seq[1:]]
    return [seq]


def quadratic_shape(pattern: re.Pattern[str]) -> str | None:
    """Why ``pattern`` is quadratic on a long run of one character class, or None."""
    parsed = _parser.parse(pattern.pattern, pattern.flags)
    state, flags = parsed.state, pattern.flags | parsed.state.flags
    for seq in _alternatives(list(parsed)):
        i, allowed_before = 0, ALPHABET
        while i < len(seq):
            op, av = seq[i]
            if (op == _constants.AT and av in (_constants.AT_BEGINNING_STRING,)) or (
                op == _constants.AT and av == _constants.AT_BEGINNING and not flags & re.MULTILINE
            ):
                allowed_before = frozenset()
                break
            if op in (_constants.ASSERT, _constants.ASSERT_NOT) and av[0] == -1:  # a lookbehind
                chars = _last_chars(list(av[1]), state, flags)
                if chars is not None:  # the character right before the match
                    allowed_before &= chars if op == _constants.ASSERT else ALPHABET - chars
                i += 1
                continue
            break
        if not allowed_before:
            continue
        prefix: list[frozenset[str]] = []
        while i < len(seq) and seq[i][0] in _SINGLE:
            prefix.append(_chars([seq[i]], state, flags))
            i += 1
        rest = seq[i:]
        if prefix and rest and rest[0][0] in (_constants.ASSERT, _constants.ASSERT_NOT) and rest[0][1][0] == 1:
            rest = list(rest[0][1][1])  # a lookahead right after the prefix: its scan is the same
        if not rest or rest[0][0] not in _REPEATS:
            continue
        _low, high, body = rest[0][1]
        if high != _constants.MAXREPEAT or len(body) != 1 or body[0][0] not in _SINGLE or len(rest) < 2:
            continue
        run = _chars(list(body), state, flags)
        # a run of one character c that the match may start inside, and after which (or after any
        # part of it given back) what follows fails: c must not let the follower succeed
        starts_inside = allowed_before & run
        for p in prefix:
            starts_inside &= p
        starts_inside -= _follower_succeeds_before(rest[1], state, flags)
        if starts_inside:
            sample = "".join(sorted(run & allowed_before))[:3]
            return f"an unbounded repeat starts inside its own run (e.g. of {sample!r}) and may fail after it"
    return None


def _last_chars(items: list[Any], state: Any, flags: int) -> frozenset[str] | None:
    """The characters a lookbehind's body can end with, or None when that is not simple to tell."""
    if len(items) == 1 and items[0][0] == _constants.BRANCH:
        ends = [_last_chars(list(alt), state, flags) for alt in items[0][1][1]]
        if any(e is None for e in ends):
            return None
        return frozenset().union(*[e for e in ends if e is not None])
    if items and items[-1][0] in _SINGLE:
        return _chars([items[-1]], state, flags)
    return None


def _follower_succeeds_before(item: Any, state: Any, flags: int) -> frozenset[str]:
    """The characters c such that the item after the repeat can match right before c: where the run
    gives a character back and the match then succeeds (so the scan is not repeated)."""
    op, av = item
    if op in _SINGLE:
        return _chars([item], state, flags)
    if op in (_constants.ASSERT, _constants.ASSERT_NOT) and av[0] == 1 and len(av[1]) == 1 and av[1][0][0] in _SINGLE:
        chars = _chars(list(av[1]), state, flags)
        return chars if op == _constants.ASSERT else ALPHABET - chars
    if op == _constants.SUBPATTERN and av[-1]:
        return _follower_succeeds_before(av[-1][0], state, flags)
    if op == _constants.BRANCH:
        firsts = [_follower_succeeds_before(alt[0], state, flags) if alt else ALPHABET for alt in av[1]]
        return frozenset().union(*firsts)
    if op in _REPEATS and av[0] >= 1 and len(av[2]) == 1:
        return _follower_succeeds_before(av[2][0], state, flags)
    if op == _constants.AT and av in (_constants.AT_END, _constants.AT_END_STRING):
        return frozenset("\n") if av == _constants.AT_END and flags & re.MULTILINE else frozenset()
    return ALPHABET  # anything else: assumed to succeed (no report)


def project_patterns(packages: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    """Every module-level compiled ``str`` pattern of ``packages`` (modules that fail to import are
    skipped: an optional dependency)."""
    out: list[tuple[str, re.Pattern[str]]] = []
    seen: set[int] = set()
    for pkg in packages:
        mod = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
            try:
                m = importlib.import_module(info.name)
            except Exception:
                continue
            for name, value in vars(m).items():
                if isinstance(value, re.Pattern) and isinstance(value.pattern, str) and id(value) not in seen:
                    seen.add(id(value))
                    out.append((f"{info.name}.{name}", value))
    return out
