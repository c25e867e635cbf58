"""The company-name gate (extractors/companies.py): what counts as evidence that a string names a firm."""

from __future__ import annotations

import pytest

from extractors.companies import is_fragment, listed, looks_like_company, same_firm, strip_qualifier


@pytest.mark.parametrize(
    "name",
    [
        "江阴盛通铝业有限公司",  # legal suffix
        "香港真明丽集团",
        "三协立山铝业株式会社",
        "江汉石油管理局第三机械厂",
        "Isovolta AG",
        "Global Wedge Inc.",
        "Friedrich Nettelhoff GmbH & Co.",
        "MAM COLLETTORI S.P.A",
        "精锻科技（300258）",  # stock-code tag
        "GoPro (GPRO.O)",
        "江苏雷利",  # listed-company dictionary (short name)
        "宁波旭升集团股份有限公司",
    ],
)
def test_names_with_evidence_pass(name: str) -> None:
    assert looks_like_company(name)


@pytest.mark.parametrize("name", ["GoPro", "SCHLETTER", "Hydro Aluminium", "科莱克特（Kolektor）", "S&C"])
def test_latin_proper_names_pass_only_in_a_name_position(name: str) -> None:
    assert looks_like_company(name, name_position=True)
    assert not looks_like_company(name)


@pytest.mark.parametrize(
    "phrase",
    [
        "多个品种",  # 300221 p104: a strengths list reusing ①②③
        "氧化喷砂",
        "电泳系列产品",
        "欧洲、日本等太阳能组件制造发达地区的太阳能边框供应商",
        "国内厂商",
        "四家上市公司",
        "大型铝型材厂",
        "平均值",
        "solar",
    ],
)
def test_products_services_and_phrases_are_refused(phrase: str) -> None:
    assert not looks_like_company(phrase, name_position=True)


def test_a_fragment_of_a_name_is_refused() -> None:
    assert is_fragment("器有限公司") and not looks_like_company("器有限公司", name_position=True)
    assert not is_fragment("浙江长城换向器有限公司")
    assert is_fragment("及江苏恒宝股份有限公司")


def test_dictionary_knows_full_and_short_names_but_not_two_character_words() -> None:
    hit = listed("江苏太平洋精锻科技股份有限公司")
    assert hit is not None and hit.code == "300258" and hit.short_name == "精锻科技"
    assert listed("精锻科技") == hit
    assert listed("天微") is None  # two-character short names are words too often


def test_qualifier_in_front_of_a_name_is_cut() -> None:
    assert strip_qualifier("国产品牌华为技术有限公司") == "华为技术有限公司"
    assert strip_qualifier("德国的Conergy") == "Conergy"
    assert strip_qualifier("国内") == "国内"  # nothing left: kept as printed


def test_same_firm_printed_two_ways() -> None:
    assert same_firm("福建鸿博股份", "福建鸿博印刷股份")
    assert same_firm("理光", "日本理光")
    assert same_firm("恒宝股份有限公司", "江苏恒宝股份有限公司")
    assert not same_firm("深圳华强", "深圳华强电子网集团股份有限公司")  # the parent of a ranked firm
