"""Built-in table recipes on the complete real prospectuses: one test per structural trap.

Every expected value was read off the printed page (benchmarks/keys/recipes/<code>.json holds the
full keys). Pages are 1-based PDF pages.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from core.records import Document, DocumentExtraction, RecipeRow
from extractors.document import extract_document
from extractors.merge import Fragment, MergedTable, merge_fragments
from extractors.recipes import TableRecipe, load_recipes, map_columns, recipe_rows, select
from extractors.tables import extract_fragments
from report import RunReport
from report.recipe_sheets import recipe_table
from tests.conftest import PDF

FULL = PDF / "prospectus_full"
KUANGDA = FULL / "002516_kuangda_auto_fabric_prospectus_2010_full.pdf"
AKCOME = FULL / "002610_akcome_solar_prospectus_2011_full.pdf"
HAIMO = FULL / "300084_lanzhou_haimo_prospectus_2010_full.pdf"
JEREH = FULL / "002353_yantai_jereh_prospectus_2010_full.pdf"
KINGSUN = FULL / "002638_kingsun_optoelectronic_prospectus_2011_full.pdf"
HUARUI = FULL / "300626_huarui_electrical_prospectus_2017_full.pdf"


@cache
def top_five(path: Path) -> DocumentExtraction:
    return extract_document(path, path.name[:6], recipes=select(load_recipes(), ["前五名"]))


def rows_of(path: Path, recipe: str) -> list[RecipeRow]:
    return [r for r in top_five(path).recipe_rows if r.recipe == recipe]


def cell(row: RecipeRow, column: str) -> tuple[str, float | None]:
    c = row.get(column)
    assert c is not None
    return c.text, c.value


@pytest.mark.slow
def test_yearly_tables_captioned_only_by_the_year_each_period_labelled() -> None:
    # kuangda p.122-123: '4、向前五大客户的销售情况' stands above the first year only; each year is a
    # title row ('2009年度') over its own header row, all in one ruled grid
    rows = rows_of(KUANGDA, "前五名客户")
    assert [r.period for r in rows] == ["2010年1-6月"] * 5 + ["2009年度"] * 5 + ["2008年度"] * 5 + ["2007年度"] * 5
    assert cell(rows[5], "客户") == ("长春富维-江森自控汽车饰件系统有限公司", None)
    assert cell(rows[5], "销售额") == ("7,613.41", 76134100.0)
    assert {r.page for r in rows} == {122, 123}


@pytest.mark.slow
def test_totals_rows_are_dropped_and_checked_against_their_sum() -> None:
    rows = rows_of(KUANGDA, "前五名客户")
    assert not [r for r in rows if "合计" in (r.get("客户") or r.cells[0]).text]
    assert len(rows) == 20
    # every printed 合计 adds up: no warning
    assert not [n for n in top_five(KUANGDA).recipe_notes if n.startswith("前五名客户")]


def test_a_total_that_does_not_add_up_is_a_warning_on_its_table() -> None:
    recipe = load_recipes()["前五名客户"]
    table = MergedTable(
        ("客户名称", "销售额（万元）", "占比"),
        [(1, ("甲公司", "100.00", "10%")), (1, ("乙公司", "50.00", "5%")), (1, ("合计", "160.00", "15%"))],
    )
    rows, notes = recipe_rows(recipe, "x", 1, table, "")
    assert [cell(r, "销售额") for r in rows] == [("100.00", 1000000.0), ("50.00", 500000.0)]
    assert notes == ["前五名客户: table 1: 销售额 total 160.00 ≠ sum of its 2 rows 150.00"]


@pytest.mark.slow
def test_amounts_in_万元_are_numbers_in_元_with_the_printed_text_and_unit() -> None:
    # akcome p.129: '单位：万元' above the table
    first = rows_of(AKCOME, "前五名客户")[0]
    assert cell(first, "客户") == ("上海住友商事有限公司", None)
    amount = first.get("销售额")
    assert amount is not None and (amount.text, amount.value, amount.unit) == ("44,225.12", 442251200.0, "万元")
    share = first.get("占比")
    assert share is not None and (share.value, share.unit) == (35.44, "%")


@pytest.mark.slow
def test_a_period_cell_centred_in_its_block_labels_every_row_of_the_block() -> None:
    # akcome p.133-134: a 年度 column whose merged cell names five suppliers; 合计 rows close each block
    rows = rows_of(AKCOME, "前五名供应商")
    assert [r.period for r in rows] == ["2010年度"] * 5 + ["2009年度"] * 5 + ["2008年度"] * 5
    assert cell(rows[-1], "供应商") == ("广东兴发铝业有限公司", None)  # p.134, after the page break


@pytest.mark.slow
def test_a_header_under_a_period_title_row_is_found_and_the_period_kept() -> None:
    # haimo p.117-118: '序号 | 2009 年' over '客户名称 | 销售金额 | 占比 | …': the header is the second row
    rows = rows_of(HAIMO, "前五名客户")
    assert len(rows) == 15
    assert [r.period for r in rows[::5]] == ["2009年", "2008年度", "2007年度"]
    assert cell(rows[1], "客户") == ("Petrofac E&C International Ltd", None)
    assert cell(rows[1], "销售额") == ("14,238,128.88", 14238128.88)


@pytest.mark.slow
def test_group_title_rows_and_subtotals_by_business_line() -> None:
    # jereh p.133-135: one list per business line (一、二、三) with a 小计 each, no share column, four
    # years each captioned '①2009年1-6月' … '④2006年' with a note line between
    rows = rows_of(JEREH, "前五名客户")
    assert len(rows) == 52
    assert {r.period for r in rows} == {"2009年1-6月", "2008年", "2007年", "2006年"}
    assert rows[0].group == "一、油田专用设备制造"
    assert cell(rows[0], "客户") == ("VELESA TRADING LIMITED(塞浦路斯)", None)
    assert not [r for r in rows if "小" in (r.get("客户") or r.cells[0]).text[:2]]
    assert not [n for n in top_five(JEREH).recipe_notes if n.startswith("前五名客户")]


def test_a_subtotal_row_after_a_page_break_is_not_joined_to_the_row_above() -> None:
    # jereh p.133→134: the 小计 row opens p.134 with its 序号 cell empty, like a row cut by the break
    header = ("序号", "客户名称", "金额(元)")
    a = Fragment(1, (header, ("5", "武汉钢铁集团矿业有限责任公司", "8,420,734.81")), top=0.6, bottom=0.95)
    b = Fragment(2, (("", "小 计", "55,033,903.97"),), top=0.08, bottom=0.1)
    (table,) = merge_fragments([a, b])
    assert [r for _, r in table.rows] == [
        ("5", "武汉钢铁集团矿业有限责任公司", "8,420,734.81"),
        ("", "小 计", "55,033,903.97"),
    ]


@pytest.mark.slow
def test_headings_in_the_prospectus_own_wording_前五位供应商() -> None:
    # kuangda p.124-125: '4、向前五位供应商的采购情况' ends p.124; the tables start at the top of p.125
    rows = rows_of(KUANGDA, "前五名供应商")
    assert len(rows) == 20 and {r.page for r in rows} == {125}
    assert cell(rows[0], "采购额") == ("1,934.61", 19346100.0)


@pytest.mark.slow
def test_a_list_of_customers_by_product_is_not_the_top_five() -> None:
    # huarui p.76: '主要客户 | 应用领域 | 应用产品' names customers without an amount or a share
    rows = rows_of(HUARUI, "前五名客户")
    assert 76 not in {r.page for r in rows}
    assert len(rows) == 30


@pytest.mark.slow
def test_a_top_five_table_outside_its_chapter_is_not_taken() -> None:
    # kingsun pp.283-290 (管理层讨论与分析) list the top five by receivables: not the 业务与技术 list
    rows = rows_of(KINGSUN, "前五名客户")
    assert {r.page for r in rows} == {171, 172}
    assert len(rows) == 20


def _one_page(src: Path, page: int, out: Path) -> Path:
    pdf = pdfium.PdfDocument(str(src))
    new = pdfium.PdfDocument.new()
    new.import_pages(pdf, [page - 1])
    new.save(str(out))
    new.close()
    pdf.close()
    return out


def _local_document(code: str, name: str, title: str, published: dt.date, path: Path) -> Document:
    """A document record for a PDF on disk, as a recipe sheet's source columns read it."""
    return Document(
        key=code,
        sec_code=code,
        sec_name=name,
        title=title,
        published=published,
        url=f"file:{path.name}",
        path=str(path),
        sha256="0" * 64,
        size=1,
    )


