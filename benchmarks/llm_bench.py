"""The LLM stage's concurrency: N announcement classifications against the local OpenAI-compatible
test server answering after a set latency, at several ``llm_concurrency`` settings.

Prints, per concurrency: wall seconds, the ideal (calls × latency / concurrency), their ratio, the
most requests the server saw at once, and a rerun's seconds (every answer cached: no call).

Usage: python benchmarks/llm_bench.py [--calls 24] [--latency 0.3] [--concurrency 1 4 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.records import Announcement  # noqa: E402
from core.settings import Settings  # noqa: E402
from llm.client import model_from_settings  # noqa: E402
from llm.service import Cache, LLMService  # noqa: E402
from llm.tasks import TASKS  # noqa: E402
from tests.fake_openai import FakeOpenAI, chat  # noqa: E402

log = logging.getLogger("llm-bench")
ANSWER = '{"category": "招股/IPO", "confidence": 0.9, "rationale": "标题为招股说明书"}'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("httpx", "httpx2", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    items = [
        Announcement(
            source="cninfo",
            announcement_id=str(i),
            sec_code="001282",
            sec_name="三联锻造",
            title=f"首次公开发行股票并在主板上市招股说明书（第{i}份）",
            published=dt.date(2023, 5, 17),
            pdf_url=None,
        )
        for i in range(args.calls)
    ]
    log.info("calls=%d latency=%.2fs", args.calls, args.latency)
    log.info("%-12s %8s %8s %6s %10s %10s", "concurrency", "wall_s", "ideal_s", "ratio", "max_flight", "cached_s")
    for concurrency in args.concurrency:
        with FakeOpenAI() as fake, tempfile.TemporaryDirectory() as tmp:
            fake.latency = args.latency
            fake.queue(*[chat(ANSWER)] * args.calls)
            settings = Settings(llm_base_url=fake.base_url, llm_api_key="sk-bench", llm_max_retries=0)  # type: ignore[arg-type]

            def stage(settings: Settings = settings, concurrency: int = concurrency, tmp: str = tmp) -> float:
                cache = Cache(Path(tmp) / "c.sqlite")
                svc = LLMService(model_from_settings(settings), cache, concurrency=concurrency)
                t0 = time.perf_counter()
                results = svc.run_many(TASKS["announcement"], items)
                elapsed = time.perf_counter() - t0
                if failed := [r for r in results if isinstance(r, Exception)]:
                    raise SystemExit(f"{len(failed)} calls failed: {failed[0]}")
                return elapsed

            wall = stage()
            cached = stage()  # the same items again: all from the cache
            ideal = args.calls * args.latency / concurrency
            log.info(
                "%-12d %8.2f %8.2f %6.2f %10d %10.3f",
                concurrency,
                wall,
                ideal,
                wall / ideal,
                fake.max_in_flight,
                cached,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
