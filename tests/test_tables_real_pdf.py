"""pdfplumber on real prospectus pages (001282, printed pp. 28–42); values checked against the page text."""

from __future__ import annotations

from functools import cache

from extractors.merge import MergedTable, merge_fragments
from extractors.tables import extract_fragments
from tests.conftest import PDF

SECTION = PDF / "prospectus" / "001282_sanlian_forging_prospectus_section_p28-42.pdf"


@cache
def tables() -> list[MergedTable]:
    return merge_fragments(extract_fragments(SECTION, range(1, 16)))


def test_capital_table_values_on_page_3() -> None:
    t = next(t for t in tables() if t.pages == (3,))
    assert t.header == ("股东名称", "注册资本（万元）", "出资比例（%）", "出资方式", "出资状态")
    assert t.rows[0] == (3, ("孙国奉", "175.00", "35.00", "实物（机器设备）", "实缴出资"))
    assert t.rows[-1] == (3, ("合计", "500.00", "100.00", "/", "/"))


def test_table_continued_on_page_4_drops_the_repeated_header() -> None:
    t = next(t for t in tables() if t.pages == (3, 4))
    # the merged name cell labels both of 孙国敏's rows
    assert [r[1][0] for r in t.rows] == ["孙国奉", "孙国敏", "孙国敏", "张松满", "合计"]
    assert t.rows[1] == (4, ("孙国敏", "152.50", "32.50", "货币", "实缴出资"))
    assert all(cells != t.header for _, cells in t.rows)


def test_partner_table_over_three_pages_keeps_each_rows_page() -> None:
    t = next(t for t in tables() if t.pages == (8, 9, 10))
    assert t.header[:3] == ("序号", "姓名", "合伙人类型")
    seqs = [cells[0] for _, cells in t.rows]
    assert seqs == [str(i) for i in range(1, 43)] + ["合计"]
    assert t.rows[0] == (
        8,
        ("1", "孙国奉", "普通合伙人", "三联锻造董事长、总经理", "382.50", "24.43", "货币", "2019.12.31 之前"),
    )
    assert t.rows[-2][0] == 10 and t.rows[-2][1][:2] == ("42", "孙兴明")
    assert t.rows[-1] == (10, ("合计", "", "/", "/", "1,566.00", "100.00", "/", "/"))
    assert {p for p, c in t.rows if c[0] == "16"} == {9}


def test_cjk_cells_wrapped_over_lines_are_joined_without_spaces() -> None:
    cells = [c for t in tables() for _, row in t.rows for c in row]
    assert "三联锻造董事长、总经理" in cells
    assert not [c for c in cells if "\n" in c]


def test_stacked_tables_with_borders_a_few_points_apart_keep_their_outer_columns() -> None:
    # Moutai 2024 p128: the 采购商品 table (borders at x≈86/535) sits above the 出售商品 table (x≈90/532);
    # snapped together, the lower table lost 关联方 and 上期发生额
    from extractors.tables import extract_fragments

    frags = extract_fragments(PDF / "announcements" / "600519_kweichow_moutai_2024_annual_report.pdf", [128])
    purchases, sales = frags
    assert purchases.rows[0] == (
        "关联方",
        "关联交易内容",
        "本期发生额",
        "获批的交易额度（如适用）",
        "是否超过交易额度（如适用）",
        "上期发生额",
    )
    assert sales.rows[0] == ("关联方", "关联交易内容", "本期发生额", "上期发生额")
    assert sales.rows[1] == ("贵州茅台集团营销有限公司", "销售商品", "6,339,486,387.61", "5,384,603,095.58")
    assert "出售商品/提供劳务情况表" in sales.caption


AKCOME = PDF / "prospectus_full" / "002610_akcome_solar_prospectus_2011_full.pdf"


def _related_party_grid() -> tuple[tuple[str, ...], ...]:
    # 002610 p.159: the 关联交易 grid; its column rules are drawn cell by cell and the rules between
    # a merged cell's rows are short (from the 交易期间 column rightwards)
    (grid,) = [f for f in extract_fragments(AKCOME, [159]) if f.rows[0][:2] == ("序号", "交易内容")]
    return grid.rows


def test_a_grid_with_column_rules_drawn_cell_by_cell_and_short_inner_rules_is_one_table() -> None:
    rows = _related_party_grid()
    assert [r[2] for r in rows[1:]] == ["2010 年度", "2009 年度", "2008 年度"] * 2
    assert [r[3] for r in rows[-2:]] == ["37.08", "196.05"]


def test_a_merged_label_cell_labels_every_row_it_spans() -> None:
    rows = _related_party_grid()
    assert [r[0] for r in rows[1:]] == ["1", "1", "1", "2", "2", "2"]
    assert [r[1] for r in rows[1:]] == ["-", "销售背板", "销售边框", *["采购太阳能背板"] * 3]
