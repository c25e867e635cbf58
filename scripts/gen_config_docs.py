"""Write docs/configuration.md from ``core.settings.Settings``: every setting, its environment
variable, type, default and meaning, so the page cannot drift from the code.

    .venv/bin/python scripts/gen_config_docs.py          # rewrite the page
    .venv/bin/python scripts/gen_config_docs.py --check  # exit 1 when the page is stale (tests/test_docs.py)

A setting's meaning is its ``Field(description=…)``, else the ``#:`` comment above it in
core/settings.py, else the section comment it sits under.
"""

from __future__ import annotations

import argparse
import ast
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402

PAGE = ROOT / "docs" / "configuration.md"
SOURCE = ROOT / "core" / "settings.py"

HEAD = """# Configuration

Every setting is read from the environment (prefix `PP_`), or from a `.env` file in the working
directory; the CLI's flags override them for one run. This page is generated from
`core/settings.py` by `scripts/gen_config_docs.py` (`tests/test_docs.py` fails when it is stale).

| environment variable | type | default | meaning |
|---|---|---|---|
"""


def _comments(source: str) -> dict[str, str]:
    """``#:`` comments (joined) and section headings above each annotated field of the class body."""
    lines = source.splitlines()
    tree = ast.parse(source)
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    out: dict[str, str] = {}
    section = ""
    previous_end = cls.lineno
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            previous_end = getattr(node, "end_lineno", previous_end) or previous_end
            continue
        doc: list[str] = []
        for raw in lines[previous_end : node.lineno - 1]:
            text = raw.strip()
            if text.startswith("# ---"):
                section = text.strip("# -").strip()
                doc = []
            elif text.startswith("#:"):
                doc.append(text[2:].strip())
            elif text.startswith("#"):
                doc.append(text[1:].strip())
        out[node.target.id] = " ".join(doc) if doc else f"({section})" if section else ""
        previous_end = node.end_lineno or node.lineno
    return out


def _default(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Path):
        return f"`{value}`"
    if isinstance(value, dict):
        return "`" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "`" if value else "`{}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def _type(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("pathlib.", "").replace("pydantic.types.", "").replace("|", "\\|")


def render() -> str:
    comments = _comments(SOURCE.read_text(encoding="utf-8"))
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
        meaning = field.description or comments.get(name, "")
        rows.append(
            f"| `PP_{name.upper()}` | {_type(field.annotation)} | {_default(default)} | {meaning.replace('|', '/')} |"
        )
    return HEAD + "\n".join(rows) + "\n"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/configuration.md is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
            logging.error("docs/configuration.md is stale: run scripts/gen_config_docs.py")
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    logging.info("wrote %s (%d settings)", PAGE.relative_to(ROOT), len(Settings.model_fields))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
