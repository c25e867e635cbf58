"""Competitor forms and traps, each on a real page of a complete prospectus (pdf/prospectus_full) or a
page-by-page full text. Every expectation was read off the page; each test is named after its trap."""

from __future__ import annotations

from functools import cache

from extractors.competitors import competitors_in_section, mentions_in_table
from extractors.locate import competitor_sections, competitor_tier
from extractors.pdftext import read_text
from tests.conftest import PDF
from tests.test_locate import pages as fulltext_pages

FILES = {
    "002610": "002610_akcome_solar_prospectus_2011_full.pdf",
    "002646": "002646_qinghai_huzhu_barley_wine_prospectus_2011_full.pdf",
    "002353": "002353_yantai_jereh_prospectus_2010_full.pdf",
    "300221": "300221_yinxi_technology_prospectus_2011_full.pdf",
    "601088": "601088_china_shenhua_energy_prospectus_2007_full.pdf",
    "002117": "002117_donggang_security_printing_prospectus_2010_full.pdf",
}


@cache
def pdf_pages(code: str) -> tuple[str, ...]:
    return tuple(read_text(PDF / "prospectus_full" / FILES[code]).pages)


def found(code: str, first: int, last: int, issuer: str, title: str | None = None) -> dict[str, object]:
    pages = [(p, pdf_pages(code)[p - 1]) for p in range(first, last + 1)]
    return {m.name: m for m in competitors_in_section(code, pages, section_title=title, issuer=issuer)}


def test_circled_subheadings_name_one_company_each() -> None:
    # 002610 p116: '①江阴盛通铝业有限公司' … '③江阴久鑫光伏科技有限公司' ('①'.isdigit() is True in Python)
    got = found("002610", 115, 117, "爱康科技", "同行业内主要竞争对手情况")
    assert {"江阴盛通铝业有限公司", "江阴协宏金属制品有限公司", "江阴久鑫光伏科技有限公司"} <= set(got)


def test_group_subheading_and_its_products_are_not_companies() -> None:
    # 002610 p115: '（1）欧洲、日本等…的太阳能边框供应商' labels a group; '产品规格主要包括氧化喷砂、电泳系列产品'
    got = found("002610", 115, 117, "爱康科技", "同行业内主要竞争对手情况")
    assert not [n for n in got if "供应商" in n or "喷砂" in n or "系列" in n]


def test_enumeration_after_a_company_noun_and_colon() -> None:
    # 002610 p116: '目前国际上的主要 EVA 胶膜生产企业有：日本积水化学工业株式会社、日本三井化学、…'
    got = found("002610", 116, 116, "爱康科技", "同行业内主要竞争对手情况")
    assert {"日本积水化学工业株式会社", "日本三井化学"} <= set(got)


def test_two_names_joined_by_和_end_at_the_comma() -> None:
    # 002353 p98: '如哈里伯顿和 S&S 公司，前者是世界最大的…' (哈里伯顿 has no suffix: its neighbour vouches)
    got = found("002353", 98, 98, "杰瑞股份", "公司在行业中的地位及主要竞争对手情况")
    assert "哈里伯顿" in got and any(n.replace(" ", "") == "S&S公司" for n in got)


def test_business_segment_subheading_is_not_a_company() -> None:
    # 002353 p98: '(1)油田专用设备制造板块' opens '公司目前油田专用设备制造板块以…' (公司 is the issuer)
    got = found("002353", 98, 98, "杰瑞股份", "公司在行业中的地位及主要竞争对手情况")
    assert not [n for n in got if "板块" in n]


def test_profile_subheading_kept_and_a_strengths_item_refused() -> None:
    # 002353 p100 '(2)四机赛瓦 / 该公司成立于 1992 年'; 300221 p106 '（5）普立万 / 总部位于美国' — the profile
    # speaks of the firm without repeating its name; 300221 p104 '多个品种' is an item of a strengths list
    assert "四机赛瓦" in found("002353", 100, 100, "杰瑞股份", "国内主要竞争对手情况")
    got = found("300221", 104, 106, "银禧科技", "主要竞争对手情况")
    assert "普立万" in got and "多个品种" not in got


def test_profile_clauses_after_a_regional_group_subheading() -> None:
    # 002646 p114: '4、甘肃白酒生产企业 … 主要白酒企业有：甘肃滨河食品工业（集团）有限责任公司，主要产品为
    # 九粮王、九粮春…；金徽酒业公司，拥有…；汉武酒业公司，…'
    # and '…企业有陕西西凤酒股份有限公司和陕西省太白酒业有限责任公司，'
    got = found("002646", 114, 114, "青青稞酒", "主要竞争对手的简要情况")
    assert {"金徽酒业公司", "汉武酒业公司", "陕西西凤酒股份有限公司", "陕西省太白酒业有限责任公司"} <= set(got)
    assert {"银川昊王酒业有限公司", "宁夏西夏贡酒业实业有限公司", "新疆伊力特实业股份有限公司"} <= set(got)
    assert not {"九粮春", "陇派", "沙湖原浆", "腾飞宁夏"} & set(got)  # the brands in those clauses


