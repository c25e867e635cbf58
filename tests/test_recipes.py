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


@pytest.mark.slow
def test_moutai_purchases_row_read_off_page_128() -> None:
    purchases = rows(related(MOUTAI), "关联交易-采购")
    first = purchases[0]
    assert first["page"] == 128
    assert first["关联方"] == ("中国贵州茅台酒厂（集团）有限责任公司", None)
    assert first["关联交易内容"] == ("商标使用权", None)
    assert first["本期发生额"] == ("2,466,052,249.25", 2466052249.25)
    assert first["上期发生额"] == ("1,805,818,609.89", 1805818609.89)
    assert len(purchases) == 39 and purchases[-1]["关联交易内容"][0] == "水电汽等其他公用事业费用（购买）"  # type: ignore[index]


@pytest.mark.slow
def test_moutai_sales_table_follows_and_continues_on_the_next_page() -> None:
    ex = related(MOUTAI)
    sales = rows(ex, "关联交易-销售")
    assert Counter(r["page"] for r in sales) == {128: 8, 129: 16}
    assert sales[0]["关联方"] == ("贵州茅台集团营销有限公司", None)
    assert sales[0]["本期发生额"] == ("6,339,486,387.61", 6339486387.61)
    assert sales[-1]["关联交易内容"] == ("其他流入", None) and sales[-1]["本期发生额"] == ("", None)
    assert {r.unit for r in ex.recipe_rows} == {"元"}  # from 单位：元 above each table


@pytest.mark.slow
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
    assert ex.recipe_notes == ("关联交易-采购: table 1 on page 160 is printed without rows",)
    # the sales table below it, under its own title '出售商品/提供劳务情况表', is not read as purchases
    assert not [r for r in ex.recipe_rows if r.recipe == "关联交易-采购"]


@pytest.mark.slow
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
    assert header[:10] == ["代码", "简称", "日期", "标题", "页码", "表", "单位", "期间", "范围", "分组"]
    assert header[10:18] == [
        "关联方",
        "关联交易内容",
        "本期发生额",
        "本期发生额(原文)",
        "本期发生额(单位)",
        "上期发生额",
        "上期发生额(原文)",
        "上期发生额(单位)",
    ]
    assert Counter(r[0] for r in table) == {"600519": 24, "000430": 4}
    zjj = next(r for r in table if r[0] == "000430")
    assert zjj[1:5] == ["张家界", dt.date(2025, 4, 3), "张家界年度报告", 160] and zjj[12] == 343754.19


@pytest.mark.slow
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
    assert got["301563"][0] == 8 and got["301563"][1] == {1}  # 序号 | 姓名 | 劳动关系所属单位 …, its 合计 row dropped
    assert got["920100"][0] > 0 and got["920100"][1] == {1}
    assert got["603418"] == (0, set(), ("首页第一张表: no table matched on page 1, table 1",))


@pytest.mark.slow
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


