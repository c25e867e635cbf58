"""HTML ``<table>`` → rows (pure), honouring rowspan/colspan.

For disclosures delivered as HTML and for MinerU-converted prospectuses, whose tables are HTML.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

from extractors.text import join_wrapped


def parse_tables(html: str) -> list[list[list[str]]]:
    soup = BeautifulSoup(html, "html.parser")
    out: list[list[list[str]]] = []
    for table in soup.find_all("table"):
        grid: dict[tuple[int, int], str] = {}
        for r, tr in enumerate(table.find_all("tr")):
            c = 0
            for td in tr.find_all(["td", "th"]):
                while (r, c) in grid:
                    c += 1
                text = join_wrapped(td.get_text("\n"))
                rs = int(str(td.get("rowspan") or 1))
                cs = int(str(td.get("colspan") or 1))
                for dr in range(rs):
                    for dc in range(cs):
                        grid[(r + dr, c + dc)] = text
                c += cs
        if not grid:
            continue
        n_rows = max(r for r, _ in grid) + 1
        n_cols = max(c for _, c in grid) + 1
        out.append([[grid.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)])
    return out