def _report(docs: list[Document], extractions: dict[str, DocumentExtraction], recipe: TableRecipe) -> RunReport:
    return RunReport(
        flow="adhoc", parameters={}, started=dt.datetime(2026, 1, 1), documents=docs, extractions=extractions,
        recipes=[recipe],
    )  # fmt: skip


def test_the_second_table_on_page_1_counts_a_one_row_table_first(tmp_path: Path) -> None:
    from extractors.tables import page_tables

    # the seed's task: "the 2nd table on page 1 of every PDF, merged". Real pages whose first table is
    # a one-row grid (the last row of a table from the page before) above a shareholder table: a
    # reader counts two tables
    pages = {"002353": (JEREH, 62), "002516": (KUANGDA, 50)}
    recipe = TableRecipe.parse({"name": "第1页第2张表", "page": 1, "index": 2}, "test")
    extractions = {}
    docs = []
    for key, (src, page) in pages.items():
        path = _one_page(src, page, tmp_path / f"{key}.pdf")
        assert [t.index for t in page_tables(path, 1)] == [1, 2]
        extractions[key] = extract_document(path, key, recipes=[recipe])
        docs.append(_local_document(key, key, f"{key} p{page}", dt.date(2010, 1, 1), path))
    report = _report(docs, extractions, recipe)
    header, table = recipe_table(report, recipe)
    assert header[:2] == ["代码", "简称"]
    by_doc = {code: [r for r in table if r[0] == code] for code in pages}
    assert all(by_doc.values())  # both PDFs give rows
    assert extractions["002516"].recipe_rows[0].cells[1].text == "沈介良"


