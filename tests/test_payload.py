"""Decoding exchange bytes: BOM, double-encoded UTF-8, JSONP wrappers, HTML and garbage."""

import pytest

from core.errors import ExchangeResponseError
from scrapers.payload import decode_text, parse_json_payload, repair_double_encoding
from tests.conftest import API


def test_double_encoded_stock_list_is_repaired() -> None:
    raw = (API / "cninfo/szse_stock_2026-06_bom_doubleencoded.json").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = decode_text(raw)
    assert '"zwjc":"平安银行"' in text
    assert "Ã" not in text[:2000]


def test_plain_chinese_is_not_touched_by_the_repair() -> None:
    assert repair_double_encoding("平安银行 A股") == "平安银行 A股"
    assert repair_double_encoding("ASCII only") == "ASCII only"


@pytest.mark.parametrize(
    "wrapped",
    [
        'callback({"a": 1})',
        'cb({"a": 1});',
        'jQuery1124_1700000000({"a": 1})',
        '({"a": 1})',
        ' {"a": 1} ',
    ],
)
def test_jsonp_wrappers(wrapped: str) -> None:
    assert parse_json_payload(wrapped) == {"a": 1}


def test_firewall_html_page_is_a_clear_error_not_an_empty_result() -> None:
    html = "<!DOCTYPE html><html><head><title>访问被拒绝</title></head><body>您的访问被安全策略拦截</body></html>"
    with pytest.raises(ExchangeResponseError, match="HTML page where JSON was expected"):
        parse_json_payload(html, url="http://x/q")


def test_recorded_vue_shell_page_is_not_json() -> None:
    text = decode_text((API / "cninfo/page_disclosure_stock_600519.html").read_bytes())
    with pytest.raises(ExchangeResponseError, match="HTML"):
        parse_json_payload(text)


@pytest.mark.parametrize("garbage", ["", "   ", "null(", "系统繁忙", '{"a": 1', "callback({broken})"])
def test_garbage_is_a_clear_error(garbage: str) -> None:
    with pytest.raises(ExchangeResponseError):
        parse_json_payload(garbage)
