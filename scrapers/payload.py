"""Pure decoding of exchange payloads: bytes → text → JSON, with the real-world traps handled.

* UTF-8 BOM and *double-encoded* UTF-8 (UTF-8 bytes decoded as Latin-1 and re-encoded, as saved by
  some scrapers of cninfo's stock lists);
* JSONP with any wrapper: ``callback({...})``, ``cb([...])``, ``jQuery123_456({...});`` or a bare
  ``({...})`` with the callback name missing;
* an HTML page (WAF / firewall / login page) or garbage where JSON was expected becomes an
  :class:`~core.errors.ExchangeResponseError`, never a crash and never a silent empty result.
"""

from __future__ import annotations

import json
import re
from typing import Any

from core.errors import ExchangeResponseError

_JSONP = re.compile(r"^\s*(?:[A-Za-z_$][\w$.]*)?\s*\((?P<body>.*)\)\s*;?\s*$", re.DOTALL)
_HTML = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body|<script|<\?xml|<meta|<div|<title)", re.I)


def repair_double_encoding(text: str) -> str:
    """Undo UTF-8 → Latin-1 → UTF-8 double encoding; return ``text`` unchanged when it is not."""
    if not any(0x80 <= ord(ch) <= 0xFF for ch in text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def decode_text(raw: bytes, encoding: str | None = None) -> str:
    """Decode exchange bytes: BOM stripped, UTF-8 first, GB18030 second, double encoding repaired."""
    if encoding and encoding.lower().replace("-", "") not in {"utf8", "iso88591", "latin1"}:
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    return repair_double_encoding(text)


def snippet(text: str, n: int = 160) -> str:
    return re.sub(r"\s+", " ", text.strip())[:n]


def looks_like_html(text: str) -> bool:
    return bool(_HTML.match(text))


def parse_json_payload(text: str, *, url: str | None = None, status: int | None = None) -> Any:
    """Parse JSON or JSONP text. Raises ExchangeResponseError for HTML, empty bodies and garbage."""
    body = text.lstrip("\ufeff").strip()
    if not body:
        raise ExchangeResponseError("empty response body where JSON was expected", url=url, status=status)
    if looks_like_html(body):
        raise ExchangeResponseError(
            "HTML page where JSON was expected (firewall, WAF or login page?)",
            url=url,
            status=status,
            snippet=snippet(_strip_tags(body)),
        )
    if body[0] not in "{[":
        m = _JSONP.match(body)
        if m:
            body = m.group("body").strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ExchangeResponseError(
            f"response is neither JSON nor JSONP ({exc.msg} at char {exc.pos})",
            url=url,
            status=status,
            snippet=snippet(text),
        ) from exc


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", html))


def expect_dict(payload: Any, *, what: str, url: str | None = None) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ExchangeResponseError(
            f"{what}: expected a JSON object, got {type(payload).__name__}",
            url=url,
            snippet=snippet(json.dumps(payload, ensure_ascii=False)),
        )
    return payload