def test_the_page_preview_numbers_tables_as_a_place_recipe_counts_them() -> None:
    from extractors.tables import page_tables

    tables = page_tables(KUANGDA, 50)
    assert [t.index for t in tables] == [1, 2]
    assert tables[0].rows == 1 and tables[0].first_row[:1] == ("合计",)
    assert tables[1].first_row[:2] == ("序号", "股东名称")
    x0, top, x1, bottom = tables[1].bbox
    assert x0 < x1 and top < bottom


@pytest.mark.slow
def test_two_level_header_发行前_发行后_over_股数_比例_fills_both_periods() -> None:
    # kuangda p.73: '本次发行前 | 本次发行后' over '股数（股） | 所占比例 (%)'; the holders, not the
    # capital history (pp.50-67 print 股东 and 出资比例 too) nor the 合计 row
    ex = extract_document(KUANGDA, "002516", recipes=select(load_recipes(), ["主要股东"]))
    rows = ex.recipe_rows
    assert {r.page for r in rows} == {73} and len(rows) == 9
    second = rows[1]
    assert cell(second, "股东") == ("国泰君安投资管理股份有限公司", None)
    assert cell(second, "持股数量") == ("12,597,984", 12597984.0) and cell(second, "持股比例")[1] == 8.3987
    assert cell(second, "发行后持股数量") == ("9,141,194", 9141194.0) and cell(second, "发行后持股比例")[1] == 4.5706


@pytest.mark.slow
def test_funded_projects_the_first_list_of_the_chapter_not_its_later_breakdowns() -> None:
    # jereh p.269: '项目总投资额 | 投入募集资金' (万元); p.306 lists the same projects again, broken down
    ex = extract_document(JEREH, "002353", recipes=select(load_recipes(), ["募集资金运用"]))
    rows = ex.recipe_rows
    assert {r.page for r in rows} == {269} and len(rows) == 6
    assert cell(rows[0], "投资总额") == ("11,200", 112000000.0)
    assert cell(rows[0], "拟投入募集资金") == ("7,000", 70000000.0)


def test_headers_match_whatever_brackets_the_engine_prints() -> None:
    # tabula prints （） as (): a header and a recipe's synonym written with different brackets match
    recipe = TableRecipe.parse(
        {
            "name": "关联采购",
            "required": ["关联方"],
            "numeric": ["上年发生额"],
            "columns": {"关联方": ["关联方"], "上年发生额": ["上年（实际）发生金额"]},
        },
        "test",
    )
    assert map_columns(recipe, ("关联方", "上年(实际)发生金额")) == {"关联方": 0, "上年发生额": 1}
    table = MergedTable(("关联方", "上年(实际)发生金额"), [(1, ("甲公司", "1,000.00"))])
    rows, _ = recipe_rows(recipe, "x", 1, table, "单位：元")
    assert cell(rows[0], "上年发生额") == ("1,000.00", 1000.0)


