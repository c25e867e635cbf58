"""``python -m flows``: the CLI (flows.cli). Spawned worker processes never run this module."""

import atexit
import os
import sys

#: the exit code main() returned; empty while it runs, and when it raised (the interpreter exits as usual)
_RETURNED: list[int] = []


def _end_now() -> None:
    """Registered before anything else, so it runs after every other exit handler (Prefect's queued
    logs and events, multiprocessing's children, logging's handlers): the process then ends at once,
    without the interpreter tearing its modules down one by one (~0.4 s of CPU once Prefect, openai
    and openpyxl are loaded: the last thing a run waited for). Only exit handlers registered before
    this module ran (a ``sitecustomize``'s) are not run."""
    if _RETURNED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_RETURNED[0])


if __name__ == "__main__":
    atexit.register(_end_now)
    from flows.cli import main

    _RETURNED.append(main())
    sys.exit(_RETURNED[0])
