"""The users' everyday searches, end to end against the replay: each writes its workbook.

* every NEEQ company's 「2023年日常性关联交易」 announcements by title keyword (cninfo, ``--market 三板``),
  whose 预计 table comes out through the built-in recipe 日常性关联交易预计 as numbers with their unit;
* every BSE prospectus in bulk (bse.cn's prospectus zone, ``--exchange bse --category 首发``), the final
  version per company read.

The NEEQ announcement is SYNTHETIC (replay/neeq_sample.py): no real one is in the corpus.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from replay import ReplayServer
from replay.neeq_sample import ESTIMATE_ROWS, render_neeq_estimate

pytestmark = pytest.mark.prefect


def rows(ws) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=True)) for r in values[1:]]


def test_neeq_estimate_table_comes_out_as_numbers_with_their_unit(tmp_path: Path) -> None:
    from extractors.document import extract_document
    from extractors.recipes import load_recipes, select

    pdf = render_neeq_estimate(tmp_path / "neeq_SYNTHETIC.pdf")
    got = extract_document(pdf, "k", recipes=select(load_recipes(None), ["日常性关联交易预计"])).recipe_rows
    # the 合计 row is no data row: it is dropped, and checked against the rows' sum (no mismatch note)
    assert [r.get("关联交易类别").text for r in got] == [r[0] for r in ESTIMATE_ROWS[:-1]]  # type: ignore[union-attr]
    assert {r.unit for r in got} == {"元"}
    assert sum(r.get("预计金额").value or 0 for r in got) == 8240000.0  # type: ignore[union-attr]
    assert sum(r.get("上年实际发生金额").value or 0 for r in got) == 6306320.5  # type: ignore[union-attr]


def test_neeq_keyword_search_and_bse_prospectuses_in_bulk_run_end_to_end(replay_env: ReplayServer) -> None:
    from flows.pipeline import adhoc_flow

    state = adhoc_flow(
        market="三板",
        keyword="日常性关联交易",
        start=dt.date(2023, 1, 1),
        end=dt.date(2023, 12, 31),
        tables=["日常性关联交易预计"],
        llm=False,
        return_state=True,
    )
    assert state.is_completed(), state.message
    wb = load_workbook(state.result())
    (ann,) = rows(wb["Announcements"])
    assert ann["代码"] == "879999"
    estimate = rows(wb["日常性关联交易预计"])
    assert len(estimate) == len(ESTIMATE_ROWS) - 1 and estimate[0]["预计金额"] == 3000000.0  # 合计 dropped

    replay_env.hits.clear()
    state = adhoc_flow(exchange="bse", categories=["首发"], llm=False, return_state=True)
    assert state.is_completed(), state.message
    anns = rows(load_workbook(state.result())["Announcements"])
    assert {a["代码"] for a in anns} == {"920100", "920047"}
    downloads = sorted(h[1] for h in replay_env.hits if h[1].startswith("/disclosure/20"))
    assert downloads == [
        "/disclosure/2020/2020-11-20/bse_430047_stand_in_SYNTHETIC.pdf",
        "/disclosure/2025/2025-08-22/1755859951_970173.pdf",
    ]
