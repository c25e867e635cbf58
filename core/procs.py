"""Processes on this machine as Linux's ``/proc`` shows them: who started whom, CPU and memory.

One reader for the run's bookkeeping (the Prefect servers a run started, so a later run can stop one a
killed run left behind), the tests that watch a run's process tree and the benchmarks that sample it.
Elsewhere than Linux there is no ``/proc``: every function answers as if nothing were running.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


@dataclass(frozen=True, slots=True)
class Proc:
    pid: int
    ppid: int
    cpu_s: float  # user + system, the process itself (not its children)
    rss_mb: float
    #: the arguments joined by spaces; empty for a process that has exited and is not yet reaped
    cmd: str


def read(pid: int) -> Proc | None:
    """``pid`` as it is now; None when it is gone (or there is no ``/proc``)."""
    try:
        # the command name (in parentheses) may itself hold spaces and parentheses: split after the last
        stat = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        cmd = (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        return Proc(pid, int(stat[1]), (int(stat[11]) + int(stat[12])) / _TICK, int(stat[21]) * _PAGE_KB / 1024, cmd)
    except (OSError, IndexError, ValueError):
        return None


def snapshot() -> dict[int, Proc]:
    """Every process readable now, by pid."""
    if not _PROC.is_dir():
        return {}
    return {p.pid: p for d in _PROC.glob("[0-9]*") if (p := read(int(d.name))) is not None}


def children(pid: int, procs: Mapping[int, Proc] | None = None) -> list[Proc]:
    """The processes ``pid`` started that are still running (its direct children)."""
    return [p for p in (snapshot() if procs is None else procs).values() if p.ppid == pid]


def spawned(pid: int, procs: Mapping[int, Proc] | None = None) -> list[Proc]:
    """``pid``'s children started by multiprocessing's spawn (pool and Dask worker processes), not
    the resource tracker multiprocessing starts beside them."""
    return [p for p in children(pid, procs) if "spawn_main" in p.cmd]


def tree(root: int, procs: Mapping[int, Proc] | None = None) -> dict[int, Proc]:
    """``root`` and every process under it, by pid (only those still readable)."""
    procs = snapshot() if procs is None else procs
    kids: dict[int, list[int]] = {}
    for p in procs.values():
        kids.setdefault(p.ppid, []).append(p.pid)
    found, frontier = {root}, [root]
    while frontier:
        for child in kids.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return {pid: procs[pid] for pid in found if pid in procs}
