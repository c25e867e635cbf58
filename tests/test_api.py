"""The Python API against the replay: the same code the flows run, as DataFrames."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from flows import api
from report.sheets import PATENTS
from tests.conftest import PDF, replay_settings


def test_company_by_short_name_pinyin_or_code(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    (by_name,) = api.company("三联锻造", s)
    assert by_name.code == "001282"
    # pinyin initials are often shared: 'sldz' names three listed companies, 三联锻造 among them
    assert "001282" in [c.code for c in api.company("sldz", s)] and len(api.company("sldz", s)) == 3
    assert [c.code for c in api.company("001282", s)] == ["001282"]


def test_an_ambiguous_name_lists_the_candidates(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    with pytest.raises(ConfigError, match=r"matches \d+ companies: "):
        api.resolve_company("sldz", s)
    with pytest.raises(ConfigError, match="no company matches"):
        api.resolve_company("不存在的公司名称", s)


def test_search_returns_a_dataframe_and_downloads_nothing(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    df = api.search(company="三联锻造", categories=["首发"], start="2023-01-01", end="2023-12-31", settings=s)
    assert list(df.columns) == ["来源", "代码", "简称", "日期", "标题", "类别", "PDF", "key"]
    assert set(df["代码"]) == {"001282"} and len(df) == 2
    assert not [h for h in replay.hits if h[1].startswith("/finalpage/")]


@pytest.mark.slow
def test_extract_gives_dataframes_for_patents_competitors_and_tables() -> None:
    ex = api.extract(PDF / "prospectus_full" / "300626_huarui_electrical_prospectus_2017_full.pdf")
    # the workbook's own columns, in Chinese, as the CSV files have them
    assert len(ex.patents) == 58 and ex.patents.loc[0, "专利号"] == "ZL200810120701.3"
    assert list(ex.patents.columns) == [c.header for c in PATENTS.columns]
    assert str(ex.patents.loc[0, "PDF"]).endswith("#page=125")
    assert "深圳市凯中精密技术股份有限公司" in set(ex.competitors["竞争对手"])
    english = api.extract(PDF / "prospectus_full" / "300626_huarui_electrical_prospectus_2017_full.pdf", lang="en")
    assert english.patents.loc[0, "number"] == "ZL200810120701.3" and "name" in english.competitors.columns
    moutai = api.extract(
        PDF / "announcements" / "600519_kweichow_moutai_2024_annual_report.pdf", tables=["关联交易-采购"]
    )
    purchases = moutai.table("关联交易-采购")
    assert (
        purchases.loc[0, "关联方"] == "中国贵州茅台酒厂（集团）有限责任公司"
        and purchases.loc[0, "本期发生额"] == 2466052249.25
    )
    # the recipe sheet's columns: the period, segment and group, and the number's printed text and unit
    assert {"期间", "范围", "分组", "本期发生额(原文)", "本期发生额(单位)"} <= set(purchases.columns)
    assert purchases.loc[0, "本期发生额(原文)"] == "2,466,052,249.25" and purchases.loc[0, "本期发生额(单位)"] == "元"


def test_a_former_name_is_found_through_topsearch_and_kept_for_next_time(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The trap: 勤上光电 — 002638's former name, still in its full name 东莞勤上光电股份有限公司 — matched no
    short name in the stock lists and was not found; the README itself uses it."""
    s = replay_settings(replay, tmp_path)
    assert api.resolve_company("勤上光电", s) == "002638"
    asked = [h for h in replay.hits if h[1] == "/new/information/topSearch/query"]
    assert len(asked) == 1 and asked[0][2]["keyWord"] == ["勤上光电"]
    replay.hits.clear()
    assert api.resolve_company("勤上光电", s) == "002638"  # the cached answer: no request at all
    assert replay.hits == []


def test_a_typo_gets_the_nearest_names(replay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    with pytest.raises(ConfigError, match=r"no company matches '三联段造'; nearest: 三联锻造 \(001282\)"):
        api.resolve_company("三联段造", s)