@pytest.mark.slow
def test_extract_command_writes_the_recipe_sheets_and_csvs(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from flows.cli import main

    assert main(["extract", str(ZJJ), "--table", "关联交易", "--out", str(tmp_path)]) == 0
    (book,) = tmp_path.glob("prospectus_extract_*.xlsx")
    wb = load_workbook(book)
    assert {"关联交易采购", "关联交易销售"} <= set(wb.sheetnames) and wb.sheetnames[-1] == "Run info"
    assert wb["关联交易销售"]["K2"].value == "张家界市经济发展投资集团有限公司"  # after 期间, 范围, 分组
    csv_dir = book.with_name(book.stem + "_csv")
    assert (csv_dir / "关联交易销售.csv").read_text("utf-8-sig").count("\n") == 5
    info = [r for r in wb["Run info"].iter_rows(values_only=True) if str(r[2]).startswith("recipe:")]
    assert info == [
        (
            "表格配方: file:000430_zhangjiajie_2016_annual_report.pdf",
            "关联交易-采购: table 1 on page 160 is printed without rows",
            "recipe: file:000430_zhangjiajie_2016_annual_report.pdf",
        )
    ]


# --- the other built-ins on the complete real prospectuses (values read off the pages) -------------

FULL = PDF / "prospectus_full"
KINGSUN = FULL / "002638_kingsun_optoelectronic_prospectus_2011_full.pdf"
HUARUI = FULL / "300626_huarui_electrical_prospectus_2017_full.pdf"
KEHUA = FULL / "002335_kehua_hengsheng_prospectus_2010_full.pdf"


@cache
def builtins(path: Path) -> DocumentExtraction:
    return extract_document(path, path.name[:6], recipes=select(load_recipes(), ["前五名", "主要股东", "募集资金运用"]))


def tables_of(ex: DocumentExtraction, recipe: str) -> dict[int, list[dict[str, object]]]:
    out: dict[int, list[dict[str, object]]] = {}
    for r in ex.recipe_rows:
        if r.recipe == recipe:
            out.setdefault(r.table, []).append(
                {"page": r.page, "unit": r.unit, **{c.column: (c.text, c.value) for c in r.cells}}
            )
    return out


@pytest.mark.slow
def test_top_customers_headed_前五名销售客户_with_the_unit_in_the_column_header() -> None:
    # kingsun p.171-172: one table a year under '2011 年上半年前五名销售客户：' (前 5 名 in the
    # section title), '金额(万元)' the only place the unit is printed
    customers = tables_of(builtins(KINGSUN), "前五名客户")
    first = customers[1][0]
    assert first["客户"] == ("广东品尚光电科技有限公司", None) and first["page"] == 171
    assert first["销售额"] == ("4,093.84", 40938400.0) and first["占比"] == ("12.82%", 12.82)  # 万元 → 元
    assert first["unit"] == "万元"
    assert customers[1][-1]["客户"] == ("Argos limited", None)  # its 合计 row (12,360.35) is not a row
    assert {r["page"] for r in customers[3]} == {171, 172}  # the 2009 table crosses the page
    assert len(customers) == 4


@pytest.mark.slow
def test_top_customers_header_printed_again_on_the_next_page_is_not_a_row() -> None:
    customers = tables_of(builtins(HUARUI), "前五名客户")
    rows = customers[1]
    assert rows[0]["客户"] == ("江苏东成电动工具有限公司", None)
    assert rows[0]["销售额"] == ("41,700,421.10", 41700421.10) and rows[0]["占比"] == ("6.45", 6.45)
    assert not [r for r in rows if "客户名称" in str(r["客户"][0])]  # type: ignore[index]
    assert rows[0]["unit"] == "元"


@pytest.mark.slow
def test_top_suppliers_with_their_share_column_named_占总采购比() -> None:
    kingsun = tables_of(builtins(KINGSUN), "前五名供应商")[1]
    assert kingsun[0]["供应商"] == ("上海科锐光电发展有限公司", None)
    assert kingsun[0]["采购额"] == ("1,126", 11260000.0) and kingsun[0]["占比"] == ("7.99%", 7.99)
    huarui = tables_of(builtins(HUARUI), "前五名供应商")[1]
    assert huarui[0]["供应商"] == ("江西广信铜业股份有限公司", None)
    assert huarui[0]["采购额"] == ("139,141,040.03", 139141040.03) and huarui[0]["占比"] == ("27.82", 27.82)


@pytest.mark.slow
def test_a_prospectus_printing_only_supplier_totals_says_so() -> None:
    # kehua p.150-152 prints the top-five totals and shares without the names: no table, a note
    assert "前五名客户: no table matched on the candidate pages" in builtins(KEHUA).recipe_notes


@pytest.mark.slow
def test_shareholders_come_from_the_pre_and_post_issue_share_structure_only() -> None:
    # kehua p.97 '（一）本次发行前后公司的股本结构': 发行前 / 发行后 over 数量（股） / 比例（%）. Not p.71's
    # 股东减资 table, nor p.85's list of the controlling shareholder's own ten largest holders
    holders = tables_of(builtins(KEHUA), "主要股东")
    assert {r["page"] for rows in holders.values() for r in rows} == {97}
    (rows,) = holders.values()
    assert rows[0]["股东"] == ("科华伟业", None)
    assert rows[0]["持股数量"] == ("30,702,100", 30702100.0) and rows[0]["持股比例"] == ("52.48", 52.48)
    assert rows[0]["发行后持股数量"] == ("30,702,100", 30702100.0)
    assert rows[0]["unit"] == "股"
    assert [r["股东"][0] for r in rows][-1] == "社会公众股"  # type: ignore[index]  # 总股本 is the totals row


@pytest.mark.slow
def test_funded_projects_not_each_projects_own_budget() -> None:
    # huarui: p.287 lists the four funded projects; pp.293/299 break one project's budget down
    # under '募投项目投资概算' and are not it
    huarui = tables_of(builtins(HUARUI), "募集资金运用")
    assert {r["page"] for rows in huarui.values() for r in rows} == {287}
    first = huarui[1][0]
    assert first["投资总额"] == ("10,977.46", 109774600.0) and first["拟投入募集资金"] == ("6,048.38", 60483800.0)
    assert str(first["项目"][0]).startswith("江苏胜克机电科技有限公司年加工7,500万只换向器")  # type: ignore[index]
    kingsun = [r for rows in tables_of(builtins(KINGSUN), "募集资金运用").values() for r in rows if r["page"] == 356]
    assert kingsun[0]["项目"] == ("LED 户外照明与景观照明项目", None)
    assert kingsun[0]["投资总额"] == ("20,338.14", 203381400.0)
    assert not [r for r in kingsun if r["投资总额"][0] == "46,343.33"]  # type: ignore[index]  # the 合计 row
    kehua = tables_of(builtins(KEHUA), "募集资金运用")[1]
    assert (
        kehua[0]["项目"] == ("信息设备用中大功率不间断电源产业升级项目", None) and kehua[0]["投资总额"][1] == 75220000.0
    )  # type: ignore[index]


@pytest.mark.java
@pytest.mark.skipif(__import__("shutil").which("java") is None, reason="no Java runtime")
def test_tabula_as_the_recipe_engine_reads_the_same_moutai_row() -> None:
    # the users' own scripts use tabula: selectable per run (--recipe-engine tabula), on the recipe's
    # candidate pages only; its caption comes from the page text so the heading still decides
    ex = extract_document(MOUTAI, "600519", recipes=select(load_recipes(), ["关联交易-采购"]), recipe_engine="tabula")
    assert "tabula" in {t.engine for t in ex.tables}
    first = ex.recipe_rows[0]
    cells = {c.column: (c.text, c.value) for c in first.cells}
    assert first.page == 128
    assert cells["关联方"][0].replace("(", "（").replace(")", "）") == "中国贵州茅台酒厂（集团）有限责任公司"
    assert cells["关联交易内容"] == ("商标使用权", None)
    assert cells["本期发生额"] == ("2,466,052,249.25", 2466052249.25)


def test_the_party_is_one_name_not_a_sentence_running_on_to_a_trade_word() -> None:
    from extractors.recipes import party_in

    assert party_in("1、向德美动力采购货物") == "德美动力"
    assert party_in("（1）爱康实业关联交易情况") == "爱康实业"
    assert party_in("报告期内，公司向爱康实业销售产品和采购货物，交易情况如下：") == "爱康实业"
    # prose: '与德美动力之间的长期合作关系以及公司向德美动力采购' names the party twice, in a sentence
    assert party_in("是基于公司与德美动力之间的长期合作关系以及公司向德美动力采购发动机的数量规") == "德美动力"
    for generic in ("（1）向关联方采购", "1、经常性关联交易", "4、最近三年关联交易对公司影响", "（二）关联交易情况"):
        assert party_in(generic) is None
    assert party_in("报告期内，德美动力向公司关联销售收入占其当期营业收入的比例如下表：") is None


def test_rows_under_其中_are_parts_of_the_row_above_until_they_add_up_to_it() -> None:
    from extractors.recipes import _breakdown_parts

    recipe = load_recipes()["主要股东"]
    mapping = {"股东": 0, "持股数量": 1, "发行后持股数量": 2}
    rows = [
        ("神华集团", "14,691", "14,691"),
        ("社会公众股", "3,398", "5,198"),
        ("其中：H 股", "3,398", "3,398"),  # adds up before the issue, not yet after it
        ("A 股", "0", "1,800"),  # now both add up
        ("某投资公司", "10", "10"),
    ]
    assert _breakdown_parts(recipe, mapping, rows) == {2, 3}
    # a 其中 naming one part only: that row alone, the holders below it stay holders
    partial = [("甲公司", "100", "100"), ("其中：限售股", "60", "60"), ("乙公司", "30", "30")]
    assert _breakdown_parts(recipe, mapping, partial) == {1}
    # a row above with no figures has no parts
    assert _breakdown_parts(recipe, mapping, [("社会公众股", "-", "-"), ("其中：A 股", "-", "10")]) == set()
    # '其中：' alone on its row: the parts are the rows below it that add up
    bare = [
        ("甲", "3,000", "3,000"),
        ("其中：", "", ""),
        ("H股", "1,000", "1,000"),
        ("A股", "2,000", "2,000"),
        ("乙", "5", "5"),
    ]
    assert _breakdown_parts(recipe, mapping, bare) == {1, 2, 3}
    # a category row heads its holders: they are rows, not parts, though they add up to it
    category = [("一、发起人股份", "75", "75"), ("其中：", "", ""), ("A", "50", "50"), ("B", "25", "25")]
    assert _breakdown_parts(recipe, mapping, category) == set()


def test_a_footnote_mark_after_a_figure_is_not_part_of_it() -> None:
    # 603418 p.54 prints '70,000.00（注）' in the 投资总额 column, its footnote below the table
    assert parse_number("70,000.00（注）") == 70000.0
    assert parse_number("1,234.00(注 1)") == 1234.0
    assert parse_number("56.00*") == 56.0
    assert parse_number("(1,234.00)") == -1234.0
    assert parse_number("注") is None


def test_recent_wording_of_the_raised_money_column_is_read_and_a_marked_figure_kept() -> None:
    # 603418 (2025, key-page excerpt) p.54: '序号 | 项目名称 | 投资总额 | 募集资金拟投入金额', the second project's
    # total printed '70,000.00（注）'
    pdf = PDF / "prospectus" / "603418_yousheng_prospectus_keypages_annotated.pdf"
    ex = extract_document(pdf, "603418", recipes=select(load_recipes(), ["募集资金运用"]))
    got = [(r.get("项目").text, r.get("投资总额").value, r.get("拟投入募集资金").value) for r in ex.recipe_rows]  # type: ignore[union-attr]
    assert got == [
        ("云南友升轻量化铝合金零部件生产基地项目（一期）", 1_270_854_500.0, 1_270_854_500.0),
        ("年产 50 万台（套）电池托盘和 20 万套下车体制造项目", 700_000_000.0, 700_000_000.0),
        ("补充流动资金", 500_000_000.0, 500_000_000.0),
    ]


def test_a_footnote_mark_after_a_partys_name_is_not_part_of_the_name() -> None:
    # 920100 (2025, BSE, key-page excerpt) p.35: '深圳三协（注 1）', '雷赛智能（注 2）' in the 关联方 column, the
    # notes printed under the table
    pdf = PDF / "prospectus" / "920100_sanxie_motor_prospectus_keypages_annotated.pdf"
    ex = extract_document(pdf, "920100", recipes=select(load_recipes(), ["关联交易-销售"]))
    parties = {r.get("关联方").text for r in ex.recipe_rows}  # type: ignore[union-attr]
    assert parties == {"深圳三协", "雷赛智能", "德智高新", "诸暨市荣义电脑袜机维修部"}
    # and a row with a dash for a year gives no row for that year: 诸暨市荣义 sold nothing in 2023
    assert sorted(r.period or "" for r in ex.recipe_rows if "荣义" in r.get("关联方").text) == ["2022年", "2024年"]  # type: ignore[union-attr]


def test_a_blank_headed_first_column_is_the_holders_only_when_it_holds_names() -> None:
    from extractors.merge import MergedTable
    from extractors.recipes import layout_of

    recipes = load_recipes()
    holders = MergedTable(
        ("", "发行前", "", "发行后", ""),
        [(1, ("", "股数（股）", "持股比例", "股数（股）", "持股比例")),
         (1, ("神华集团（SS）", "14,691,037,955", "81.21%", "14,691,037,955", "73.86%")),
         (1, ("社会公众股", "3,398,582,500", "18.79%", "5,198,582,500", "26.14%"))],
    )  # fmt: skip
    layout = layout_of(recipes["主要股东"], holders)
    assert layout is not None and layout.mapping["股东"] == 0
    # a stub of periods is not a customer column
    by_year = MergedTable(
        ("", "序号", "销售对象", "销售额", "占比"),
        [(1, ("2019年度", "1", "甲公司", "1,000", "10%")), (1, ("", "2", "乙公司", "900", "9%"))],
    )
    assert layout_of(recipes["前五名客户"], by_year) is None
    # a one-party trade table (its party in the heading) keeps its stub of periods for party_rows
    one_party = MergedTable(("", "交易内容", "交易金额"), [(1, ("2019年度", "发动机", "1,000.00"))])
    assert layout_of(recipes["关联交易-采购"], one_party) is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"fallback_headings": "前十名股东"}, "fallback_headings must be a list"),
        ({"headings": "前五名客户"}, "headings must be a list"),
        ({"columns": {"股东": []}}, "non-empty list"),
    ],
)
def test_a_recipe_key_written_as_a_text_instead_of_a_list_is_refused(raw: dict[str, object], says: str) -> None:
    # a string would be read as a list of one-character headings, each found on nearly every page
    with pytest.raises(ConfigError, match=says):
        TableRecipe.parse({"name": "x", "headings": ["某表"], **raw}, "my.toml")