QINGKE = FULL / "002646_qinghai_huzhu_barley_wine_prospectus_2011_full.pdf"


@pytest.mark.slow
def test_a_wide_multi_period_table_gives_one_labelled_row_a_period() -> None:
    # qingke p.171-172 '（1）销售货物' under '1、经常性关联交易': 关联方名称 | 2011年1-6月 … 2008年度, each
    # over 金额（万元） | 占比（%）: one row a period, the amount in 元
    ex = extract_document(QINGKE, "002646", recipes=select(load_recipes(), ["关联交易-销售"]))
    rows = ex.recipe_rows
    assert [(r.period, cell(r, "关联方")[0], cell(r, "金额")) for r in rows] == [
        ("2011年1-6月", "青稞城投资", ("38", 380000.0)),
        ("2010年度", "青稞城投资", ("43", 430000.0)),
        ("2009年度", "青稞城投资", ("35", 350000.0)),
        ("2008年度", "青稞城投资", ("30", 300000.0)),
    ]


@pytest.mark.slow
def test_a_header_printed_above_the_ruled_grid_is_read_as_its_header() -> None:
    # haimo p.274: '序号 项目 项目预计 拟以募集 投资进度' / '总投资 资金投资额 第1年 第2年' stand above
    # the rules, the grid holds only the four project rows
    ex = extract_document(HAIMO, "300084", recipes=select(load_recipes(), ["募集资金运用"]))
    rows = ex.recipe_rows
    assert {r.page for r in rows} == {274} and len(rows) == 4
    assert cell(rows[0], "项目") == ("扩大现有移动测井服务规模", None)
    assert cell(rows[0], "投资总额") == ("7,500.00", 75000000.0)
    assert cell(rows[0], "拟投入募集资金") == ("7,500.00", 75000000.0)


@pytest.mark.slow
def test_a_segments_top_five_list_is_labelled_not_taken_for_the_company_list() -> None:
    # akcome p.129-131 (PDF pages): '3、前五大客户情况' (the company's list), then under '4、报告期内外销前五大客户
    # 具体销售情况' the export list ('发行人境外前五名客户销售情况如下') and the domestic one ('境内…')
    rows = rows_of(AKCOME, "前五名客户")
    company = [r for r in rows if r.segment is None]
    assert len(company) == 15
    assert {r.page for r in company} == {129}
    export = [r for r in rows if r.segment == "境外"]
    domestic = [r for r in rows if r.segment == "境内"]
    # 2009's domestic list names 苏州盛隆光电 once, merged over its four product rows: each row is its own
    assert len(export) == 15 and len(domestic) == 18
    assert {cell(r, "客户")[0] for r in domestic if r.page == 131} >= {"苏州盛隆光电科技有限公司"}
    assert not [n for n in top_five(AKCOME).recipe_notes if "≠" in n]
    assert cell(export[3], "销售额") == ("3,547.17", 35471700.0)
    assert export[3].period is not None and export[3].period.startswith("2010")


def test_a_segment_is_what_the_heading_names_before_the_list() -> None:
    from extractors.recipes import segment_of

    recipe = load_recipes()["前五名客户"]
    assert segment_of(recipe, "报告期内，发行人境外前五名客户销售情况如下：") == "境外"
    assert segment_of(recipe, "4、报告期内外销前五大客户具体销售情况") == "外销"
    assert segment_of(recipe, "（1）LED 产品前五名客户") == "LED产品"
    assert segment_of(recipe, "报告期内，公司向前五名客户的销售情况如下：") is None
    assert segment_of(recipe, "公司主营业务前五名客户") is None
    assert segment_of(load_recipes()["前五名供应商"], "（2）内销业务前五名供应商") == "内销业务"


@pytest.mark.slow
def test_a_second_company_wide_list_on_another_revenue_basis_is_labelled_not_doubled() -> None:
    # huarui p.116-117: '1、主营业务收入前五名客户情况' for 2014-2016, then '2、营业收入前五名客户情况' for the
    # same years (copper-scrap buyers included): each year has one company-wide list, the first printed
    rows = rows_of(HUARUI, "前五名客户")
    company = [r for r in rows if r.segment is None]
    assert len(company) == 15 and {r.page for r in company} == {116}
    assert sorted({r.period or "" for r in company}) == ["2014年度", "2015年度", "2016年度"]
    second = [r for r in rows if r.segment is not None]
    assert len(second) == 15 and {r.segment for r in second} == {"营业收入"}
    assert cell(second[0], "客户") == ("鹰潭昌丰铜业有限公司", None)
    assert cell(second[0], "销售额") == ("86,212,091.23", 86212091.23)


