"""Every market searchable the way its users search it, each request pinned field for field to its
reference (docs/markets.md names them):

* cninfo — akshare ``stock_zh_a_disclosure_report_cninfo`` (akfamily/akshare,
  akshare/stock_feature/stock_disclosure_cninfo.py): ``column`` per market (沪深京 ``szse``, 三板
  ``third``), ``plate`` empty; BSE-only ``column=bj``/``plate=bj`` as BSE crawlers of cninfo send it;
* bse.cn — ``companyAnnouncement.do`` with ``disclosureType[]=5``/``xxfcbj[]=2``/``sortfield=xxssdq``;
  the prospectus zone ``zoneInfoResult.do?disclosureTypes[]=9533`` (RSSHub lib/routes/bse/index.ts reads
  the same endpoint); answers ``[{"status":0,"listInfo":…}]`` whose rows carry no ``disclosureCode``;
* neeq.com.cn — ``companyAnnouncement.do`` (not ``infoResult_zh.do``), refusing scripted clients.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import BlockedError, ConfigError, ScrapeError
from core.params import RunParams
from core.settings import Settings
from replay import ReplayServer, Scripted
from replay.server import RECORDINGS
from scrapers.base import Query, ScrapeResult
from scrapers.http import HttpClient
from scrapers.registry import adapter_for
from tests.conftest import replay_settings

QUERY = "/new/hisAnnouncement/query"
ZONE = "/disclosureInfoController/zoneInfoResult.do"
ANN = "/disclosureInfoController/companyAnnouncement.do"


def forms(replay: ReplayServer, path: str = QUERY) -> list[dict[str, list[str]]]:
    return [h[2] for h in replay.hits if h[1] == path]


def _query(**values: Any) -> Query:
    """The Query a flow builds from its parameters (flows.pipeline._query, without importing Prefect)."""
    p = RunParams.checked(**values)
    return Query(
        codes=tuple(p.codes),
        keyword=p.keyword,
        categories=tuple(p.categories),
        start=p.start,
        end=p.end,
        market=p.market,
    )


# --- the market selector on cninfo -------------------------------------------------------------------


def test_neeq_keyword_search_sends_what_akshare_sends_field_for_field(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``python -m flows run --market 三板 --keyword 日常性关联交易 --start 2023-01-01 --end 2023-12-31``.
    The trap: a search without codes always sent ``column=szse``, where NEEQ companies are not, so the
    users' everyday NEEQ search silently found nothing."""
    s = replay_settings(replay, tmp_path)
    query = _query(market="三板", keyword="日常性关联交易", start="2023-01-01", end="2023-12-31")
    result = adapter_for("cninfo", HttpClient(s), s).search(query)
    (form,) = forms(replay)
    akshare = {  # stock_zh_a_disclosure_report_cninfo(symbol="", market="三板", keyword=…, category="")
        "pageNum": "1",
        "pageSize": "30",
        "column": "third",
        "tabName": "fulltext",
        "plate": "",
        "stock": "",
        "searchkey": "日常性关联交易",
        "secid": "",
        "category": "",
        "trade": "",
        "seDate": "2023-01-01~2023-12-31",
        "sortName": "",
        "sortType": "",
        "isHLtitle": "true",
    }
    assert list(form) == list(akshare)  # the same keys, in akshare's order
    assert {k: v for k, (v,) in form.items()} == akshare
    assert [(a.sec_code, a.title) for a in result.announcements] == [("879999", "关于预计2023年日常性关联交易的公告")]


def test_the_run_translates_its_market_parameter_into_the_query() -> None:
    from run.plan import query_of as flow_query

    params = RunParams.checked(market="neeq", keyword="日常性关联交易")
    assert flow_query(params).market == "neeq" == _query(market="三板").market