def test_competitors_named_in_the_prose_of_a_chapter_numbered_第X章() -> None:
    # 601088 numbers its chapters 第六章 (no 第X节 heading): its '4、行业竞争情况' (pp83-84, coal) and
    # '3、行业竞争情况' (p87, power) are the competition part of 第六章 业务和技术 (before, only the
    # prose fallback found p84); p84 '公司的主要竞争对手为中国中煤能源集团公司、大同煤矿集团公司、
    # 兖矿集团有限公司等' and '竞争对手主要包括：BHP Billiton、Rio Tinto 和 Xstrata 公司等'
    sections = competitor_sections(pdf_pages("601088"))
    assert [s.pages for s in sections] == [(83, 84), (87,)]
    got = found("601088", 83, 84, "中国神华", sections[0].title)
    assert {"中国中煤能源集团公司", "大同煤矿集团公司", "兖矿集团有限公司", "山西煤炭进出口集团公司"} <= set(got)
    assert {"BHP Billiton", "Rio Tinto"} <= set(got) and any(n.startswith("Xstrata") for n in got)
    assert "国际竞争" not in got  # '（2） 国际竞争' heads the issuer's export text


def test_position_and_competitors_in_one_heading_is_a_competition_heading() -> None:
    # 002353 p98: '(一)公司在行业中的地位及主要竞争对手情况' — 地位 alone would exclude it
    assert competitor_tier("公司在行业中的地位及主要竞争对手情况") == 0
    assert competitor_tier("公司在行业中的竞争地位") is None
    assert competitor_tier("毛利率与同行业可比公司比较") is None


def test_table_cell_is_the_name_as_printed_not_cut_at_a_lead_word() -> None:
    # 300626 p109: the 公司名称 cell '浙江长城换向器有限公司' was cut at 向 into '器有限公司'
    header = ("国家/地区", "公司名称", "产品特点")
    rows = [(109, ("中国浙江瑞安", "浙江长城换向器有限公司", "该公司成立于 1993 年，主要研发生产电机用换向器"))]
    (m,) = mentions_in_table("300626", header, rows, issuer="华瑞电器")
    assert m.name == "浙江长城换向器有限公司"


def test_same_firm_printed_two_ways_is_one_mention() -> None:
    # 002117 pp53-54: '福建鸿博股份有限公司' in prose and '福建鸿博印刷股份有限公司' as a sub-heading;
    # '恒宝股份有限公司' and '江苏恒宝股份有限公司'
    got = found("002117", 53, 55, "东港股份", "公司主要竞争对手")
    assert len([n for n in got if "鸿博" in n]) == 1
    assert len([n for n in got if "恒宝" in n]) == 1
    assert not [m for m in got.values() if m.short_name and "简称" in m.short_name]  # type: ignore[attr-defined]


def test_rows_of_a_ranking_table_pass_the_gate_by_the_company_column_with_both_roles() -> None:
    # 301563 p175: '市场排名 公司名称 经营模式 营业收入…' then '3 泰科源 184.00 0.99%' (no suffix, not
    # listed: the column vouches for it); the section '行业内主要企业与同行业可比公司' names both roles
    pages = [(p, fulltext_pages("301563")[p - 1]) for p in (174, 175)]
    got = {m.name: m for m in competitors_in_section("301563", pages, section_title="行业内主要企业与同行业可比公司")}
    assert {"泰科源", "唯时信", "硬蛋创新", "新蕾电子", "芯智控股", "天河星"} <= set(got)
    assert got["泰科源"].roles == ("竞争对手", "可比公司")


def test_whole_competition_chapter_is_read_but_a_brand_list_is_not_a_competitor_list() -> None:
    # 920100: '行业竞争格局' (pp108-109) is read beside '行业内的主要企业' (p110); on p109
    # '…形成进口替代的企业。我国本土品牌主要有汇川、广州数控、登奇、米格、埃斯顿。' lists brands, and its
    # company noun (企业) belongs to the sentence before
    from tests.test_real_prospectuses import text_extraction

    ex = text_extraction("920100")
    assert {108, 109, 110} <= set(ex.competitor_pages)
    assert not {"汇川", "广州数控", "登奇", "米格", "埃斯顿"} & {c.name for c in ex.competitors}


