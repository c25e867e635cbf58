"""Pure decoding of exchange payloads: bytes → text → JSON, with the real-world traps handled.

* UTF-8 BOM and *double-encoded* UTF-8 (UTF-8 bytes decoded as Latin-1 and re-encoded, as saved by
  some scrapers of cninfo's stock lists);
* JSONP with any wrapper: ``callback({...})``, ``cb([...])``, ``jQuery123_456({...});`` or a bare
  ``({...})`` with the callback name missing;
* an HTML page (WAF / firewall / login page) or garbage where JSON was expected becomes an
  :class:`~core.errors.ExchangeResponseError`, never a crash and never a silent empty result.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from core.errors import ExchangeResponseError

_CALLBACK = re.compile(r"[A-Za-z_$][\w$.]*")
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
    return re.sub(r"\s+", " ", text[: n * 8].strip())[:n]


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
        body = _unwrap_jsonp(body)
    try:
        return json.loads(body, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ExchangeResponseError(
            f"response is neither JSON nor JSONP ({exc.msg} at char {exc.pos})",
            url=url,
            status=status,
            snippet=snippet(text),
        ) from exc
    except RecursionError as exc:  # nesting deeper than the interpreter's stack (100k '[')
        raise ExchangeResponseError(
            "response nests too deeply to be data", url=url, status=status, snippet=snippet(text)
        ) from exc
    except ValueError as exc:  # an integer of more than 4300 digits, a lone surrogate
        raise ExchangeResponseError(
            f"response is not usable JSON ({exc})", url=url, status=status, snippet=snippet(text)
        ) from exc


def _unwrap_jsonp(body: str) -> str:
    """``callback(...)``, ``cb(...);`` or ``(...)`` → what is inside the parentheses; anything else is
    returned unchanged (and fails as JSON). Found by position, not by a backtracking pattern."""
    open_at, close_at = body.find("("), body.rfind(")")
    if open_at < 0 or close_at < open_at:
        return body
    name = body[:open_at].strip()
    if name and not _CALLBACK.fullmatch(name):
        return body
    if body[close_at + 1 :].strip() not in ("", ";"):
        return body
    return body[open_at + 1 : close_at].strip()


def _no_constant(name: str) -> None:
    """``NaN``, ``Infinity`` and ``-Infinity`` are no JSON: read as null (an unknown value), so a
    total of ``Infinity`` is an unknown total, not an overflow further on."""
    return None


def _finite_float(text: str) -> float | None:
    """A JSON number as a float, or None past a float's range (``1e400`` would be ``inf``)."""
    value = float(text)
    return value if math.isfinite(value) else None


#: What a parser of an exchange's payload may raise on a payload of an unexpected shape (a list
#: where an object was expected, a string where a number was): the data's fault, not ours.
PAYLOAD_ERRORS: tuple[type[BaseException], ...] = (
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    ValueError,
    OverflowError,
    RecursionError,
)


@contextlib.contextmanager
def payload_boundary(what: str, url: str | None = None) -> Iterator[None]:
    """Turn what a payload parser raised on a payload of an unexpected shape into an
    :class:`ExchangeResponseError` naming ``what`` and the cause."""
    try:
        yield
    except PAYLOAD_ERRORS as exc:
        raise ExchangeResponseError(
            f"{what}: payload of an unexpected shape ({type(exc).__name__}: {str(exc)[:200]})", url=url
        ) from exc


#: Of an HTML page, only this much is read for a snippet (the patterns below then stay cheap).
_SNIPPET_SOURCE = 8 * 1024


def _strip_tags(html: str) -> str:
    html = html[:_SNIPPET_SOURCE]
    return re.sub(r"<[^<>]*>", " ", re.sub(r"(?is)<(script|style)[^<>]*>.*?</\1>", " ", html))


def expect_dict(payload: Any, *, what: str, url: str | None = None) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ExchangeResponseError(
            f"{what}: expected a JSON object, got {type(payload).__name__}",
            url=url,
            snippet=snippet(json.dumps(payload, ensure_ascii=False)),
        )
    return payload