def test_each_market_maps_to_cninfos_column_and_plate(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    cninfo = adapter_for("cninfo", HttpClient(s), s)
    for market, expected in (
        ("沪深", [("szse", "")]),
        ("京", [("bj", "bj")]),
        ("三板", [("third", "")]),
        ("all", [("szse", ""), ("third", "")]),
    ):
        replay.hits.clear()
        cninfo.search(_query(market=market, keyword="招股"))
        assert [(f["column"][0], f["plate"][0]) for f in forms(replay)] == expected, market


def test_shsz_market_leaves_out_bse_rows_and_all_adds_neeq(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    cninfo = adapter_for("cninfo", HttpClient(s), s)
    shsz = {a.sec_code for a in cninfo.search(_query(market="sh-sz")).announcements}
    everything = {a.sec_code for a in cninfo.search(_query(market="all")).announcements}
    assert "920100" not in shsz and "001282" in shsz
    assert everything >= shsz | {"920100", "879999"}


def test_categories_are_checked_per_market_with_neeqs_own_set(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="NEEQ"):  # 临时公告 is NEEQ's: the 沪深京 column has no such category
        RunParams.checked(categories=["临时公告"])
    with pytest.raises(ConfigError, match="no category 配股"):  # no NEEQ equivalent
        RunParams.checked(market="三板", categories=["配股"])
    with pytest.raises(ConfigError, match="unknown market"):
        RunParams.checked(market="港股")
    s = replay_settings(replay, tmp_path)
    adapter_for("cninfo", HttpClient(s), s).search(_query(market="三板", categories=["年报"]))
    assert forms(replay)[0]["category"] == ["category_dqgg;"]  # 年报 is a 定期报告 on NEEQ


def test_codes_imply_their_market(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    adapter_for("cninfo", HttpClient(s), s).search(_query(codes=["879999"], market="沪深"))
    assert forms(replay)[0]["column"] == ["third"]  # found in cninfo's NEEQ list: searched there


def test_a_cninfo_page_size_over_30_is_refused_not_capped(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path, page_size=50)
    with pytest.raises(ConfigError, match="page size 50"):
        adapter_for("cninfo", HttpClient(s), s).search(Query(keyword="招股"))
    assert not forms(replay)  # nothing was sent


def test_cninfo_is_reached_over_https_by_default() -> None:
    s = Settings()
    assert s.cninfo_base_url == "https://www.cninfo.com.cn"
    assert s.cninfo_static_url == "https://static.cninfo.com.cn"


# --- BSE's own site ----------------------------------------------------------------------------------


def test_bse_rows_without_disclosure_code_are_read_with_an_id_from_the_file_name() -> None:
    """The trap: the parser required ``disclosureCode``, which real rows do not carry unless asked; against
    the real answer shape every row was rejected (the corpus recording was hand-made with the field)."""
    from core import urls
    from scrapers.disclosure import parse_disclosure_page

    raw = (RECORDINGS / "bse_companyAnnouncement_RECONSTRUCTED.jsonp").read_text("utf-8")
    payload = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])
    assert "disclosureCode" not in json.dumps(payload) and payload[0]["status"] == 0
    page = parse_disclosure_page(payload, Settings(), "bse", urls.bse_pdf)
    assert page.rejected == []
    assert [(a.key, a.category) for a in page.announcements] == [
        ("bse:c5f0804783cd4393b8703ab1f419b779", "定期报告"),
        ("bse:1c3aacfaf37348228cb66037ed7cf42b", "临时公告"),
    ]


def test_bse_prospectus_zone_request_field_for_field(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    adapter_for("bse", HttpClient(s), s).search(
        _query(exchange="bse", categories=["首发"], start="2025-01-01", end="2025-12-31")
    )
    method, _, params, headers = next(h for h in replay.hits if h[1] == ZONE)
    assert method == "GET" and list(params) == [
        "callback",
        "disclosureTypes[]",
        "page",
        "companyCd",
        "startTime",
        "endTime",
        "keyword",
        "isLink",
    ]
    assert {k: v for k, (v,) in params.items()} == {
        "callback": "cb",
        "disclosureTypes[]": "9533",
        "page": "0",
        "companyCd": "",
        "startTime": "2025-01-01",
        "endTime": "2025-12-31",
        "keyword": "",
        "isLink": "1",
    }
    assert headers["Referer"] == f"{replay.url}/newshare/listofissues.html"


def test_bse_prospectuses_in_bulk_keep_renumbered_companies_and_the_final_version(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The zone lists 诺思兰德 under its pre-920 code 430047 with the old title family
    「向不特定合格投资者公开发行股票说明书」: the rows are kept, filed under 920047 (cninfo's BSE list gives
    both codes one orgId), and the old family is a full prospectus; per company the final version is read."""
    from core.prospectus import choose

    s = replay_settings(replay, tmp_path)
    found = adapter_for("bse", HttpClient(s), s).search(_query(exchange="bse", categories=["首发"])).announcements
    assert {a.sec_code for a in found} == {"920100", "920047"}
    choice = choose(found)
    assert sorted((a.sec_code, a.title) for a in choice.kept) == [
        ("920047", "诺思兰德:向不特定合格投资者公开发行股票说明书"),
        ("920100", "三协电机:招股说明书"),
    ]
    assert len(choice.skipped) == 3  # the 注册稿, the 补充披露, the 摘要
    by_new_code = adapter_for("bse", HttpClient(s), s).search(
        _query(exchange="bse", codes=["920047"], categories=["首发"])
    )
    # the new code's older rows are asked for under the old code too, and filed under the new one
    assert [f["companyCd"] for f in (h[2] for h in replay.hits if h[1] == ZONE)][-2:] == [["920047"], ["430047"]]
    assert {(a.sec_code, a.published.year) for a in by_new_code.announcements} == {("920047", 2020)}


def test_renumbered_rows_found_on_cninfo_by_the_new_code_are_kept() -> None:
    from scrapers.cninfo import StockInfo, map_renumbered, renumbered_codes
    from tests.test_prospectus_versions import ann

    stocks = {
        "430047": StockInfo("430047", "9900006121", "诺思兰德", "A股", market="bj"),
        "920047": StockInfo("920047", "9900006121", "诺思兰德", "A股", market="bj"),
        "830799": StockInfo("830799", "gfbj0830799", "艾融软件", "A股", market="bj"),
    }
    assert renumbered_codes(stocks) == {"430047": "920047"}  # 830799 has no 920 code in this list
    rows = [ann(1, "向不特定合格投资者公开发行股票说明书", "2020-11-20", "430047")]
    (mapped,) = map_renumbered(rows, renumbered_codes(stocks))
    assert mapped.sec_code == "920047" and Query(codes=("920047",)).matches(mapped)


def test_bse_site_takes_only_the_categories_it_registered() -> None:
    with pytest.raises(ConfigError, match="bse's own site takes no category 年报"):
        RunParams.checked(exchange="bse", categories=["年报"])
    assert RunParams.checked(exchange="bse", categories=["首发"]).categories == ["category_sf_szsh"]


# --- NEEQ's own site ---------------------------------------------------------------------------------


def test_neeq_posts_company_announcement_do_with_the_references_form(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path)
    result = adapter_for("neeq", HttpClient(s), s).search(
        Query(keyword="日常性关联交易", start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31))
    )
    assert not [h for h in replay.hits if h[1].endswith("infoResult_zh.do")]
    form = forms(replay, ANN)[0]
    assert form.pop("callback") == ["cb"]
    assert list(form) == [
        "disclosureType[]",
        "page",
        "startTime",
        "endTime",
        "companyCd",
        "isNewThree",
        "keyword",
        "needFields[]",
        "sortfield",
        "sorttype",
    ]
    assert form["disclosureType[]"] == ["5"] and "xxfcbj[]" not in form and form["sortfield"] == ["xxssdq"]
    (a,) = result.announcements
    assert a.key.startswith("neeq:") and a.announcement_id.endswith("_SYNTHETIC")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ([Scripted(403, b"<html>403 Forbidden</html>")], BlockedError),
        ([Scripted(302, b"", {"Location": ANN})] * 12, ScrapeError),
    ],
    ids=["403", "redirect-loop"],
)
def test_neeq_refusal_is_one_line_naming_the_cninfo_route(replay, tmp_path: Path, answer, error) -> None:  # type: ignore[no-untyped-def]
    s = replay_settings(replay, tmp_path, max_retries=0)
    replay.script(ANN, *answer)
    with pytest.raises(error) as exc:
        adapter_for("neeq", HttpClient(s), s).search(Query(keyword="日常性关联交易"))
    message = str(exc.value)
    assert "\n" not in message and "--market 三板" in message and "neeq.com.cn" in message


# --- PDFs, pages, registry ---------------------------------------------------------------------------


def test_bse_and_neeq_pdfs_are_fetched_with_their_sites_referer(replay, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from core.manifest import Manifest
    from scrapers.download import Downloader

    s = replay_settings(replay, tmp_path)
    (a,) = adapter_for("neeq", HttpClient(s), s).search(Query(keyword="日常性关联交易")).announcements
    doc = Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(a)
    assert Path(doc.path).read_bytes().startswith(b"%PDF")
    (get,) = [h for h in replay.hits if h[1].endswith("_SYNTHETIC.pdf")]
    assert get[3]["Referer"] == f"{replay.url}/disclosure/announcement.html"


def test_scrape_result_extend_counts_pages_and_warnings_once() -> None:
    """The trap: extend added pages and warnings twice, so a date-split search of 3 pages said 6."""
    left = ScrapeResult(source="cninfo", pages_fetched=1, warnings=["a"])
    left.extend(ScrapeResult(source="cninfo", pages_fetched=2, warnings=["b"]))
    assert (left.pages_fetched, left.warnings) == (3, ["a", "b"])


def _toy_rows(*rows: tuple[str, str, str, str | None], total: int, pages: int) -> bytes:
    body = {
        "total": total,
        "pages": pages,
        "rows": [
            {"id": i, "code": code, "name": "玩具科技", "title": title, "date": "2026-03-2" + i, "file": file}
            for i, code, title, file in rows
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def test_a_new_exchange_is_one_module_and_one_registry_line(  # type: ignore[no-untyped-def]
    replay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trap: the exchanges were a Literal in core.records, so a new one also needed that edit, or the
    run's parameters, its announcements and the UI form refused it. tests/toy_exchange.py is a whole
    exchange and one line registers it; the run's own entry points then search it (against a fake toy
    site on 127.0.0.1), plan, store and download what it found. Unregistered, a run may no longer name
    it, and what was scraped from it still loads from the store."""
    from core.manifest import Manifest
    from core.store import Store
    from flows.api import search
    from flows.cli import build_parser
    from run.plan import plan, query_of
    from scrapers import registry
    from scrapers.download import Downloader
    from tests import toy_exchange

    pdf = next(e.pdf for e in replay.catalogue if "SYNTHETIC" in e.pdf.name)
    page1 = _toy_rows(
        ("1", "830001", "2025年年度报告", "1.pdf"), ("2", "830002", "2025年年度报告摘要", None), total=3, pages=2
    )
    page2 = _toy_rows(("3", "830003", "2025年年度报告", "3.pdf"), total=3, pages=2)
    monkeypatch.setattr(toy_exchange, "BASE_URL", replay.url)
    replay.script("/toy/announcements", *[Scripted(200, page1), Scripted(200, page2)] * 2)
    replay.script("/toy/files/1.pdf", Scripted(200, pdf.read_bytes()))
    s = replay_settings(replay, tmp_path)

    registry.register("toy", toy_exchange.ToyAdapter)  # the one line
    try:
        params = RunParams.checked(exchange="toy", categories=["年报"])
        with pytest.raises(ConfigError, match="toy's own site takes no category 首发"):
            RunParams.checked(exchange="toy", categories=["首发"])  # the codes its module registered
        assert "toy" in RunParams.model_json_schema()["properties"]["exchange"]["enum"]  # the UI form's choices
        assert build_parser().parse_args(["run", "--exchange", "toy"]).exchange == "toy"  # the CLI's choices

        with HttpClient(s) as http:
            scraped = registry.adapter_for(params.exchange, http, s).search(query_of(params))
        decided = plan(params, scraped)
        assert [a.key for a in decided.announcements] == ["toy:1", "toy:2", "toy:3"]
        assert [a.key for a in decided.wanted] == ["toy:1", "toy:3"]
        assert [(f.key, f.message) for f in decided.failures] == [("toy:2", "no attachment posted yet")]
        sent = [h[2] for h in replay.hits if h[1] == "/toy/announcements"]
        assert [(q["type"], q["page"]) for q in sent] == [(["ANNUAL"], ["1"]), (["ANNUAL"], ["2"])]

        assert list(search(exchange="toy", categories=["年报"], settings=s)["key"]) == ["toy:1", "toy:2", "toy:3"]
        doc = Downloader(HttpClient(s), s, Manifest(s.manifest_path)).fetch(decided.wanted[0])
        assert doc.key == "toy:1" and Path(doc.path).read_bytes() == pdf.read_bytes()
        store = Store(tmp_path / "store.sqlite")
        store.add("run-1", announcements=decided.announcements, documents=[doc])
    finally:
        registry.unregister("toy")

    with pytest.raises(ConfigError, match="unknown exchange 'toy'; choose one of cninfo, sse, szse, bse, neeq"):
        RunParams.checked(exchange="toy")
    stored = Store(tmp_path / "store.sqlite").load()
    assert [a.key for a in stored.announcements] == ["toy:3", "toy:2", "toy:1"] and not stored.skipped
    assert [d.key for d in stored.documents] == ["toy:1"]


def test_the_cli_refuses_an_exchanges_unknown_category_before_the_run() -> None:
    """The exchanges' codes live in their adapters: the CLI loads them before it checks its parameters,
    so ``--exchange sse --category 首发`` is refused at once (exit 2), not after Prefect's start-up."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    got = subprocess.run(
        [sys.executable, "-m", "flows", "run", "--exchange", "sse", "--category", "首发"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert got.returncode == 2 and "sse's own site takes no category 首发" in got.stderr


def test_live_smoke_uses_a_neeq_code_that_is_not_a_bse_company_and_runs_each_markets_search() -> None:
    """The trap: scripts/live-smoke.sh took 430047 for its NEEQ code, a BSE company (诺思兰德, now 920047)."""
    import re

    from scrapers.cninfo import parse_stock_list
    from tests.conftest import API

    script = (Path(__file__).resolve().parents[1] / "scripts" / "live-smoke.sh").read_text("utf-8")
    m = re.search(r'NEEQ = "(\d{6})"', script)
    assert m is not None
    bse = parse_stock_list((API / "cninfo/bj_stock_2026-06_bom_doubleencoded.json").read_bytes(), "bj")
    assert m.group(1) not in bse and "430047" in bse
    for market in ('market="sh-sz"', 'market="bj"', 'market="neeq"'):
        assert market in script
