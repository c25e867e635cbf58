"""Units of printed amounts, and the factor that brings each to 元 (pure)."""

from __future__ import annotations

#: a printed unit → its factor to 元 (money) or to 股 (share counts); 百万元 before 万元 when matching
UNIT_FACTORS: dict[str, float] = {
    "元": 1.0,
    "千元": 1e3,
    "万元": 1e4,
    "百万元": 1e6,
    "亿元": 1e8,
    "股": 1.0,
    "万股": 1e4,
    "亿股": 1e8,
}


def to_base(value: float | None, unit: str | None) -> float | None:
    """``value`` printed in ``unit`` brought to 元 (or 股); a value without a known unit is kept."""
    if value is None or unit not in UNIT_FACTORS:
        return value
    return round(value * UNIT_FACTORS[unit], 6)
