"""Regenerate extractors/data/listed_companies.tsv from the cninfo stock lists in the corpus.

    python scripts/build_company_dictionary.py [CNINFO_DIR] [OUT.tsv]

Inputs (cninfo's own JSON, as recorded in ../shared/corpus/api/cninfo/):
* szse_stock_2021-09.json — ``{"stockList": [{code, zwjc, category, ...}]}`` (A-shares, B-shares, NEEQ, HK);
* szse_stock_2026-06_bom_doubleencoded.json and bj_stock_2026-06_bom_doubleencoded.json — the same
  endpoint saved with a UTF-8 BOM over double-encoded UTF-8 (decode utf-8-sig, encode latin-1, decode utf-8);
* webapi_company_list_export.json — ``{"records": [{SECCODE, SECNAME, ORGNAME}]}`` with full legal names.

Output: one line per stock code, ``code<TAB>short name<TAB>full name`` (full name empty where no list
gives it), sorted by code. Short names lose their ST / *ST / 退 markers, which are not part of a firm's name.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IN = ROOT.parent / "shared" / "corpus" / "api" / "cninfo"
DEFAULT_OUT = ROOT / "extractors" / "data" / "listed_companies.tsv"

_MARKERS = re.compile(r"^(?:\*?ST|S\*ST|SST|S)(?=[\u4e00-\u9fff])|退$|（退市）$")


def _load(path: Path) -> object:
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    if "doubleencoded" in path.name:
        text = text.encode("latin-1").decode("utf-8")
    return json.loads(text)


def clean_short(name: str) -> str:
    return _MARKERS.sub("", re.sub(r"\s+", "", name)).strip()


def build(src: Path) -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for name in (
        "szse_stock_2021-09.json",
        "szse_stock_2026-06_bom_doubleencoded.json",
        "bj_stock_2026-06_bom_doubleencoded.json",
    ):
        path = src / name
        if not path.exists():
            continue
        data = _load(path)
        assert isinstance(data, dict)
        for r in data.get("stockList", []):
            code, short = str(r.get("code", "")).strip(), clean_short(str(r.get("zwjc", "")))
            if code and short and len(short) >= 2:
                rows[code] = (short, rows.get(code, ("", ""))[1])
    export = src / "webapi_company_list_export.json"
    if export.exists():
        data = _load(export)
        assert isinstance(data, dict)
        for r in data.get("records", []):
            code = str(r.get("SECCODE", "")).strip()
            short = clean_short(str(r.get("SECNAME") or ""))
            full = re.sub(r"\s+", "", str(r.get("ORGNAME") or ""))
            if not code:
                continue
            old_short, _ = rows.get(code, ("", ""))
            rows[code] = (old_short or short, full)
    return rows


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_IN
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    rows = build(src)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="\n") as f:
        f.write(
            "# code\tshort name\tfull name — built by scripts/build_company_dictionary.py from cninfo stock lists\n"
        )
        for code in sorted(rows):
            short, full = rows[code]
            f.write(f"{code}\t{short}\t{full}\n")
    sys.stdout.write(f"{len(rows)} companies -> {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
