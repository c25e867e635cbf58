"""Table recipes on the real annual reports: any named table, found, parsed and merged across documents.

Values checked by reading the pages: Moutai 2024 p128 (采购商品/接受劳务情况表 and the start of
出售商品/提供劳务情况表, which continues on p129) and 张家界 2016 p160 (出售商品/提供劳务; its 采购 table is
printed empty).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.records import Document, DocumentExtraction
from extractors.document import extract_document
from extractors.recipes import TableRecipe, load_recipes, parse_number, select, unit_of
from report import RunReport
from report.recipe_sheets import recipe_table
from tests.conftest import PDF

MOUTAI = PDF / "announcements" / "600519_kweichow_moutai_2024_annual_report.pdf"
ZJJ = PDF / "announcements" / "000430_zhangjiajie_2016_annual_report.pdf"


@cache
def related(path: Path) -> DocumentExtraction:
    return extract_document(path, path.name[:6], recipes=select(load_recipes(), ["关联交易"]))


def rows(ex: DocumentExtraction, recipe: str) -> list[dict[str, object]]:
    return [
        {"page": r.page, **{c.column: (c.text, c.value) for c in r.cells}} for r in ex.recipe_rows if r.recipe == recipe
    ]


def test_moutai_purchases_row_read_off_page_128() -> None:
    purchases = rows(related(MOUTAI), "关联交易-采购")
    first = purchases[0]
    assert first["page"] == 128
    assert first["关联方"] == ("中国贵州茅台酒厂（集团）有限责任公司", None)
    assert first["关联交易内容"] == ("商标使用权", None)
    assert first["本期发生额"] == ("2,466,052,249.25", 2466052249.25)
    assert first["上期发生额"] == ("1,805,818,609.89", 1805818609.89)
    assert len(purchases) == 39 and purchases[-1]["关联交易内容"][0] == "水电汽等其他公用事业费用（购买）"  # type: ignore[index]


def test_moutai_sales_table_follows_and_continues_on_the_next_page() -> None:
    ex = related(MOUTAI)
    sales = rows(ex, "关联交易-销售")
    assert Counter(r["page"] for r in sales) == {128: 8, 129: 16}
    assert sales[0]["关联方"] == ("贵州茅台集团营销有限公司", None)
    assert sales[0]["本期发生额"] == ("6,339,486,387.61", 6339486387.61)
    assert sales[-1]["关联交易内容"] == ("其他流入", None) and sales[-1]["本期发生额"] == ("", None)
    assert {r.unit for r in ex.recipe_rows} == {"元"}  # from 单位：元 above each table


def test_names_wrapped_over_three_lines_are_joined_into_one_row() -> None:
    # 张家界 p160: '张家界市经济发展投资集团有' / '酒店消费 343,754.19 582,472.00' / '限公司'
    ex = related(ZJJ)
    sales = rows(ex, "关联交易-销售")
    assert [r["关联方"][0] for r in sales] == [  # type: ignore[index]
        "张家界市经济发展投资集团有限公司",
        "张家界市土地房产开发有限责任公司",
        "张家界旅游众创科技有限责任公司",
        "张家界旅游众创科技有限责任公司",
    ]
    assert sales[0]["本期发生额"] == ("343,754.19", 343754.19) and sales[0]["上期发生额"] == ("582,472.00", 582472.0)
    # its purchases table is printed with a header and no rows: said, not an empty sheet
    assert ex.recipe_notes == ("关联交易-采购: no table matched on the candidate pages",)


def test_one_recipe_over_both_reports_is_one_sheet_with_source_columns() -> None:
    docs = [
        Document(
            key=p.name[:6],
            sec_code=p.name[:6],
            sec_name=name,
            title=f"{name}年度报告",
            published=dt.date(2025, 4, 3),
            url=f"http://static.cninfo.com.cn/{p.name}",
            path=str(p),
            sha256="0" * 64,
            size=1,
        )
        for p, name in ((MOUTAI, "贵州茅台"), (ZJJ, "张家界"))
    ]
    report = RunReport(
        flow="adhoc",
        parameters={},
        started=dt.datetime(2026, 1, 1),
        documents=docs,
        extractions={
            "600519": related(MOUTAI).model_copy(update={"doc_key": "600519"}),
            "000430": related(ZJJ).model_copy(update={"doc_key": "000430"}),
        },
        recipes=select(load_recipes(), ["关联交易-销售"]),
    )
    header, table = recipe_table(report, report.recipes[0])
    assert header[:7] == ["代码", "简称", "日期", "标题", "页码", "表", "单位"]
    assert header[7:13] == [
        "关联方",
        "关联交易内容",
        "本期发生额",
        "本期发生额(原文)",
        "上期发生额",
        "上期发生额(原文)",
    ]
    assert Counter(r[0] for r in table) == {"600519": 24, "000430": 4}
    zjj = next(r for r in table if r[0] == "000430")
    assert zjj[1:5] == ["张家界", dt.date(2025, 4, 3), "张家界年度报告", 160] and zjj[9] == 343754.19


def test_place_recipe_reads_the_first_table_on_the_first_page_of_each_pdf() -> None:
    recipe = TableRecipe.parse({"name": "首页第一张表", "page": "first", "index": 1}, "test")
    got = {}
    for name in (
        "301563_ickey_prospectus_keypages_annotated.pdf",
        "920100_sanxie_motor_prospectus_keypages_annotated.pdf",
        "603418_yousheng_prospectus_keypages_annotated.pdf",
    ):
        ex = extract_document(PDF / "prospectus" / name, name[:6], recipes=[recipe])
        got[name[:6]] = (len(ex.recipe_rows), {r.page for r in ex.recipe_rows}, ex.recipe_notes)
    assert got["301563"][0] == 9 and got["301563"][1] == {1}  # 序号 | 姓名 | 劳动关系所属单位 …
    assert got["920100"][0] > 0 and got["920100"][1] == {1}
    assert got["603418"] == (0, set(), ("首页第一张表: no table matched on page 1, table 1",))


def test_a_page_beyond_the_document_is_said_per_document() -> None:
    recipe = TableRecipe.parse({"name": "第500页", "page": 500, "index": 1}, "test")
    ex = extract_document(ZJJ, "000430", recipes=[recipe])
    assert ex.recipe_notes == ("第500页: page 500 is beyond the document (174 pages)",)


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"name": "x", "headings": ["a"], "colums": {}}, "unknown keys ['colums']"),
        ({"headings": ["a"]}, "needs a name"),
        ({"name": "x", "page": 0}, "page must be"),
        ({"name": "x", "page": 1, "index": -1}, "index must be"),
        ({"name": "x", "required": ["关联方"], "columns": {}}, "not among its columns"),
        ({"name": "x"}, "say where the table is"),
    ],
)
def test_bad_recipes_are_refused_with_a_clear_message(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        TableRecipe.parse(raw, "my.toml")


def test_a_user_file_adds_and_replaces_recipes(tmp_path: Path) -> None:
    f = tmp_path / "mine.toml"
    f.write_text(
        '[[recipe]]\nname = "前五名客户"\nheadings = ["前五大客户"]\n'
        '[[recipe]]\nname = "研发费用"\nheadings = ["研发费用"]\n',
        "utf-8",
    )
    recipes = load_recipes(f)
    assert recipes["前五名客户"].headings == ("前五大客户",) and "研发费用" in recipes and "关联交易-采购" in recipes
    with pytest.raises(ConfigError, match="unknown table recipe"):
        select(recipes, ["不存在"])


@pytest.mark.parametrize(
    "text, value",
    [
        ("2,466,052,249.25", 2466052249.25),
        ("(1,234.00)", -1234.0),
        ("-", None),
        ("—", None),
        ("", None),
        ("-5,101.4", -5101.4),
        ("12.5%", 12.5),
        ("不适用", None),
        ("2024年", None),
    ],
)
def test_numbers_as_printed(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_unit_from_the_line_above() -> None:
    assert unit_of("出售商品/提供劳务情况表\n单位：元 币种：人民币") == "元"
    assert unit_of("本公司委托管理/出包情况表\n单位：万元 币种：人民币") == "万元"
    assert unit_of("no unit here") is None


def test_headers_that_differ_a_little_line_up_by_meaning() -> None:
    from extractors.recipes import map_columns

    recipe = load_recipes()["关联交易-销售"]
    assert map_columns(recipe, ("关联方", "关联交易内容", "本年发生额", "上年发生额")) == {
        "关联方": 0,
        "关联交易内容": 1,
        "本期发生额": 2,
        "上期发生额": 3,
    }


def test_extract_command_writes_the_recipe_sheets_and_csvs(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from flows.cli import main

    assert main(["extract", str(ZJJ), "--table", "关联交易", "--out", str(tmp_path)]) == 0
    (book,) = tmp_path.glob("prospectus_extract_*.xlsx")
    wb = load_workbook(book)
    assert {"关联交易采购", "关联交易销售"} <= set(wb.sheetnames) and wb.sheetnames[-1] == "Run info"
    assert wb["关联交易销售"]["H2"].value == "张家界市经济发展投资集团有限公司"
    csv_dir = book.with_name(book.stem + "_csv")
    assert (csv_dir / "关联交易销售.csv").read_text("utf-8-sig").count("\n") == 5
    info = [r for r in wb["Run info"].iter_rows(values_only=True) if str(r[0]).startswith("recipe:")]
    assert info == [
        (
            "recipe: file:000430_zhangjiajie_2016_annual_report.pdf",
            "关联交易-采购: no table matched on the candidate pages",
        )
    ]
