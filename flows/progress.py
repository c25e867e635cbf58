"""The run's progress in the Prefect UI: a progress artifact (``prospectus-progress``) on the flow run,
updated as documents end, beside the same ``download n/N`` / ``extract n/N`` / ``llm n/N`` lines the
console shows (``core.progress``; they reach the run's log through Prefect's extra loggers)."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from core.progress import Progress, started

log = logging.getLogger(__name__)


class ArtifactListener:
    """Keeps one progress artifact at the run's fraction: at most one update a second, and the last."""

    def __init__(self, min_interval_s: float = 1.0) -> None:
        self.artifact_id: Any = None
        self.min_interval_s = min_interval_s
        self._last = 0.0
        self._lock = threading.Lock()

    def open(self) -> None:
        from prefect.artifacts import create_progress_artifact

        try:
            self.artifact_id = create_progress_artifact(
                0.0, key="prospectus-progress", description="documents downloaded, extracted and sent to the model"
            )
        except Exception as exc:  # the UI's progress bar is a display: never a reason to fail the run
            log.debug("no progress artifact: %s", exc)

    def __call__(self, progress: Progress, *, force: bool = False) -> None:
        if self.artifact_id is None:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.min_interval_s:
                return
            self._last = now
        from prefect.artifacts import update_progress_artifact

        update_progress_artifact(self.artifact_id, round(100 * progress.fraction(), 1), description=progress.summary())


@contextlib.contextmanager
def run_progress(run_key: str) -> Iterator[Progress]:
    """The run's :class:`Progress`, installed for its tasks, with its artifact in the UI."""
    lines = logging.getLogger("core.progress")
    if lines.level == logging.NOTSET and not lines.isEnabledFor(logging.INFO):
        # a served run's process has Prefect's root level (WARNING): the progress lines are INFO, and
        # shown unless a logging configuration names this logger
        lines.setLevel(logging.INFO)
    listener = ArtifactListener()
    listener.open()
    progress = Progress(listener)
    with started(run_key, progress):
        try:
            yield progress
        finally:
            with contextlib.suppress(Exception):
                listener(progress, force=True)
