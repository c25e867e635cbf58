"""Row recall and precision of the built-in table recipes against hand-read keys.

Each key (``benchmarks/keys/recipes/<code>.json``) lists, per recipe, the rows printed in the document's
own table(s): the identity cell (customer, supplier …) and the amount as printed with its unit. Every
built-in recipe that a key names is run over the key's PDF; a produced row matches a key row when

* the identity cells are equal after NFKC, whitespace removal and a trailing footnote mark (注1) cut, and
* the produced amount, in 元 (股 for shares), equals the key's amount times its unit within half a
  unit of the last printed digit (rounding); a key amount of null ('-' printed) matches an empty cell.

Each key row matches at most one produced row. A row labelled with a segment (``RecipeRow.segment``:
a top-five list of 境外 / 内销 / one business line) matches only a key table marked ``"segment"``, and
a company-wide row only an unmarked one. Where a document's key has no segment table for a recipe,
its segment rows are not counted (the key holds the company-wide lists; the segment lists stay in the
sheets, labelled): their number is logged beside each figure. Recall = matched / key rows, precision = matched /
produced rows (a document whose key has no named rows counts every produced row as wrong).

Usage: python benchmarks/recipe_accuracy.py [--keys DIR] [--corpus DIR] [--docs 002516,300084]
       [--recipes 前五名客户,前五名供应商] [--engine pdfplumber|tabula] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.records import RecipeRow  # noqa: E402
from extractors.document import extract_document  # noqa: E402
from extractors.recipes import load_recipes, select  # noqa: E402
from extractors.recipes.units import UNIT_FACTORS  # noqa: E402

log = logging.getLogger("recipe-accuracy")

#: per recipe: (identity column, amount column) of the recipe's own columns
COLUMNS = {
    "前五名客户": ("客户", "销售额"),
    "前五名供应商": ("供应商", "采购额"),
    "募集资金运用": ("项目", "投资总额"),
    "主要股东": ("股东", "持股数量"),
    "关联交易-采购": ("关联方", "金额"),
    "关联交易-销售": ("关联方", "金额"),
}

#: documents kept for checking: the recipes were developed on the others (see docs/recipes.md)
HOLDOUT = {"002646", "300221", "300626", "002335", "601088"}

_NOTE = re.compile(r"(?:[(（]?注\s*\d*[)）]?|\*+)$")


def norm_name(text: str) -> str:
    flat = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    return _NOTE.sub("", flat)


def key_amount(printed: str, unit: str | None) -> tuple[float, float]:
    """(value in 元, tolerance): half a unit of the last printed digit, in 元."""
    flat = printed.replace(",", "").replace("，", "").strip()
    decimals = len(flat.split(".")[1]) if "." in flat else 0
    factor = UNIT_FACTORS.get(unit or "元", 1.0)
    return float(flat) * factor, 0.5 * 10**-decimals * factor + 1e-6


def produced(row: RecipeRow, recipe: str) -> tuple[str, float | None]:
    ident, amount = COLUMNS[recipe]
    name = row.get(ident)
    cell = row.get(amount)
    return norm_name(name.text if name else ""), cell.value if cell else None


def score(key_rows: list[tuple[str, float, float]], rows: list[tuple[str, float | None]]) -> int:
    left = list(key_rows)
    matched = 0
    for name, value in rows:
        for i, (kname, kvalue, tol) in enumerate(left):
            if name == kname and abs((value or 0.0) - kvalue) <= tol:
                matched += 1
                del left[i]
                break
    return matched


def arguments(description: str, keys: Path) -> argparse.Namespace:
    """The command line of a recipe scorer (this one and ``recipe_check.py``), logging set up."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--keys", type=Path, default=keys)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "pdf" / "prospectus_full")
    parser.add_argument("--docs", default="")
    parser.add_argument("--recipes", default="")
    parser.add_argument("--engine", default="pdfplumber")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("extractors").setLevel(logging.ERROR)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    return args


def main() -> int:
    args = arguments(__doc__.split("\n")[0], ROOT / "benchmarks" / "keys" / "recipes")
    known = load_recipes()
    wanted_docs = {d for d in args.docs.split(",") if d}
    wanted_recipes = {r for r in args.recipes.split(",") if r}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # recipe → key, produced, matched
    by_set: dict[str, dict[str, list[int]]] = {s: defaultdict(lambda: [0, 0, 0]) for s in ("develop", "holdout")}
    for key_file in sorted(args.keys.glob("*.json")):
        key = json.loads(key_file.read_text("utf-8"))
        code = key["code"]
        if wanted_docs and code not in wanted_docs:
            continue
        names = [n for n in key["recipes"] if n in known and (not wanted_recipes or n in wanted_recipes)]
        if not names:
            continue
        pdf = args.corpus / key["file"]
        ex = extract_document(pdf, code, recipes=select(known, names), recipe_engine=args.engine)
        for name in names:
            spec = key["recipes"][name]
            krows = [
                (
                    ("§" if t.get("segment") else "") + norm_name(r["name"]),
                    *key_amount(r["amount"] or "0", spec.get("unit")),
                )
                for t in spec["tables"]
                for r in t["rows"]
            ]
            keyed_segments = any(t.get("segment") for t in spec["tables"])
            mine = [r for r in ex.recipe_rows if r.recipe == name]
            # a segment row is marked so that it matches only a segment table's row
            out = [
                ("§" + n if r.segment is not None else n, v)
                for r in mine
                if r.segment is None or keyed_segments
                for n, v in [produced(r, name)]
            ]
            segments = sorted({r.segment for r in mine if r.segment is not None and not keyed_segments})
            matched = score(krows, out)
            for t in (totals[name], by_set["holdout" if code in HOLDOUT else "develop"][name]):
                t[0], t[1], t[2] = t[0] + len(krows), t[1] + len(out), t[2] + matched
            log.info(
                "%s %-8s key %3d  produced %3d  matched %3d  recall %s  precision %s%s",
                code,
                name,
                len(krows),
                len(out),
                matched,
                _ratio(matched, len(krows)),
                _ratio(matched, len(out)),
                f"  (+{len(mine) - len(out)} segment rows: {', '.join(segments)})" if segments else "",
            )
            if args.verbose:
                missing = score_missing(krows, out)
                for m in missing:
                    log.info("    missing %s", m)
                notes = [n for n in ex.recipe_notes if n.startswith(name)]
                for n in notes:
                    log.info("    note %s", n)
    for label, part in (("ALL", totals), ("DEVELOP", by_set["develop"]), ("HOLDOUT", by_set["holdout"])):
        for recipe_name, (n_key, n_out, n_hit) in sorted(part.items()):
            log.info(
                "%s %-8s key %3d produced %3d matched %3d recall %s precision %s",
                label,
                recipe_name,
                n_key,
                n_out,
                n_hit,
                _ratio(n_hit, n_key),
                _ratio(n_hit, n_out),
            )
        k, o, h = (sum(t[i] for t in part.values()) for i in range(3))
        log.info(
            "%s every recipe: key %d produced %d matched %d recall %s precision %s",
            label,
            k,
            o,
            h,
            _ratio(h, k),
            _ratio(h, o),
        )
    return 0


def score_missing(key_rows: list[tuple[str, float, float]], rows: list[tuple[str, float | None]]) -> list[str]:
    left = list(key_rows)
    for name, value in rows:
        for i, (kname, kvalue, tol) in enumerate(left):
            if name == kname and abs((value or 0.0) - kvalue) <= tol:
                del left[i]
                break
    return [f"{n} {v:,.2f}" for n, v, _ in left]


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "  — "


if __name__ == "__main__":
    raise SystemExit(main())
