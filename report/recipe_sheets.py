"""One sheet per table recipe: every matched row of every document, with its source.

Each row says where it comes from (document, page, table), the unit line of its table (单位), its
period (期间: each period of a multi-period table is its own row), the segment its table covers (范围:
境外, 内销, a business line; empty for the company-wide list) and the group title above it (分组).
Columns are the recipe's own (aligned by meaning across documents whose headers differ a little),
then any other column as printed; a numeric column is given three times: the number (amounts in 元,
share counts in 股, percentages as printed), the text as printed (原文) and the unit it was printed in
(单位).
"""

from __future__ import annotations

from pathlib import Path

from extractors.recipes import TableRecipe
from report.run import RunReport
from report.sheets import Context, page_link

SOURCE = ["代码", "简称", "日期", "标题", "页码", "表", "单位", "期间", "范围", "分组"]


def recipe_table(
    report: RunReport, recipe: TableRecipe, base: Path | None = None
) -> tuple[list[str], list[list[object]]]:
    """(header, rows) of one recipe's sheet; empty rows when no document had the table."""
    ctx = Context(report, base)
    rows = [r for ex in report.extractions.values() for r in ex.recipe_rows if r.recipe == recipe.name]
    others: list[str] = []
    for r in rows:
        for c in r.cells:
            if c.column not in recipe.columns and c.column not in others:
                others.append(c.column)
    columns: list[str] = []
    for name in [*recipe.columns, *others]:
        columns += [name, f"{name}(原文)", f"{name}(单位)"] if name in recipe.numeric else [name]
    header = [*SOURCE, *columns, "PDF", "key"]
    out: list[list[object]] = []
    for r in rows:
        doc = ctx.docs.get(r.doc_key)
        values: dict[str, object] = {}
        for c in r.cells:
            if c.column in recipe.numeric:
                values[c.column], values[f"{c.column}(原文)"] = c.value, c.text
                values[f"{c.column}(单位)"] = c.unit
            else:
                values[c.column] = c.text
        out.append(
            [
                doc.sec_code if doc else "",
                doc.sec_name if doc else "",
                doc.published if doc else None,
                doc.title if doc else r.doc_key,
                r.page,
                r.table,
                r.unit,
                r.period,
                r.segment,
                r.group,
                *(values.get(c) for c in columns),
                ctx.pdf(r.doc_key, r.page) if doc else page_link(None, None),
                r.doc_key,
            ]
        )
    return header, out