def test_comparable_companies_carry_their_own_role_and_merge_with_competitors() -> None:
    # 920100 p110 '行业内的主要企业' and p114 '同行业可比公司情况' name the same five listed peers
    from tests.test_real_prospectuses import text_extraction

    by_short = {c.short_name: c for c in text_extraction("920100").competitors}
    assert by_short["江苏雷利"].roles == ("竞争对手", "可比公司")
    assert by_short["江苏雷利"].stock_code == "300660"


def test_financial_chapter_comparables_from_the_sentence_that_chooses_them() -> None:
    # 688775 p301 (财务会计信息与管理层分析): '选取安克创新、佳明公司、GoPro 作为可比公司' — 安克创新 and 佳明公司
    # are comparables only; GoPro is a competitor (p190) too. 301563 p303: a financial page's table of
    # upstream makers '三环集团（300408） 国内领先的被动器件原厂' is not read.
    from tests.test_real_prospectuses import text_extraction

    by_name = {c.name: c for c in text_extraction("688775").competitors}
    assert by_name["安克创新"].roles == ("可比公司",) and by_name["佳明公司"].roles == ("可比公司",)
    assert by_name["GoPro"].roles == ("竞争对手", "可比公司")
    assert "三环集团" not in {c.name for c in text_extraction("301563").competitors}


def test_companies_across_the_header_row_of_a_comparison_table() -> None:
    # 688775 p202 '（五）与同行业可比公司的对比分析': '项目 影石创新 GoPro 日本理光 大疆' — the issuer's peers
    # across the header (English and Chinese names), read with role 可比公司 beside their 竞争对手 role
    from tests.test_real_prospectuses import text_extraction

    by_name = {c.name: c for c in text_extraction("688775").competitors}
    assert by_name["日本理光"].roles == ("竞争对手", "可比公司") and by_name["大疆"].roles == ("竞争对手", "可比公司")
    assert "影石创新" not in by_name


def test_latin_names_behind_their_country_in_a_list_with_an_inc_comma() -> None:
    # 002610 p116: '…生产企业有：…、日本 Bridgestone、意大利 Tecnofimes、美国 Dupont、美国 Specialized
    # Technology Resources, Inc. (STR)、美国 Global Wedge Inc.、澳大利亚 Isovolta AG及德国 Etimex Primary
    # Packaging GmbH 等企业' — the comma of ', Inc.' does not end the list
    got = found("002610", 116, 116, "爱康科技", "同行业内主要竞争对手情况")
    assert {
        "日本 Bridgestone",
        "意大利 Tecnofimes",
        "澳大利亚 Isovolta AG",
        "德国 Etimex Primary Packaging GmbH",
    } <= set(got)


def test_prominence_phrase_before_有_under_a_competitor_group_heading() -> None:
    # 002610 p117, under '3、安装支架主要竞争对手': '目前国际市场知名度较高的有德国的Conergy、SCHLETTER，美国的
    # Unirac、SUNLINK，澳大利亚 ALZONE 等。' (no company noun: the heading's; groups by country between commas)
    got = found("002610", 115, 117, "爱康科技", "同行业内主要竞争对手情况")
    assert {"Conergy", "SCHLETTER", "Unirac", "SUNLINK", "澳大利亚 ALZONE"} <= set(got)
    assert not [n for n in got if "的" in n]


def test_latin_legal_name_longer_than_forty_characters_keeps_its_short_name() -> None:
    # 002610 p116: '美国 Specialized Technology Resources, Inc. (STR)' wraps over two lines
    got = found("002610", 116, 116, "爱康科技", "同行业内主要竞争对手情况")
    assert got["美国 Specialized Technology Resources, Inc."].short_name == "STR"


def test_category_named_inside_a_list_before_its_own_cue() -> None:
    # 002353 p99: '还包括进口设备的主机厂如 Komatsu America Corp.(小松美洲有限公司)、Atlas Copco(…)、Sandvik(…)等'
    got = found("002353", 99, 99, "杰瑞股份", "公司在行业中的地位及主要竞争对手情况")
    assert got["Komatsu America Corp."].short_name == "小松美洲有限公司"
    assert not [n for n in got if "主机厂" in n]


def test_description_ending_in_公司_is_not_a_name_and_a_place_before_a_latin_name_is_cut() -> None:
    # 300084 p282: '主要竞争对手是斯伦贝谢，该公司是世界第一大油田服务公司'; p285: '比如阿联酋的AL MANSOORI、
    # AL AHLIA、阿曼的MB和科威特的SAFWAN、GDMC等公司' (regional service firms, read by the full reader)
    FILES["300084"] = "300084_lanzhou_haimo_prospectus_2010_full.pdf"
    assert "世界第一大油田服务公司" not in found("300084", 282, 283, "海默科技", "主要竞争对手分析")
    assert {"AL MANSOORI", "SAFWAN"} <= set(found("300084", 285, 286, "海默科技", "主要竞争对手分析"))
