"""How many CPUs this process may really use: the one answer every default thread or
worker count is sized from (the native pool, async producers, the netCDF writers, the
BLAS cap).

``os.cpu_count()`` counts the machine.  A process started under ``taskset`` may run on
fewer CPUs (its affinity mask), and one in a container may be granted less CPU time
than it has CPUs to run on (the cgroup's CFS quota: ``docker --cpus=1.5`` sets
``cpu.max`` to ``150000 100000``).  Threads beyond either limit only queue for the same
time slices, so the usable count is the smaller of the two, the quota rounded up (as
the JVM and Go read it: 1.5 CPUs of time keep two threads partly busy).
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

__all__ = ["available_cpus", "affinity_cpus", "cgroup_cpu_limit"]


def affinity_cpus() -> int:
    """CPUs in this process's affinity mask (``os.cpu_count()`` where there is none)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None


def _quota_v2(folder: Path) -> float | None:
    """``cpu.max`` of one cgroup v2 folder: ``"max 100000"`` or ``"150000 100000"``."""
    text = _read(folder / "cpu.max")
    if not text:
        return None
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    try:
        quota, period = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def _quota_v1(folder: Path) -> float | None:
    """``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` of one cgroup v1 folder (-1: none)."""
    quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
    try:
        q, p = int(quota or ""), int(period or "")
    except ValueError:
        return None
    return q / p if q > 0 and p > 0 else None


def _chain(mount: Path, cgroup: str) -> list[Path]:
    """``mount/cgroup`` and each of its parents up to ``mount``: a limit set on an
    ancestor binds every group below it."""
    rel = [p for p in cgroup.strip("/").split("/") if p and p != ".."]
    return [mount.joinpath(*rel[:i]) for i in range(len(rel), -1, -1)]


def cgroup_cpu_limit(
    proc_self: str | os.PathLike = "/proc/self", sys_fs_cgroup: str | os.PathLike = "/sys/fs/cgroup"
) -> float | None:
    """The CPU time this process's cgroups grant, in CPUs (1.5 = 150 ms per 100 ms), or
    None when unlimited or unknown.  Reads cgroup v2 ``cpu.max`` and v1 CFS quotas of the
    process's group and its ancestors, and returns the tightest.

    The two folders are arguments so that a test can point them at a made-up tree.
    """
    text = _read(Path(proc_self) / "cgroup")
    if not text:
        return None
    root, limits = Path(sys_fs_cgroup), []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # cgroup v2: one unified hierarchy (under unified/ in
            # the hybrid layout, beside the v1 controllers)
            mount = root if (root / "cgroup.controllers").is_file() else root / "unified"
            folders, reader = _chain(mount, path), _quota_v2
        elif "cpu" in controllers.split(","):
            v1: Path | None = next(
                (
                    root / name
                    for name in ("cpu,cpuacct", "cpu", "cpuacct,cpu")
                    if (root / name).is_dir()
                ),
                None,
            )
            if v1 is None:
                continue
            folders, reader = _chain(v1, path), _quota_v1
            # inside a container the group's own path is often not visible: the mount
            # itself is then the group
        else:
            continue
        limits += [q for q in map(reader, folders) if q is not None]
    return min(limits) if limits else None


#: How long a read of the cgroup quota is reused: reading it takes ~80 us of file I/O,
#: and async pipelines ask at every start; a quota changed at run time (a container
#: resized in place) is seen within this many seconds.
QUOTA_TTL_SECONDS = 5.0
_quota_read_at = -math.inf  # monotonic time of the last read
_quota_value: float | None = None


def _quota() -> float | None:
    global _quota_read_at, _quota_value
    now = time.monotonic()
    if now - _quota_read_at > QUOTA_TTL_SECONDS:
        _quota_read_at, _quota_value = now, cgroup_cpu_limit()
    return _quota_value


def available_cpus() -> int:
    """The CPUs this process can keep busy: its affinity mask, capped by its cgroup's CPU
    quota (rounded up), at least 1.  The affinity mask is read at every call (a cheap
    system call), the quota at most every ``QUOTA_TTL_SECONDS``.

    Examples
    --------
    >>> 1 <= available_cpus() <= (os.cpu_count() or 1)
    True
    """
    n = affinity_cpus()
    quota = _quota()
    if quota is not None:
        n = min(n, max(1, math.ceil(quota)))
    return n
