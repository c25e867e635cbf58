"""Cross-page merge rules (pure)."""

from extractors.merge import Fragment, merge_fragments

H = ("序号", "专利名称", "专利号")


def test_repeated_header_is_dropped_and_pages_kept() -> None:
    a = Fragment(1, (H, ("1", "一种模具", "ZL201520032185.4")), top=0.5, bottom=0.95)
    b = Fragment(2, (H, ("2", "一种夹具", "ZL201520032214.7")), top=0.08, bottom=0.3)
    (t,) = merge_fragments([a, b])
    assert t.rows == [(1, ("1", "一种模具", "ZL201520032185.4")), (2, ("2", "一种夹具", "ZL201520032214.7"))]


def test_row_split_by_the_page_break_is_joined_without_spurious_spaces() -> None:
    a = Fragment(7, (H, ("6", "一种长轴类转向", "ZL201510024068.8")), top=0.6, bottom=0.97)
    b = Fragment(8, (H, ("", "节新型校正模具", "")), top=0.08, bottom=0.5)
    (t,) = merge_fragments([a, b])
    assert t.rows == [(7, ("6", "一种长轴类转向节新型校正模具", "ZL201510024068.8"))]


def test_numbering_restarting_at_one_is_a_new_table() -> None:
    a = Fragment(3, (H, ("1", "甲", "ZL1"), ("2", "乙", "ZL2")), top=0.3, bottom=0.96)
    b = Fragment(4, (H, ("1", "丙", "ZL3")), top=0.1, bottom=0.3)
    assert len(merge_fragments([a, b])) == 2


def test_a_different_column_count_or_a_gap_is_a_new_table() -> None:
    a = Fragment(3, (H, ("1", "甲", "ZL1")), top=0.3, bottom=0.96)
    other = Fragment(4, (("项目", "金额"), ("收入", "1")), top=0.1, bottom=0.3)
    assert len(merge_fragments([a, other])) == 2
    mid = Fragment(4, (H, ("2", "乙", "ZL2")), top=0.4, bottom=0.6)  # neither touches the break
    short = Fragment(3, (H, ("1", "甲", "ZL1")), top=0.1, bottom=0.4)
    assert len(merge_fragments([short, mid])) == 2
    far = Fragment(6, (H, ("2", "乙", "ZL2")), top=0.05, bottom=0.6)  # not the next page
    assert len(merge_fragments([a, far])) == 2


def test_table_without_a_header_row_gets_column_names() -> None:
    (t,) = merge_fragments([Fragment(1, (("1", "2023.1.1", "12.5"), ("2", "2023.2.1", "13.5")))])
    assert t.header == ("col1", "col2", "col3") and len(t.rows) == 2


def test_a_table_ending_mid_page_does_not_run_on_into_the_table_at_the_next_pages_head() -> None:
    # both ends must touch the break: the previous piece runs to its page's foot and the next starts at
    # the head of the next page
    ended = Fragment(9, (("国家/地区", "公司名称", "产品特点"), ("德国", "甲公司", "换向器")), top=0.08, bottom=0.41)
    head = Fragment(10, (("", "乙公司", "2010 年"),), top=0.14, bottom=0.38)
    assert len(merge_fragments([ended, head])) == 2


def test_huarui_competitor_table_does_not_take_the_customer_brands_on_the_next_page() -> None:
    # 300626 p.108-109: the competitor table (国家/地区 | 公司名称 | 产品特点) ends at 41% of p.109, text
    # follows; p.110 opens (at 14% of the page) with the customers' brands (全球电动工具主要品牌 | 国家 |
    # 合作时间): read together they gave 德国, 美国, 日本 … as competitors whenever p.110 was read too
    from extractors.tables import extract_fragments
    from tests.conftest import PDF

    pdf = PDF / "prospectus_full" / "300626_huarui_electrical_prospectus_2017_full.pdf"
    tables = merge_fragments(extract_fragments(pdf, [108, 109, 110]))
    competitors = next(t for t in tables if "公司名称" in t.header)
    assert {p for p, _ in competitors.rows} == {108, 109}
    assert not any("喜利得" in "".join(r) for _, r in competitors.rows)


def test_a_header_line_at_a_page_foot_joins_the_second_line_and_rows_at_the_next_pages_head() -> None:
    top = Fragment(63, (("股东名称", "发行前", "发行后"),), top=0.87, bottom=0.9)
    rest = Fragment(64, (("", "数量（股）", "持股比例", "数量（股）", "持股比例"), ("甲", "10", "50%", "10", "40%")),
                    top=0.09, bottom=0.9)  # fmt: skip
    (t,) = merge_fragments([top, rest])
    assert t.header == ("股东名称", "发行前", "", "发行后", "")
    assert t.rows[0][1] == ("", "数量（股）", "持股比例", "数量（股）", "持股比例")
    # a header line that does not stand at the page foot is a table of its own
    mid = Fragment(63, (("股东名称", "发行前", "发行后"),), top=0.4, bottom=0.45)
    assert len(merge_fragments([mid, rest])) == 2


def test_a_table_with_nothing_below_it_continues_though_its_last_rule_stands_above_the_foot() -> None:
    # a tall row that may not break is moved whole to the next page: the table ends at 74% of its page
    # with nothing but the footer below, and goes on at the head of the next page
    a = Fragment(9, (H, ("1", "甲", "ZL1")), top=0.1, bottom=0.74, open_below=True)
    b = Fragment(10, (H, ("2", "乙", "ZL2")), top=0.08, bottom=0.5)
    (t,) = merge_fragments([a, b])
    assert [r[0] for _, r in t.rows] == ["1", "2"]
    # with text below it, it ended there
    assert len(merge_fragments([Fragment(9, a.rows, top=0.1, bottom=0.74), b])) == 2


def test_a_split_header_with_two_label_columns_spreads_the_rest_over_the_lower_line() -> None:
    top = Fragment(63, (("序号", "股东名称", "发行前", "发行后"),), top=0.87, bottom=0.9)
    lower = ("", "", "数量（股）", "持股比例", "数量（股）", "持股比例")
    rest = Fragment(64, (lower, ("1", "甲", "10", "50%", "10", "40%")), top=0.09, bottom=0.9)
    (t,) = merge_fragments([top, rest])
    assert t.header == ("序号", "股东名称", "发行前", "", "发行后", "")
