"""One home for each kind of code, held by the imports: pure parsing and records never reach for the
scrapers, the flows or Prefect, so they stay usable (and testable) without a network or an
orchestrator. Every import counts, the ones inside functions too (a lazy import is still a
dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("core", "scrapers", "extractors", "llm", "report", "run", "flows", "replay")
ORCHESTRATION = ("prefect", "dask", "distributed")
#: what each package may import of ours (core ← scrapers/extractors ← llm/report ← run ← flows);
#: ``flows`` wires everything together
ALLOWED = {
    "core": set(),
    "scrapers": {"core"},
    "extractors": {"core"},
    "llm": {"core", "extractors"},
    "report": {"core", "extractors"},
    #: the run's rules without Prefect: everything below it, never flows/
    "run": {"core", "scrapers", "extractors", "llm", "report"},
    "replay": {"core", "scrapers"},
}


def imported(source: str) -> set[str]:
    """Top-level names ``source`` imports, anywhere in it (absolute imports; relative ones stay inside)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _imports(package: str) -> dict[str, set[str]]:
    return {
        str(p.relative_to(ROOT)): imported(p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / package).rglob("*.py"))
    }


def test_each_package_imports_only_the_layers_below_it_and_only_flows_imports_the_orchestrators() -> None:
    wrong = []
    for package, allowed in ALLOWED.items():
        for module, names in _imports(package).items():
            for name in sorted(names & set(OURS) - allowed - {package}):
                wrong.append(f"{module} imports {name}")
            for name in sorted(names & set(ORCHESTRATION)):
                wrong.append(f"{module} imports {name} (only flows/ may)")
    assert wrong == []


def test_the_layer_check_sees_imports_inside_functions_and_under_type_checking() -> None:
    """The trap: a module-level scan misses ``def f(): from scrapers import x`` and the imports kept
    for type checking only."""
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from flows.server import TemporaryAPI\n"
        "def f():\n    from scrapers.prospectus import classify\n    import prefect.states\nfrom . import near\n"
    )
    assert imported(source) == {"typing", "flows", "scrapers", "prefect"}


def test_the_flows_keep_only_prefects_part_small_functions_of_simple_shape() -> None:
    """Issue 22: no function in flows/ is over 60 lines or radon complexity 15; the run's rules live in run/."""
    from radon.complexity import cc_visit
    from radon.visitors import Class

    too_big = []
    for path in sorted((ROOT / "flows").glob("*.py")):
        blocks = cc_visit(path.read_text("utf-8"))
        functions = [f for b in blocks for f in (b.methods if isinstance(b, Class) else [b])]
        for block in functions:
            lines = block.endline - block.lineno + 1
            if block.complexity > 15 or lines > 60:
                too_big.append(f"{path.name}:{block.lineno} {block.name}: complexity {block.complexity}, {lines} lines")
    assert not too_big, "\n".join(too_big)
