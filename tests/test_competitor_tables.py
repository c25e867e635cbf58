"""Competitor tables that no heading names: a company table of the competition part, found by its
column's meaning and where it stands (extractors.locate.competition_tables), and read row by row
(extractors.competitors.company_table_rows). Each expectation was read off the real page."""

from __future__ import annotations

from functools import cache

from extractors.competitors import company_table_rows, competitors_in_section
from extractors.locate import (
    COMPETITOR_TABLE,
    FINANCIAL_TABLE,
    PROJECT_COMPETITORS,
    competition_tables,
    competitor_sections,
    financial_tables,
)
from extractors.pdftext import read_text
from tests.conftest import PDF
from tests.test_locate import pages as fulltext_pages

FILES = {
    "002638": "002638_kingsun_optoelectronic_prospectus_2011_full.pdf",
    "601088": "601088_china_shenhua_energy_prospectus_2007_full.pdf",
    "300084": "300084_lanzhou_haimo_prospectus_2010_full.pdf",
    "002516": "002516_kuangda_auto_fabric_prospectus_2010_full.pdf",
    "002646": "002646_qinghai_huzhu_barley_wine_prospectus_2011_full.pdf",
    "002353": "002353_yantai_jereh_prospectus_2010_full.pdf",
}


@cache
def pdf_pages(code: str) -> tuple[str, ...]:
    return tuple(read_text(PDF / "prospectus_full" / FILES[code]).pages)


def table_pages(pages: tuple[str, ...] | list[str]) -> set[int]:
    return {p for s in competition_tables(pages) for p in s.pages}


def test_company_table_under_a_competition_heading_is_found_by_its_column() -> None:
    # 002638 p128, under '（2）中国半导体照明行业的竞争格局': '公司 2008年 2009年 2010年1-6月' / '真明丽 LED装饰灯…'
    assert 128 in table_pages(pdf_pages("002638"))
    got = company_table_rows("002638", [(128, pdf_pages("002638")[127])], issuer="勤上光电")
    assert [m.name for m in got] == ["真明丽"] and got[0].roles == ("竞争对手",)


def test_national_output_ranking_in_the_industry_overview_is_not_a_competitor_table() -> None:
    # 601088 p81: '公司名称 煤炭产量 市场份额' under '（1）需求和供给' of '二、行业概述', before '4、行业竞争情况';
    # its lead ('我国最大的十家煤炭生产企业的煤炭产量情况') says nothing of competition
    pages = pdf_pages("601088")
    assert 81 not in table_pages(pages)
    assert [s.pages for s in competitor_sections(pages) if s.title == COMPETITOR_TABLE] == []


def test_ranking_of_the_issuers_customers_is_not_a_competitor_table() -> None:
    # 300084 p95: '排名 公司名称' under '（4）优质的客户资源' of the strengths; the lead names 主要客户
    assert 95 not in table_pages(pdf_pages("300084"))


def test_award_table_with_a_company_column_last_is_not_a_company_table() -> None:
    # 688775 p194, under '（3）公司所处行业地位': '硬件产品认证奖 2023 美国 Zoom 公司' is an award row
    assert 194 not in table_pages(fulltext_pages("688775"))


def test_ranked_rows_read_and_wrapped_cells_refused() -> None:
    # 301563 p174-175: '市场排名 公司名称 经营模式 营业收入（单位：亿元） 市场占有率' (a colon inside the unit),
    # rows '3 泰科源 184.00 0.99%' …; then '类别 公司名称 基本情况' whose cells wrap ('深圳华强电子' / '网集团股份有')
    pages = fulltext_pages("301563")
    got = {m.name for m in company_table_rows("301563", [(p, pages[p - 1]) for p in (174, 175)], issuer="云汉芯城")}
    assert {"泰科源", "香农芯创", "天河星", "华强电子网"} <= got
    assert not [n for n in got if n in ("深圳华强电子", "网集团股份有", "线上分", "发行人")]