def test_a_related_party_table_whose_periods_are_its_amount_columns_is_read_one_row_a_period() -> None:
    # 688775 (2025, STAR, key-page excerpt) p.67, '②向关联方采购商品', 单位：万元:
    # '关联方 | 关联交易内容 | 2024 年度 | 2023 年度 | 2022 年度' — no 金额 column, the periods hold the amounts
    pdf = PDF / "prospectus" / "688775_insta360_prospectus_keypages_annotated.pdf"
    ex = extract_document(pdf, "688775", recipes=select(load_recipes(), ["关联交易-采购"]))
    got = [(r.period, r.get("关联方").text, r.get("金额").value) for r in ex.recipe_rows]  # type: ignore[union-attr]
    assert got == [("2024年度", "融光光学", 2_014_200.0), ("2023年度", "融光光学", 1_167_300.0)]


def test_a_grid_that_took_in_the_lead_paragraph_reads_its_table_under_that_paragraph() -> None:
    # 920100 (2025, BSE, key-page excerpt) p.41: the frame round '（一）募集资金投资项目' holds the lead paragraph
    # ('…投资于以下项目：'), one cell a line, then '序号 | 项目 | 项目总投资（万元） | 拟使用募集资金（万元）'
    pdf = PDF / "prospectus" / "920100_sanxie_motor_prospectus_keypages_annotated.pdf"
    ex = extract_document(pdf, "920100", recipes=select(load_recipes(), ["募集资金运用"]))
    got = [(r.get("项目").text, r.get("投资总额").value) for r in ex.recipe_rows]  # type: ignore[union-attr]
    assert got == [("三协绿色节能智控电机扩产项目", 119_166_000.0), ("研发中心建设项目", 31_628_800.0),
                   ("补充流动资金", 12_000_000.0)]  # fmt: skip
