"""No regex applied to page text or server bodies has the shape that made them quadratic (see
:mod:`tests.hostile.regex_lint`): every module-level pattern and every literal pattern passed to a
``re`` function in the project's packages is checked. Not timed: the shape is read from the parsed
pattern. ``benchmarks/regex_scaling.py`` times the same patterns."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.hostile.regex_lint import project_patterns, quadratic_shape

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "scrapers", "extractors", "llm", "report", "flows")
_RE_CALLS = {"compile", "search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split"}

#: The three patterns the adversarial rounds found quadratic (before their fixes).
WERE_QUADRATIC = [
    r"(?<=[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef])\s*\n\s*|\s*\n\s*(?=[\u3000-\u303f\u4e00-\u9fff])",
    r"<[^>]+>",
    r"(?<![。！？；：:])\n(?!\s*(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+、))",
    r"\s*\n\s*",
]


#: Patterns with the shape whose input is bounded before they run, with where it is bounded.
BOUNDED_INPUT = {
    r"[（(][^）)]*[）)]": "extractors/competitors.py: only on a heading of at most 40 characters (checked first)",
}


@pytest.mark.parametrize("pattern", WERE_QUADRATIC)
def test_the_lint_finds_the_shapes_that_were_quadratic(pattern: str) -> None:
    assert quadratic_shape(re.compile(pattern))


def literal_patterns() -> list[tuple[str, str]]:
    """(file:line, pattern) of each string literal passed as the pattern of a ``re.*`` call."""
    out: list[tuple[str, str]] = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "re"
                    and node.func.attr in _RE_CALLS
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    out.append((f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0].value))
    return out


def test_no_project_regex_has_the_quadratic_shape() -> None:
    found = [(where, p.pattern, why) for where, p in project_patterns(PACKAGES) if (why := quadratic_shape(p))]
    for where, pattern in literal_patterns():
        if pattern in BOUNDED_INPUT:
            continue
        try:
            compiled = re.compile(pattern)
        except re.error:
            continue
        if why := quadratic_shape(compiled):
            found.append((where, pattern, why))
    assert not found, "\n".join(f"{w}: /{p[:80]}/ {why}" for w, p, why in found)