def test_a_list_for_periods_already_listed_takes_what_its_heading_names() -> None:
    from extractors.recipes import repeated_list

    recipe = load_recipes()["前五名客户"]
    first = [RecipeRow(recipe="前五名客户", doc_key="d", page=1, table=1, cells=(), period="2014年度")]
    later = [RecipeRow(recipe="前五名客户", doc_key="d", page=2, table=2, cells=(), period="2014 年")]
    listed: set[str] = set()
    assert repeated_list(recipe, first, "1、主营业务收入前五名客户情况", listed) is None
    assert repeated_list(recipe, later, "2、营业收入前五名客户情况", listed) == ("营业收入", {"2014年"})
    # the next years' list is the company-wide one for them
    assert repeated_list(recipe, [first[0].model_copy(update={"period": "2015年度"})], None, listed) is None
    # a later list over a listed year and a new one: only the listed year's rows are the repeat
    both = [later[0], later[0].model_copy(update={"period": "2016年1-6月"})]
    assert repeated_list(recipe, both, "营业收入前五名客户", listed) == ("营业收入", {"2014年"})


DONGGANG = FULL / "002117_donggang_security_printing_prospectus_2010_full.pdf"


@pytest.mark.slow
def test_the_lists_of_each_business_line_are_labelled_with_their_line() -> None:
    # jereh p.132-135: the company's top five only as an aggregate, then '(2)报告期内公司各项业务销售客户
    # 前五名明细情况': one list per business line under its group title
    rows = rows_of(JEREH, "前五名客户")
    assert rows and all(r.segment is not None for r in rows)
    assert rows[0].segment == "一、油田专用设备制造"
    assert {(r.segment or "").rstrip("*") for r in rows} == {
        "一、油田专用设备制造",
        "二、油田、矿山设备维修改造及配件销售",
        "三、海上油田钻采平台工程作业服务",
    }


@cache
def related(path: Path) -> DocumentExtraction:
    return extract_document(path, path.name[:6], recipes=select(load_recipes(), ["关联交易"]))


def trades(path: Path, recipe: str) -> list[tuple[str, str, float | None, str | None]]:
    out = []
    for r in related(path).recipe_rows:
        if r.recipe == recipe:
            party, amount = r.get("关联方"), r.get("金额")
            assert party is not None and amount is not None
            out.append((party.text, amount.text, amount.value, r.period))
    return out


@pytest.mark.slow
def test_a_party_named_only_in_the_heading_with_the_periods_as_columns() -> None:
    # jereh p.154-155: '1、向德美动力采购货物', then a by-item table and '关联采购金额（元）' with the
    # periods as columns; '2、向德美动力销售货物' likewise; the tables after each first one (the engines'
    # share, 德美动力's own view of the same trade) are not read again
    assert trades(JEREH, "关联交易-采购") == [
        ("德美动力", "11,738,326.95", 11738326.95, "2009年1-6月"),
        ("德美动力", "11,670,557.63", 11670557.63, "2008年度"),
        ("德美动力", "8,065,007.53", 8065007.53, "2007年度"),
        ("德美动力", "4,481,741.57", 4481741.57, "2006年度"),
    ]
    assert [t[1] for t in trades(JEREH, "关联交易-销售")] == ["7,594.53", "59,112.59", "247,612.57", "265,418.87"]


@pytest.mark.slow
def test_one_table_per_party_with_the_party_in_its_caption_and_both_trades_in_it() -> None:
    # akcome p.159: '（1）爱康实业关联交易情况', 序号 | 交易内容 | 交易期间 | 交易金额, 销售背板 / 销售边框 rows
    assert trades(AKCOME, "关联交易-销售") == [
        ("爱康实业", "47.87", 478700.0, "2009年度"),
        ("爱康实业", "1,206.62", 12066200.0, "2008年度"),
    ]
    assert not [t for t in trades(AKCOME, "关联交易-采购") if t[1] in {"47.87", "1,206.62"}]


