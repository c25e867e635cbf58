"""The 关联交易 recipes on a related-party summary table whose rows are kinds of trade: no party column,
the rows grouped under 关联交易收入 / 关联交易支出 block rows, the party inside the row label or only in
the agreement above (issue 25).

Expected values were read off the printed pages (benchmarks/keys/recipes_check/601088.json holds the
full key). Pages are 1-based PDF pages.
"""

from __future__ import annotations

from functools import cache

import pytest

from core.records import DocumentExtraction, RecipeRow
from extractors.document import extract_document
from extractors.merge import MergedTable
from extractors.pdftext import PdfText
from extractors.recipes import load_recipes, select, table_rows
from extractors.recipes.parties import Agreement, agreement_party
from tests.conftest import PDF

SHENHUA = PDF / "prospectus_full" / "601088_china_shenhua_energy_prospectus_2007_full.pdf"


@cache
def related() -> DocumentExtraction:
    return extract_document(SHENHUA, "601088", recipes=select(load_recipes(), ["关联交易"]))


def trades(recipe: str) -> list[tuple[str, str, str, str | None, int]]:
    """(party, trade, amount as printed, period, page) of each row of ``recipe``."""
    out = []
    for r in related().recipe_rows:
        if r.recipe == recipe:
            party, what, amount = r.get("关联方"), r.get("关联交易内容"), r.get("金额")
            assert party is not None and what is not None and amount is not None
            out.append((party.text, what.text, amount.text, r.period, r.page))
    return out


def _row(recipe: str, trade: str, period: str) -> RecipeRow:
    rows = [r for r in related().recipe_rows if r.recipe == recipe and r.period == period]
    return next(r for r in rows if (c := r.get("关联交易内容")) is not None and c.text == trade)


@pytest.mark.slow
def test_the_party_printed_inside_the_row_label_is_the_rows_party() -> None:
    # shenhua p.171-172 '近三年经常性关联交易对本公司财务状况和经营成果的影响': no party column; '向镇江发电
    # 销售煤炭收入' (向X销售), '定洲电力煤炭供应收入' (定洲电力 defined as （“定洲电力”）on p.167)
    sales = trades("关联交易-销售")
    assert ("镇江发电", "向镇江发电销售煤炭收入", "30,103", "2007上半年", 172) in sales
    assert ("定洲电力", "定洲电力煤炭供应收入", "73,143", "2005年度", 171) in sales
    assert ("天隆公司", "向天隆公司采购煤炭支出", "114,611", "2006年度", 172) in trades("关联交易-采购")
    amount = _row("关联交易-销售", "向镇江发电销售煤炭收入", "2004年度").get("金额")
    assert amount is not None and (amount.value, amount.unit) == (242820000.0, "万元")


@pytest.mark.slow
def test_the_收入_block_is_sales_and_the_支出_block_purchases() -> None:
    # shenhua p.171-172: the items under '关联交易收入' are sales, those under '关联交易支出' purchases;
    # 合计 and '占营业收入的比例' / '占营业成本的比例' are not trades; '-' is no row
    sales, purchases = trades("关联交易-销售"), trades("关联交易-采购")
    assert {t[1] for t in sales} == {
        "西三局煤炭代理销售收入", "产品和服务供应收入", "向神华集团销售煤炭收入", "财务公司存款利息收入",
        "定洲电力煤炭供应收入", "定洲电力铁路保养收入", "房屋租赁收入", "向镇江发电销售煤炭收入",
    }  # fmt: skip
    assert {t[1] for t in purchases} == {
        "煤炭代理出口代理费", "产品和服务采购费用", "向神华集团采购煤炭支出", "财务公司贷款利息支出",
        "房屋租赁费用", "土地租赁费用", "向天隆公司采购煤炭支出",
    }  # fmt: skip
    assert (len(sales), len(purchases)) == (29, 25)
    assert {r.group for r in related().recipe_rows} == {"关联交易收入", "关联交易支出"}
    # every printed 合计 adds up: no warning
    assert not [n for n in related().recipe_notes if n.startswith("关联交易")]


@pytest.mark.slow
def test_a_summary_table_continued_over_a_page_break_keeps_its_block_and_periods() -> None:
    # shenhua p.171→172: the 关联交易收入 block runs on over the page break under the header printed
    # again ('项目 | 2007 上半年 | …'); its last rows are sales of the four periods, not a new table
    sales = [t for t in trades("关联交易-销售") if t[4] == 172]
    assert [t[1:4] for t in sales if t[0] == "定洲电力"] == [
        ("定洲电力铁路保养收入", "139", "2007上半年"),
        ("定洲电力铁路保养收入", "472", "2006年度"),
        ("定洲电力铁路保养收入", "277", "2005年度"),
        ("定洲电力铁路保养收入", "474", "2004年度"),
    ]
    assert ("神华集团", "房屋租赁收入", "80", "2004年度", 172) in sales
    assert {t[1] for t in trades("关联交易-采购")}.isdisjoint({"定洲电力铁路保养收入", "房屋租赁收入"})


