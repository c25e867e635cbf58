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


def test_a_grid_drawing_each_cell_as_its_own_box_gives_one_row_a_project_not_three() -> None:
    # 603418 (key-page excerpt) p.54: every cell is its own box with padding, so each project row is cut
    # into three slivers; the project name (two lines) and '70,000.00（注）' are merged over all three.
    # The slivers that hold nothing but the merged cell's place are padding: one row a project
    from tests.conftest import PDF

    pdf = PDF / "prospectus" / "603418_yousheng_prospectus_keypages_annotated.pdf"
    (grid,) = [f for f in extract_fragments(pdf, [54]) if f.rows[0][:2] == ("序号", "项目名称")]
    assert [r[0] for r in grid.rows[1:]] == ["1", "2", "3", "合计"]
    assert grid.rows[1][1:] == ("云南友升轻量化铝合金零部件生产基地项目（一期）", "127,085.45", "127,085.45")
    assert grid.rows[2][1:] == ("年产 50 万台（套）电池托盘和 20 万套下车体制造项目", "70,000.00（注）", "70,000.00")
