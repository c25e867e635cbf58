"""Find regexes that are not linear on long adversarial text (a benchmark, not a test: it times).

Every module-level compiled pattern of the project's packages is run (``search``, ``findall`` and
``sub``) on runs of one character or of a short motif, at n and 8n characters. A linear pattern takes
about 8x longer at 8n; a quadratic one about 64x. Patterns whose ratio passes ``--ratio`` (default 24)
and that take over 50 ms at 8n are printed.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/regex_scaling.py [--n 2000]
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import re
import time

log = logging.getLogger("bench")
PACKAGES = ("core", "scrapers", "extractors", "llm", "report")
MOTIFS = [
    "\u3000",
    " ",
    "\n",
    "a",
    "1",
    "专",
    "<",
    "(",
    ")",
    "（",
    "）",
    "[",
    ",",
    "、",
    ".",
    "-",
    "\t",
    "a ",
    "1 ",
    "专 ",
    "\u3000专",
    " \n",
    "<a",
    "((",
    "1,",
    "第1",
    "ZL",
    "号 ",
    "。\n",
    "\\",
    '"',
    "{",
    "}",
    ":",
    "=",
]


def patterns() -> list[tuple[str, re.Pattern[str]]]:
    out: list[tuple[str, re.Pattern[str]]] = []
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
            try:
                m = importlib.import_module(info.name)
            except Exception:  # an optional dependency missing: skip the module
                continue
            for name, value in vars(m).items():
                if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                    out.append((f"{info.name}.{name}", value))
    return out


def cost(p: re.Pattern[str], text: str) -> float:
    t = time.perf_counter()
    p.search(text)
    p.findall(text)
    p.sub("", text)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--ratio", type=float, default=24.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    seen: set[int] = set()
    flagged = 0
    for where, p in patterns():
        if id(p) in seen:
            continue
        seen.add(id(p))
        for motif in MOTIFS:
            small = (motif * args.n)[: args.n] + "!"
            big = (motif * 8 * args.n)[: 8 * args.n] + "!"
            a, b = cost(p, small), cost(p, big)
            if b > 0.05 and b / max(a, 1e-6) > args.ratio:
                flagged += 1
                ratio = b / max(a, 1e-6)
                log.info("%s: %.0fx at 8n on %r (%.0f ms) /%s/", where, ratio, motif, b * 1000, p.pattern[:80])
                break
    log.info("%d patterns, %d not linear", len(seen), flagged)


if __name__ == "__main__":
    main()
