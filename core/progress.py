"""A run's live progress: one log line per step, written when the step ends, as pip or akshare print.

``scrape`` pages, ``download n/N`` with bytes, ``extract n/N`` as each document ends, and ``llm n/N``
model calls with tokens. The lines go to the ``core.progress`` logger (the console, and through
Prefect's extra loggers the run's log in the UI); a listener (the flow's progress artifact) is told the
overall fraction after each step. Plain ``logging`` and ``threading``: no Prefect here.

A run installs its :class:`Progress` with :func:`started` (keyed by the run); code that has no handle on
it (a scraper's pagination loop, a document's task in a worker thread) reports through
:func:`current` or :func:`for_run`, which give a silent one when no run is installed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: the stages whose counts make up a run's overall fraction (scrape pages have no known total)
STAGES = ("download", "extract", "llm")


@dataclass
class Count:
    done: int = 0
    failed: int = 0
    total: int = 0
    bytes: int = 0
    tokens: int = 0


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class Progress:
    """Thread-safe counts per stage; each :meth:`step` logs its line at once."""

    def __init__(self, listener: Callable[[Progress], None] | None = None, *, quiet: bool = False) -> None:
        self._lock = threading.Lock()
        self.counts: dict[str, Count] = {}
        self.listener = listener
        self.quiet = quiet

    def expect(self, stage: str, n: int) -> None:
        """``n`` more steps of ``stage`` are to come (the N of ``n/N``)."""
        with self._lock:
            self.counts.setdefault(stage, Count()).total += n

    def step(
        self,
        stage: str,
        what: str = "",
        *,
        n: int = 1,
        failed: bool = False,
        nbytes: int = 0,
        tokens: int = 0,
    ) -> str:
        """``n`` steps of ``stage`` ended (``failed``: they failed): log ``stage done/total: what``."""
        with self._lock:
            c = self.counts.setdefault(stage, Count())
            c.done += n
            c.failed += n if failed else 0
            c.bytes += nbytes
            c.tokens += tokens
            c.total = max(c.total, c.done)
            line = f"{stage} {c.done}/{c.total}"
            extra = []
            if nbytes:
                extra.append(f"{human_bytes(nbytes)}, {human_bytes(c.bytes)} in all")
            if tokens:
                extra.append(f"{tokens} tokens, {c.tokens} in all")
            if c.failed:
                extra.append(f"{c.failed} failed")
        text = line + (f": {what}" if what else "") + (f" ({'; '.join(extra)})" if extra else "")
        if not self.quiet:
            log.log(logging.WARNING if failed else logging.INFO, "%s", text)
        self._notify()
        return text

    def note(self, stage: str, text: str) -> None:
        """A step with no total (a scrape page): its line, nothing counted towards the fraction."""
        if not self.quiet:
            log.info("%s %s", stage, text)

    def fraction(self) -> float:
        """Steps done of steps expected, over :data:`STAGES` (0 before anything is expected)."""
        with self._lock:
            total = sum(self.counts[s].total for s in STAGES if s in self.counts)
            done = sum(min(self.counts[s].done, self.counts[s].total) for s in STAGES if s in self.counts)
        return done / total if total else 0.0

    def summary(self) -> str:
        with self._lock:
            return ", ".join(f"{s} {c.done}/{c.total}" for s, c in self.counts.items())

    def _notify(self) -> None:
        if self.listener is None:
            return
        try:
            self.listener(self)
        except Exception as exc:  # the display of progress never fails a run
            log.debug("progress listener failed: %s", exc)


_SILENT = Progress(quiet=True)
_RUNS: dict[str, Progress] = {}
_CURRENT: list[Progress] = []
_LOCK = threading.Lock()


@contextlib.contextmanager
def started(key: str, progress: Progress) -> Iterator[Progress]:
    """Install ``progress`` as run ``key``'s (and as the current one) for the block."""
    with _LOCK:
        _RUNS[key] = progress
        _CURRENT.append(progress)
    try:
        yield progress
    finally:
        with _LOCK:
            _RUNS.pop(key, None)
            with contextlib.suppress(ValueError):
                _CURRENT.remove(progress)


def for_run(key: str) -> Progress:
    """Run ``key``'s progress, or a silent one."""
    return _RUNS.get(key, _SILENT)


def current() -> Progress:
    """The run installed last (a CLI process runs one), or a silent one."""
    return _CURRENT[-1] if _CURRENT else _SILENT