@pytest.mark.slow
def test_a_table_merged_over_a_page_break_ends_at_the_heading_on_the_next_page() -> None:
    # donggang p.86-87: 表5-2 关联销售情况 ends on p.86; on p.87 '3、关联方往来余额 / 表5-3' heads the
    # balances, a grid of the same width that the page merge joined to it
    assert trades(DONGGANG, "关联交易-销售") == [
        ("青岛奥华（含康戴里）", "878.89", 8788900.0, "2008年"),
        ("青岛奥华（含康戴里）", "378.74", 3787400.0, "2007年"),
    ]


@pytest.mark.slow
def test_related_party_sales_headed_in_the_prospectus_wording() -> None:
    # kingsun p.203-204: '（1）销售商品 / 报告期内公司通过参股公司销售商品情况如下', 关联企业名称 and
    # period column groups (金额 | 占比); 2009 and 2008 printed '-'
    got = trades(KINGSUN, "关联交易-销售")
    assert len(got) == 10
    assert got[0] == ("江西勤上光电有限公司", "1,027,424.79", 1027424.79, "2011年上半年")


@pytest.mark.slow
def test_a_yearly_table_without_its_own_unit_line_takes_the_unit_of_the_table_it_continues() -> None:
    # haimo p.117: '单位：元' above the 2009 table only; the 2008 table under it has no unit line
    rows = [r for r in rows_of(HAIMO, "前五名客户") if r.period == "2008年度"]
    assert rows and {r.unit for r in rows} == {"元"}
    amount = rows[0].get("销售额")
    assert amount is not None and (amount.text, amount.value, amount.unit) == ("33,533,270.34", 33533270.34, "元")


@pytest.mark.slow
def test_the_recipe_sheet_shows_each_rows_period_segment_and_the_unit_beside_each_amount() -> None:
    # akcome p.129-130: the company list and the export list (境外), 单位：万元
    recipe = load_recipes()["前五名客户"]
    doc = _local_document("002610", "爱康科技", "招股意向书", dt.date(2011, 8, 1), AKCOME)
    report = _report([doc], {"002610": top_five(AKCOME)}, recipe)
    header, table = recipe_table(report, recipe)
    at = {name: i for i, name in enumerate(header)}
    assert header[6:10] == ["单位", "期间", "范围", "分组"]
    assert header[at["销售额"] : at["销售额"] + 3] == ["销售额", "销售额(原文)", "销售额(单位)"]
    company = [r for r in table if r[at["范围"]] is None]
    export = [r for r in table if r[at["范围"]] == "境外"]
    assert len(company) == 15 and len(export) == 15
    first = company[0]
    assert first[at["客户"]] == "上海住友商事有限公司" and first[at["期间"]] == "2010年度"
    assert (first[at["销售额"]], first[at["销售额(原文)"]], first[at["销售额(单位)"]]) == (
        442251200.0,
        "44,225.12",
        "万元",
    )
    assert (first[at["占比"]], first[at["占比(单位)"]]) == (35.44, "%")
    assert {r[at["期间"]] for r in export} == {"2010年度", "2009年度", "2008年度"}


def test_a_ruled_two_level_header_stays_with_its_grid_and_its_unit_applies_below() -> None:
    # 002646 p.255: '项目资金预算（单位：万元）' spans 建设资金 / 流动资金 / 合计 inside the grid (the rule
    # under it is short, the column rules are drawn cell by cell); no 单位 line stands above the grid
    barley = FULL / "002646_qinghai_huzhu_barley_wine_prospectus_2011_full.pdf"
    (recipe,) = select(load_recipes(), ["募集资金运用"])
    (table,) = [t for t in merge_fragments(extract_fragments(barley, [255])) if t.pages == (255,)]
    assert "项目资金预算（单位：万元）" in table.header and "单位" not in table.caption
    rows, _notes = recipe_rows(recipe, "002646", 1, table, table.caption)
    assert rows
    amounts = [c for r in rows for c in r.cells if c.value is not None and c.unit != "%"]
    assert amounts and {c.unit for c in amounts} == {"万元"}
    assert any(c.text == "14,486.00" and c.value == 144_860_000.0 for c in amounts)


def test_a_unit_in_a_parent_header_cell_reads_单位_inside_the_brackets() -> None:
    (recipe,) = select(load_recipes(), ["募集资金运用"])
    table = MergedTable(
        ("序号", "项目名称", "项目资金预算（单位：万元）", "", ""),
        [
            (255, ("", "", "建设资金", "流动资金", "合计")),
            (255, ("1", "原酒酿造技改项目", "12,666.00", "1,820.00", "14,486.00")),
        ],
    )
    rows, _notes = recipe_rows(recipe, "x", 1, table, "")
    assert [cell(r, "投资总额") for r in rows] == [("14,486.00", 144_860_000.0)]


