"""Seconds a company-name lookup takes against the replay: a typo (no match: nearest names) and a
former name (勤上光电, through topSearch), cold (empty data dir: stock lists fetched) and warm (lists
and the topSearch answer cached). Usage: PYTHONPATH=. python benchmarks/name_lookup.py"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from core.errors import ConfigError
from core.settings import Settings
from flows import api
from replay import ReplayServer

log = logging.getLogger("name-lookup")


def main() -> None:
    with ReplayServer() as srv, tempfile.TemporaryDirectory() as tmp:
        s = Settings(data_dir=Path(tmp), outputs_dir=Path(tmp), min_interval_s=0, **srv.settings_overrides())
        for label in ("cold", "warm"):
            for text in ("三联段造", "勤上光电"):
                t0 = time.perf_counter()
                try:
                    got = api.resolve_company(text, s)
                except ConfigError as exc:
                    got = str(exc)[:60]
                log.info("%s %s: %.2f s -> %s", label, text, time.perf_counter() - t0, got)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    main()