def test_project_chapter_competitors_come_from_the_naming_sentence_only() -> None:
    # 002516 p277, 第十节 募集资金运用 '（2）主要竞争对手': '公司的主要竞争对手包括西班牙安德斯集团、美国 Unifi 公司以及
    # 国内的浙江华欣新材料股份有限公司、杭州中丽化纤有限公司。' — read beside the business chapter's section
    sections = competitor_sections(pdf_pages("002516"))
    project = [s for s in sections if s.title == PROJECT_COMPETITORS]
    assert [s.pages[0] for s in project] == [275, 277]
    got = {
        m.name
        for m in competitors_in_section(
            "002516", [(277, pdf_pages("002516")[276])], section_title=PROJECT_COMPETITORS, issuer="旷达科技"
        )
    }
    assert got == {"西班牙安德斯集团", "美国 Unifi 公司", "浙江华欣新材料股份有限公司", "杭州中丽化纤有限公司"}
    # 300084 p285: the regional service firms the market note names in passing are not read there
    pages = pdf_pages("300084")
    assert not competitors_in_section(
        "300084", [(p, pages[p - 1]) for p in (285, 286)], section_title=PROJECT_COMPETITORS, issuer="海默科技"
    )


def test_peer_table_of_the_financial_chapter_names_comparables_but_not_averages_or_the_issuer() -> None:
    # 002646 p227: '公司与同行业可比上市公司存货周转率对比列示如下：' / '公司名称 2011 年 1-6 月 2010 年度 …' /
    # '伊 力 特（600197） 1.00 …' (a name printed with spaces), '本公司 0.82 …', '行业平均 0.64 …'
    pages = pdf_pages("002646")
    assert 227 in {s.pages[0] for s in financial_tables(pages)}
    got = {m.name: m for m in company_table_rows("002646", [(227, pages[226])], issuer="青青稞酒", peers=True)}
    assert {"伊力特", "贵州茅台", "五粮液", "洋河股份"} <= set(got)
    assert got["伊力特"].stock_code == "600197" and got["伊力特"].roles == ("可比公司",)
    assert not [n for n in got if n in ("本公司", "行业平均")]
    # off by default: the peers of a financial comparison are comparables, not named competitors
    assert not [s for s in competitor_sections(pages) if s.title == FINANCIAL_TABLE]
    assert [s for s in competitor_sections(pages, peer_tables=True) if s.title == FINANCIAL_TABLE]


def test_consolidation_scope_and_investee_tables_print_公司名称_but_are_not_peers() -> None:
    # 002516 p192: '合并范围及其变化情况如下表所示：' / '公司名称 2010年1-6月 …' (its subsidiaries);
    # 601088 p254: '公司名称 1 月 1 日余额 …' (investees)
    assert 192 not in {s.pages[0] for s in financial_tables(pdf_pages("002516"))}
    assert 254 not in {s.pages[0] for s in financial_tables(pdf_pages("601088"))}


def test_real_competitor_heading_that_only_points_to_the_business_chapter_is_read_there() -> None:
    # 002353 p272, 第十章 募集资金运用: '(3)市场竞争以及主要竞争对手情况' / '关于压裂设备的市场竞争以及主要竞争对手等
    # 基本情况参见本招股意向书“第六章 业务和技术”之“三、(一)公司在行业中的地位及主要竞争对手情况”部分内容。'
    sections = competitor_sections(pdf_pages("002353"))
    assert [(s.title, s.pages) for s in sections] == [("公司在行业中的地位及主要竞争对手情况", (98, 99, 100, 101))]


def test_section_that_names_competitors_before_its_pointer_is_read_itself() -> None:
    # 002638 p361: '2、主要竞争对手' / '公司的主要竞争对手分布于美洲、欧洲和亚洲，包括GE、欧司朗以及飞利浦。…，详见
    # “第六节 业务与技术 三、（三）主要竞争对手概况”。' — its own naming sentence is read (GE is named only here)
    sections = competitor_sections(pdf_pages("002638"))
    assert (PROJECT_COMPETITORS, (361,)) in [(s.title, s.pages) for s in sections]
    got = competitors_in_section(
        "002638", [(361, pdf_pages("002638")[360])], section_title=PROJECT_COMPETITORS, issuer="勤上光电"
    )
    assert {m.name for m in got} == {"GE", "欧司朗", "飞利浦"}
