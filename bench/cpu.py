"""Where a run's CPU went, in cores: the Carepath workers, PostgreSQL, Redis and wrk.

On a 2-core machine the load generator and the database share the cores with the server;
this shows how much of them the server had (read from /proc, so Linux only)."""

from __future__ import annotations

import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _group(comm: str, cmdline: str) -> str | None:
    if comm.startswith("postgres"):
        return "postgres"
    if comm.startswith("redis"):
        return "redis"
    if "carepath" in cmdline or "multiprocessing.spawn" in cmdline:
        return "carepath"
    return None


def _cpu_by_group() -> dict[str, float]:
    """CPU seconds so far of the live processes, by group (this bench's own excluded)."""
    totals: dict[str, float] = defaultdict(float)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        group = _group(comm, cmdline)
        if group is not None:
            after_state = stat[stat.rindex(")") + 2 :].split()
            totals[group] += (int(after_state[11]) + int(after_state[12])) / TICKS
    return totals


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cores_used(into: dict[str, float]) -> Iterator[None]:
    """Fills `into` with the cores each group used while the block ran (wrk: this
    process's children that finished meanwhile)."""
    before, children, started = _cpu_by_group(), _children_seconds(), time.perf_counter()
    yield
    wall = time.perf_counter() - started
    after = _cpu_by_group()
    for group in sorted(set(before) | set(after)):
        into[group] = round((after.get(group, 0) - before.get(group, 0)) / wall, 2)
    into["wrk"] = round((_children_seconds() - children) / wall, 2)
