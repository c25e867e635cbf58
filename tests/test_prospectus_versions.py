"""Prospectus searches return the final documents: every title of the prospectus family is classified
and, per company, only the latest full prospectus is read (the rest listed with the reason)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.prospectus import DocKind, choose, classify
from core.records import Announcement


@pytest.mark.parametrize(
    ("title", "kind", "corrected"),
    [
        # titles as cninfo, SSE and SZSE print them (the replay's own three complete prospectuses first)
        ("首次公开发行股票招股意向书", DocKind.INTENT, False),
        ("首次公开发行股票并在创业板上市招股意向书", DocKind.INTENT, False),
        ("首次公开发行股票并在主板上市招股说明书", DocKind.PROSPECTUS, False),
        ("首次公开发行股票并在科创板上市招股说明书", DocKind.PROSPECTUS, False),
        ("向不特定合格投资者公开发行股票并在北京证券交易所上市招股说明书", DocKind.PROSPECTUS, False),
        ("首次公开发行股票招股说明书摘要", DocKind.SUMMARY, False),
        ("首次公开发行股票招股意向书摘要", DocKind.SUMMARY, False),
        ("首次公开发行股票并在科创板上市招股意向书附录", DocKind.APPENDIX, False),
        ("首次公开发行股票并在创业板上市招股说明书提示性公告", DocKind.NOTICE, False),
        ("关于首次公开发行股票招股说明书的更正公告", DocKind.CORRECTION_NOTICE, False),
        ("首次公开发行股票招股说明书（更正后）", DocKind.PROSPECTUS, True),
        ("首次公开发行股票并在科创板上市招股说明书（注册稿）", DocKind.REGISTRATION_DRAFT, False),
        ("首次公开发行股票并在创业板上市招股说明书（上会稿）", DocKind.MEETING_DRAFT, False),
        ("首次公开发行股票并在主板上市招股说明书（申报稿）", DocKind.FILING_DRAFT, False),
        ("首次公开发行股票招股说明书（英文版）", DocKind.ENGLISH, False),
        ("Prospectus for the Initial Public Offering", DocKind.ENGLISH, False),
        ("H股招股说明书", DocKind.H_SHARE, False),
        ("关于首次公开发行股票并在科创板上市招股说明书（申报稿）审核问询函的回复", DocKind.RELATED, False),
        ("首次公开发行股票招股说明书（上册）", DocKind.PROSPECTUS, False),
    ],
)
def test_each_title_of_the_family_has_its_kind(title: str, kind: DocKind, corrected: bool) -> None:
    c = classify(title)
    assert c is not None and (c.kind, c.corrected) == (kind, corrected)


@pytest.mark.parametrize("title", ["2024年年度报告", "首次公开发行股票上市公告书", "首次公开发行股票发行公告"])
def test_other_announcements_are_not_of_the_family(title: str) -> None:
    assert classify(title) is None


def ann(n: int, title: str, day: str, code: str = "688001") -> Announcement:
    return Announcement(
        source="cninfo",
        announcement_id=str(1000 + n),
        sec_code=code,
        sec_name="某某科技",
        title=title,
        published=dt.date.fromisoformat(day),
        pdf_url=f"http://static.cninfo.com.cn/finalpage/{day}/{1000 + n}.PDF",
    )


def test_per_company_the_latest_full_prospectus_is_read_and_the_rest_say_why() -> None:
    search = [
        ann(1, "首次公开发行股票并在科创板上市招股说明书（申报稿）", "2024-06-01"),
        ann(2, "首次公开发行股票并在科创板上市招股说明书（注册稿）", "2024-11-01"),
        ann(3, "首次公开发行股票并在科创板上市招股意向书", "2024-12-01"),
        ann(4, "首次公开发行股票并在科创板上市招股意向书附录", "2024-12-01"),
        ann(5, "首次公开发行股票并在科创板上市招股说明书", "2024-12-10"),
        ann(6, "首次公开发行股票并在科创板上市招股说明书提示性公告", "2024-12-10"),
        ann(7, "关于首次公开发行股票并在科创板上市招股说明书的更正公告", "2024-12-12"),
        ann(8, "首次公开发行股票并在科创板上市招股说明书（更正后）", "2024-12-12"),
        ann(9, "2024年年度报告", "2025-04-20"),
        ann(10, "首次公开发行股票招股说明书（上册）", "2011-11-01", code="002638"),
        ann(11, "首次公开发行股票招股说明书（下册）", "2011-11-01", code="002638"),
        ann(12, "首次公开发行股票招股说明书摘要", "2011-11-01", code="002638"),
    ]
    choice = choose(search)
    assert [a.announcement_id for a in choice.kept] == ["1008", "1009", "1010", "1011"]
    why = {a.announcement_id: reason for a, reason in choice.skipped}
    assert why["1005"] == "招股说明书 of 2024-12-10: superseded by 招股说明书（更正后） of 2024-12-12"
    assert why["1003"] == "招股意向书 of 2024-12-01: superseded by 招股说明书（更正后） of 2024-12-12"
    assert why["1001"].startswith("申报稿 of 2024-06-01: superseded")
    assert why["1004"].startswith("附录/附件: not a full prospectus; the full one read is 首次公开发行股票并在科创板")
    assert why["1007"].startswith("更正公告: not a full prospectus")
    assert why["1012"].startswith("摘要: not a full prospectus")
    assert len(choice.kept) + len(choice.skipped) == len(search)
    assert choose(search, keep_all=True).kept == search


def test_a_company_with_drafts_only_gets_its_latest_draft() -> None:
    choice = choose(
        [
            ann(1, "首次公开发行股票并在创业板上市招股说明书（申报稿）", "2023-03-01"),
            ann(2, "首次公开发行股票并在创业板上市招股说明书（申报稿）", "2023-09-01"),
        ]
    )
    assert [a.announcement_id for a in choice.kept] == ["1002"]


@pytest.mark.prefect
def test_the_flow_reads_the_final_prospectus_and_lists_the_rest(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # through the replay: one company with its 招股意向书, an older 申报稿 and a 摘要 of the same day
    from openpyxl import load_workbook

    from flows.pipeline import adhoc_flow
    from replay import ReplayServer
    from replay.server import CatalogueEntry, corpus_catalogue
    from tests.conftest import CORPUS

    pdf = next((CORPUS / "pdf" / "prospectus_full").glob("002638_*.pdf"))
    org = next(e.org_id for e in corpus_catalogue(CORPUS) if e.sec_code == "002638")
    extra = [
        CatalogueEntry(
            "002638",
            "勤上光电",
            org,
            "首次公开发行股票招股说明书（申报稿）",
            dt.date(2011, 6, 1),
            "1199000001",
            "category_sf_szsh",
            pdf,
        ),
        CatalogueEntry(
            "002638",
            "勤上光电",
            org,
            "首次公开发行股票招股意向书摘要",
            dt.date(2011, 11, 1),
            "1200400002",
            "category_sf_szsh",
            pdf,
        ),
    ]
    with ReplayServer(CORPUS, catalogue=corpus_catalogue(CORPUS, extra)) as srv:
        for name, url in srv.settings_overrides().items():
            monkeypatch.setenv("PP_" + name.upper(), url)
        monkeypatch.setenv("PP_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("PP_OUTPUTS_DIR", str(tmp_path / "outputs"))
        monkeypatch.setenv("PP_MIN_INTERVAL_S", "0")
        state = adhoc_flow(
            codes=["002638"], start=dt.date(2011, 1, 1), end=dt.date(2011, 12, 31), llm=False, return_state=True
        )
        assert [h[1] for h in srv.hits if h[1].startswith("/finalpage/")] == ["/finalpage/2011-11-01/1200400001.PDF"]
        wb = load_workbook(state.result())
        values = list(wb["Announcements"].iter_rows(values_only=True))
        anns = {r[values[0].index("key")]: dict(zip(values[0], r, strict=True)) for r in values[1:]}
        assert anns["cninfo:1200400001"]["文件类型"] == "招股意向书" and anns["cninfo:1200400001"]["状态"] == "正常"
        assert anns["cninfo:1199000001"]["状态"] == (
            "未读取: 申报稿 of 2011-06-01: superseded by 招股意向书 of 2011-11-01"
        )
        assert str(anns["cninfo:1200400002"]["状态"]).startswith("未读取: 摘要: not a full prospectus")
        assert state.is_completed() and state.name == "Completed"

        again = adhoc_flow(
            codes=["002638"],
            start=dt.date(2011, 1, 1),
            end=dt.date(2011, 12, 31),
            llm=False,
            all_versions=True,
            return_state=True,
        )
        assert again.is_completed()
        assert len({h[1] for h in srv.hits if h[1].startswith("/finalpage/")}) == 3


def test_a_supplementary_disclosure_about_the_prospectus_is_not_the_prospectus() -> None:
    """The trap: 「关于对招股说明书的补充披露」 names the prospectus but is a short notice about it; it was
    taken for the full prospectus and, published later, replaced the real one."""
    c = classify("三协电机:关于对招股说明书的补充披露")
    assert c is not None and not c.full
    search = [
        ann(1, "招股说明书", "2025-08-22", "920100"),
        ann(2, "关于对招股说明书的补充披露", "2025-08-25", "920100"),
    ]
    assert [a.title for a in choose(search).kept] == ["招股说明书"]


def test_prospectus_and_summary_published_together_is_the_prospectus() -> None:
    """The trap: 「…招股说明书及摘要」 is the full prospectus published with its summary, not a summary."""
    for title in ("首次公开发行股票招股说明书及摘要", "首次公开发行股票招股意向书及其摘要"):
        c = classify(title)
        assert c is not None and c.full, title
    summary = classify("首次公开发行股票招股说明书摘要")
    assert summary is not None and summary.kind is DocKind.SUMMARY


def test_the_old_bse_title_family_is_a_full_prospectus() -> None:
    """The trap: BSE (and 精选层) prospectuses were titled 「向不特定合格投资者公开发行股票说明书」, outside the
    招股说明书 family, so a bulk BSE search neither chose nor skipped them as prospectuses."""
    c = classify("诺思兰德:向不特定合格投资者公开发行股票说明书")
    assert c is not None and c.kind is DocKind.PROSPECTUS
    s = classify("向不特定合格投资者公开发行股票说明书摘要")
    assert s is not None and s.kind is DocKind.SUMMARY
    assert classify("向不特定对象发行可转换公司债券募集说明书") is None
