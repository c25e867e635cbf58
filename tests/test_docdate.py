"""A PDF on disk has no disclosure date, and its file name need not name the company: the date and the
issuer it gives itself are read from its cover (the dates and names below were read off the covers with
pdftotext)."""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.docdate import cover_issuer, document_date
from extractors.pdftext import read_text
from tests.conftest import PDF

FULL = PDF / "prospectus_full"


@pytest.mark.parametrize(
    ("name", "date", "source"),
    [
        # 「招股意向书签署日期：2011 年 11 月 7 日」 on p.2; the cover's 预计发行日期 2011-11-16 is a plan
        ("002638_kingsun_optoelectronic_prospectus_2011_full.pdf", dt.date(2011, 11, 7), "「签署日期」"),
        # in Chinese numerals: 「招股意向书签署日期 二○一一年五月五日」 (预计发行日期 left blank: 二○ 年 月 日)
        ("300221_yinxi_technology_prospectus_2011_full.pdf", dt.date(2011, 5, 5), "「签署日期」"),
        # 「本招股说明书签署日 2009 年 12 月 21 日」
        ("002335_kehua_hengsheng_prospectus_2010_full.pdf", dt.date(2009, 12, 21), "「签署日」"),
        # a follow-on offering's announcement: 「公告时间：2010年9月8日」
        ("002117_donggang_security_printing_prospectus_2010_full.pdf", dt.date(2010, 9, 8), "「公告时间」"),
        # 「预计发行日期：2007 年[●]月[●]日」 has no date; the signing date follows
        ("601088_china_shenhua_energy_prospectus_2007_full.pdf", dt.date(2007, 9, 7), "「签署日期」"),
    ],
)
def test_a_prospectus_is_dated_by_its_signing_date_not_its_planned_offering(
    name: str, date: dt.date, source: str
) -> None:
    got = document_date(read_text(FULL / name).pages)
    assert got is not None and (got.date, got.source) == (date, source)


def test_an_annual_report_cover_that_prints_only_the_month_is_dated_to_that_month_and_says_so() -> None:
    got = document_date(read_text(PDF / "announcements" / "000430_zhangjiajie_2016_annual_report.pdf").pages)
    assert got is not None and (got.date, got.source, got.page) == (dt.date(2017, 4, 1), "封面（年月）", 1)


def test_no_date_on_the_cover_is_none_and_impossible_dates_are_not_dates() -> None:
    assert document_date(["某某股份有限公司\n招股说明书"]) is None
    assert document_date(["签署日期：2011年13月40日"]) is None
    assert document_date(["预计发行日期：2011 年 11 月 16 日"]) is None


@pytest.mark.parametrize(
    ("name", "issuer"),
    [
        ("300626_huarui_electrical_prospectus_2017_full.pdf", "华瑞电器股份有限公司"),
        # printed letter-spaced over the English name: 「中 国神 华能源股 份有 限公司」
        ("601088_china_shenhua_energy_prospectus_2007_full.pdf", "中国神华能源股份有限公司"),
        ("002353_yantai_jereh_prospectus_2010_full.pdf", "烟台杰瑞石油服务集团股份有限公司"),
    ],
)
def test_the_issuer_is_the_legal_name_the_cover_prints_above_its_title(name: str, issuer: str) -> None:
    assert cover_issuer(read_text(FULL / name).pages) == issuer


def test_a_first_page_that_is_not_a_cover_names_no_issuer() -> None:
    # an excerpt that starts inside the text: a subscriber table on its first page, no title
    pages = read_text(PDF / "prospectus" / "301563_ickey_prospectus_keypages_annotated.pdf").pages
    assert cover_issuer(pages) is None
    # a name in the body text, below the title, is not the issuer
    assert cover_issuer(["招股说明书", "主要竞争对手为某某科技股份有限公司"]) is None
    assert cover_issuer([]) is None
    # a sponsor drawn before the issuer is never the issuer: the legal name nearest the title, no intermediary
    assert (
        cover_issuer(["中信证券股份有限公司\n华瑞电器股份有限公司\n首次公开发行股票并在创业板上市招股说明书"])
        == "华瑞电器股份有限公司"
    )