SHENHUA = FULL / "601088_china_shenhua_energy_prospectus_2007_full.pdf"


@cache
def recipe_rows_of(path: Path, recipe: str) -> list[RecipeRow]:
    ex = extract_document(path, path.name[:6], recipes=select(load_recipes(), [recipe]))
    return [r for r in ex.recipe_rows if r.recipe == recipe]


@pytest.mark.slow
def test_a_shareholder_table_whose_name_column_has_no_header_reads_its_row_labels_as_holders() -> None:
    # shenhua p.73: '· | 发行前 | · | 发行后 | ·' over '· | 股数（股） | 持股比例 | …': the holders' column is
    # printed without a label (the stub), so no header cell says 股东
    rows = recipe_rows_of(SHENHUA, "主要股东")
    # '其中：H 股' and 'A 股' break 社会公众股 down (they add up to it before and after the issue): not holders
    assert [cell(r, "股东")[0] for r in rows] == ["神华集团（SS）", "社会公众股"]
    assert cell(rows[0], "持股数量") == ("14,691,037,955", 14691037955.0)
    assert cell(rows[0], "发行后持股比例")[0] == "73.86%"


@pytest.mark.slow
def test_a_two_line_header_split_by_the_page_break_is_joined_and_its_rows_read() -> None:
    # haimo p.63-64: '股东名称 | 发行前 | 发行后' is the last line of p.63; '· | 数量（股） | 持股比例 | 数量（股）
    # | 持股比例' and the 38 holders open p.64
    rows = recipe_rows_of(HAIMO, "主要股东")
    holders = [r for r in rows if cell(r, "持股数量")[1]]
    assert len(holders) == 38 and {r.page for r in holders} == {64}
    assert cell(holders[0], "股东")[0] == "窦剑文" and cell(holders[0], "持股数量") == ("14,747,520", 14747520.0)
    assert sum(cell(r, "持股数量")[1] or 0 for r in holders) == 48_000_000


@pytest.mark.slow
def test_a_project_list_under_a_lead_sentence_naming_where_the_money_goes_is_read_with_its_raised_money() -> None:
    # shenhua p.352-353: under '（一）煤炭、电力及运输系统的投资、更新' the lead '本次募集资金拟用于…项目共 19 个
    # …如下' and a table with only 募集资金使用量（万元）; the per-project table on p.357 is not the list
    rows = recipe_rows_of(SHENHUA, "募集资金运用")
    assert len(rows) == 19 and {r.page for r in rows} == {352, 353}
    assert cell(rows[0], "项目")[0] == "哈拉沟煤矿项目"
    assert cell(rows[0], "拟投入募集资金") == ("169,300", 1693000000.0)


@pytest.mark.slow
def test_a_follow_on_offering_without_a_pre_post_issue_table_gives_its_top_ten_holders() -> None:
    # donggang 2010 (a listed company's 增发) p.24: no 发行前后股本结构; '表4-2：公司前 10 名股东持股情况'
    # is its main holders (fallback_headings), and the share-type table above it (表4-1) is not
    rows = recipe_rows_of(DONGGANG, "主要股东")
    assert len(rows) == 10 and {r.page for r in rows} == {24}
    assert all(cell(r, "持股数量")[1] for r in rows)


YINXI = FULL / "300221_yinxi_technology_prospectus_2011_full.pdf"


@pytest.mark.slow
def test_a_category_row_just_above_the_total_is_a_row_not_a_group_title() -> None:
    # yinxi p.69: '一、发起人股份' and its 其中 titles head the holders below them; '二、本次拟发行股份数 | - | - |
    # 25,000,000' stands just above 总股本 and heads nothing: it is the new shares' row
    rows = recipe_rows_of(YINXI, "主要股东")
    assert [cell(r, "股东")[0] for r in rows][-1] == "二、本次拟发行股份数"
    assert cell(rows[-1], "发行后持股数量") == ("25,000,000", 25_000_000.0)
    assert {r.group for r in rows[:-1]} == {"其中：外资法人股", "其中：内资法人股"}  # the nearest title above each