@pytest.mark.slow
def test_a_trade_without_a_party_in_its_label_takes_the_party_of_its_agreement_above() -> None:
    # shenhua p.165-170: '（3）《产品和服务互供协议》 … 本公司与神华集团签订了…', '（10）《土地使用权租赁协议》
    # … 与神华集团签署了…': the rows '产品和服务供应收入' and '土地租赁费用' name no party themselves
    assert ("神华集团", "产品和服务供应收入", "14,510", "2006年度", 171) in trades("关联交易-销售")
    purchases = trades("关联交易-采购")
    assert ("神华集团", "土地租赁费用", "83", "2005年度", 172) in purchases
    assert ("神华集团", "煤炭代理出口代理费", "912", "2004年度", 172) in purchases


def test_an_agreement_is_chosen_only_when_its_title_shares_most_of_the_trades_words() -> None:
    agreements = [
        Agreement("《房屋租赁协议》", "甲集团"),
        Agreement("《土地使用权租赁协议》", "乙集团"),
        Agreement("《煤炭供应协议》", "丙电力"),
    ]
    assert agreement_party("房屋租赁收入", agreements) == "甲集团"
    assert agreement_party("土地租赁费用", agreements) == "乙集团"
    assert agreement_party("财务公司存款利息收入", agreements) is None
    # two titles that share the words equally and name different parties: no party
    assert agreement_party("租赁费用", agreements) is None


def test_a_trade_whose_party_is_found_nowhere_is_kept_with_the_party_empty_and_a_note() -> None:
    # the label names no party and no agreement above names the trade: the row is kept (the trade and
    # its amount are printed), its party empty, and a note says why; nothing is invented
    page = "第七节 同业竞争与关联交易\n（1）《商标使用许可协议》\n本公司与甲集团有限公司签署了商标协议。\n单位：万元"
    text = PdfText([page])
    table = MergedTable(
        ("项目", "2010 年度", "2009 年度"),
        [
            (1, ("关联交易支出", "", "")),
            (1, ("综合服务费用", "1,200", "-")),
            (1, ("合计", "1,200", "-")),
            (1, ("占营业成本的比例", "1.2%", "-")),
        ],
        caption="单位：万元",
        first_page=1,
    )
    rows, notes = table_rows(load_recipes()["关联交易-采购"], "x", text, [table])
    assert [tuple(c.text for c in r.cells) for r in rows] == [("", "综合服务费用", "1,200")]
    assert rows[0].period == "2010年度" and rows[0].group == "关联交易支出"
    assert len(notes) == 1 and "综合服务费用" in notes[0] and "party empty" in notes[0]
    assert table_rows(load_recipes()["关联交易-销售"], "x", text, [table])[0] == []


def test_a_summary_of_the_per_party_tables_above_does_not_count_their_trades_twice() -> None:
    # a per-party table of purchases, then a summary table whose 采购商品 block repeats the same party,
    # period and amount: one trade, one row; a trade only the summary gives is kept
    page = "第七节 同业竞争与关联交易\n（1）采购商品\n单位：万元\n（2）关联交易汇总\n单位：万元"
    text = PdfText([page])
    per_party = MergedTable(
        ("关联方", "年度", "金额"),
        [(1, ("江苏华宏科技有限公司", "2010年度", "1,200"))],
        caption="（1）采购商品\n单位：万元",
        first_page=1,
    )
    summary = MergedTable(
        ("项目", "2010 年度", "2009 年度"),
        [
            (1, ("采购商品", "", "")),
            (1, ("江苏华宏科技有限公司", "1,200", "800")),
            (1, ("合计", "1,200", "800")),
        ],
        caption="（2）关联交易汇总\n单位：万元",
        first_page=1,
        index_on_page=2,
    )
    rows, _ = table_rows(load_recipes()["关联交易-采购"], "x", text, [per_party, summary])
    assert [(r.table, r.period, r.cells[0].text, r.get("金额").value) for r in rows if r.get("金额")] == [
        (1, "2010年度", "江苏华宏科技有限公司", 12000000.0),
        (2, "2009年度", "江苏华宏科技有限公司", 8000000.0),
    ]
