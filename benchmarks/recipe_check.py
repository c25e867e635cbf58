"""Score the built-in recipes against the independent key in ``benchmarks/keys/recipes_check``.

That key was read off the pages by someone who never ran or read the recipes (its README says how).
It differs from ``benchmarks/keys/recipes`` in form: a row of a related-party table carries every
period's amount, and lists that are not the company-wide one (segment lists, recurring items that are
not goods or services, items printed under 偶发性) are kept apart from ``tables``.

Every printed amount of ``tables`` is one key item (name, amount in 元). A one-party table broken
down by product counts its printed total per period instead: the recipes report a party's trade per
period. A produced row matches a key item as in ``recipe_accuracy.py``: equal names after NFKC and
whitespace removal, and the amount within half a unit of its last printed digit. A produced row that
matches no key item but matches an item kept apart (``segment_lists``, ``other_recurring`` …) is
counted as *apart*, not as a match, so precision is given twice: strict (apart rows are wrong) and
apart-tolerant. Rows that the recipe labels with a segment (``RecipeRow.segment``: 境外, one business
line …) are scored on their own, against the lists the key keeps apart, and are not counted in the
company-wide figures.

Usage: python benchmarks/recipe_check.py [--docs 002516,…] [--recipes 前五名客户,…] [--engine …] [-v]
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from recipe_accuracy import arguments, key_amount, norm_name, produced, score, score_missing  # noqa: E402

from core.records import RecipeRow  # noqa: E402
from extractors.document import extract_document  # noqa: E402
from extractors.recipes import load_recipes, select  # noqa: E402

log = logging.getLogger("recipe-check")

#: parts of a key recipe that hold rows outside the company-wide / recurring-goods tables
APART = ("segment_lists", "other_recurring", "printed_under_偶发性", "other_tables")
KEY_DIR = ROOT / "benchmarks" / "keys" / "recipes_check"

Item = tuple[str, float, float]


def _rows(table: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from table.get("rows") or ()
    for block in table.get("blocks") or ():
        yield from block.get("rows") or ()


def _amounts(row: dict[str, Any]) -> Iterator[str]:
    if "values" in row:
        for value in row["values"]:
            yield value.get("amount") or ""
    else:  # a project list without a total-investment column: the raised money it prints
        yield row.get("amount") or (row.get("funded") if row.get("amount") is None else None) or ""


def _produced(row: RecipeRow, name: str) -> tuple[str, float | None]:
    """The row as the key has it; a project without a total investment by the raised money it uses."""
    ident, value = produced(row, name)
    if value is None and name == "募集资金运用" and (funded := row.get("拟投入募集资金")) is not None:
        value = funded.value
    return ident, value


#: recipes whose rows are the table's named rows (a holder, a project): a row printed with a dash
#: ('社会公众股 | —', a working-capital line '-') is still a row, scored by its name with no amount;
#: in the others a dash is a period without a trade, no row
NAMED_ROWS = ("主要股东", "募集资金运用")


def items(tables: list[dict[str, Any]], unit: str | None, dashes: bool = False) -> list[Item]:
    """Every printed amount of the key's tables as (name, value in 元, tolerance); dashes are no item.

    A recipe reports a related party's trade per period. Where the key's table is one party's (the
    party named in its heading) broken down by product, with a printed total per period, the party's
    item for a period is that total, not each product line."""
    out: list[Item] = []
    for table in tables:
        table_unit = re.split(r"[、,，/]", table.get("unit") or unit or "")[0] or None  # '万元、%': amounts in 万元
        total = table.get("total")
        rows = list(_rows(table))
        if table.get("party") and isinstance(total, dict) and "values" in total:
            rows = [{"party": table["party"], "values": total["values"]}]
        for row in rows:
            name = norm_name(row.get("party") or row.get("name") or "")
            for amount in _amounts(row):
                flat = amount.replace(",", "").replace("%", "").strip()
                try:
                    float(flat)
                except ValueError:
                    if dashes and flat.strip("-—－ ") == "":  # a printed dash or an empty cell: no amount
                        out.append((name, 0.0, 1e-6))
                    continue
                out.append((name, *key_amount(flat, table_unit)))
    return out


def _apart(spec: dict[str, Any]) -> list[Item]:
    found: list[Item] = []
    for part in APART:
        value = spec.get(part)
        for entry in value if isinstance(value, list) else [value] if isinstance(value, dict) else []:
            if not isinstance(entry, dict):
                continue
            unit = entry.get("unit") or spec.get("unit")
            found += items(entry["tables"], unit) if isinstance(entry.get("tables"), list) else items([entry], unit)
    return found


def main() -> int:
    args = arguments(__doc__.split("\n")[0], KEY_DIR)
    known = load_recipes()
    docs = {d for d in args.docs.split(",") if d}
    wanted = {r for r in args.recipes.split(",") if r}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # key items, produced, matched, apart
    segments: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # segment rows, found in the key's apart lists
    for key_file in sorted(args.keys.glob("*.json")):
        key = json.loads(key_file.read_text("utf-8"))
        if docs and key["code"] not in docs:
            continue
        names = [n for n in key["recipes"] if n in known and (not wanted or n in wanted)]
        ex = extract_document(
            args.corpus / key["file"], key["code"], recipes=select(known, names), recipe_engine=args.engine
        )
        for name in names:
            spec = key["recipes"][name]
            want = items(spec.get("tables") or [], spec.get("unit"), dashes=name in NAMED_ROWS)
            mine = [r for r in ex.recipe_rows if r.recipe == name]
            out = [_produced(r, name) for r in mine if r.segment is None]
            matched = score(want, out)
            unmatched = [o for o in out if score(want, [o]) == 0]
            apart = score(_apart(spec), unmatched)
            labelled = [_produced(r, name) for r in mine if r.segment is not None]
            segments[name][0] += len(labelled)
            segments[name][1] += score(_apart(spec), labelled)
            for i, n in enumerate((len(want), len(out), matched, apart)):
                totals[name][i] += n
            log.info(
                "%s %-8s key %3d produced %3d matched %3d apart %3d",
                key["code"],
                name,
                len(want),
                len(out),
                matched,
                apart,
            )
            if args.verbose:
                for miss in score_missing(want, out):
                    log.info("    missing %s", miss)
                for extra_name, value in unmatched:
                    log.info("    produced, not in the key's tables: %s %s", extra_name, value)
    for name, (k, o, m, a) in sorted(totals.items()):
        log.info("ALL %-8s key %3d produced %3d matched %3d apart %3d  %s", name, k, o, m, a, _figures(k, o, m, a))
        if segments[name][0]:
            log.info("    + %d rows labelled with a segment, %d of them in the key's segment lists", *segments[name])
    k, o, m, a = (sum(t[i] for t in totals.values()) for i in range(4))
    log.info("ALL every recipe: key %d produced %d matched %d apart %d  %s", k, o, m, a, _figures(k, o, m, a))
    return 0


def _figures(key: int, out: int, matched: int, apart: int) -> str:
    def ratio(a: int, b: int) -> str:
        return f"{a / b:.2f}" if b else "—"

    return (
        f"recall {ratio(matched, key)}  precision {ratio(matched, out)}"
        f"  (apart rows not counted: {ratio(matched, out - apart)})"
    )


if __name__ == "__main__":
    raise SystemExit(main())
