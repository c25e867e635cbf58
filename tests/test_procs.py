"""core.procs reads Linux's /proc: the run's bookkeeping (which Prefect servers it started), the tests
that watch a run's process tree and the benchmarks that sample its CPU and memory all go through it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from core import procs

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="Linux /proc")

# a child that names itself like a hostile process name, starts a grandchild, and waits
_CHILD = (
    "import subprocess, sys, time;"
    "open('/proc/self/comm', 'w').write('x) 1 2 (y');"
    "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', 'grandchild-mark']);"
    "print(g.pid, flush=True); time.sleep(60)"
)


def test_a_process_named_with_parentheses_and_spaces_still_reads_its_parent_and_tree() -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, "child-mark"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        grandchild = int(child.stdout.readline())
        me = procs.read(child.pid)
        assert me is not None and me.ppid == os.getpid() and "child-mark" in me.cmd and me.rss_mb > 1
        assert [p.pid for p in procs.children(os.getpid()) if "child-mark" in p.cmd] == [child.pid]
        under = procs.tree(child.pid)
        assert set(under) == {child.pid, grandchild}
        assert "grandchild-mark" in under[grandchild].cmd
        assert grandchild not in {p.pid for p in procs.children(os.getpid())}  # children are direct only
    finally:
        child.kill()
        child.wait()


def test_cpu_is_the_processes_own_and_a_gone_process_reads_none() -> None:
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\ntime.sleep(60)"
    spin = subprocess.Popen([sys.executable, "-c", burn])
    try:
        deadline = time.monotonic() + 20
        while (p := procs.read(spin.pid)) is not None and p.cpu_s < 0.4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert p is not None and 0.4 <= p.cpu_s < 5
    finally:
        spin.kill()
        spin.wait()
    assert procs.read(spin.pid) is None


def test_spawned_children_are_the_workers_not_multiprocessings_resource_tracker() -> None:
    """The trap: a spawned pool's first worker also starts a resource tracker, a child of the same
    parent that is not a worker."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    before = {p.pid for p in procs.spawned(os.getpid())}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        worker = pool.submit(os.getpid).result(timeout=60)
        trackers = [p.pid for p in procs.children(os.getpid()) if "resource_tracker" in p.cmd]
        spawned = {p.pid for p in procs.spawned(os.getpid())}
    assert spawned - before == {worker}
    assert trackers and not spawned & set(trackers)
