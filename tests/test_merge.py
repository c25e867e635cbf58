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
