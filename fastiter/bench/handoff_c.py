"""The C->C ring hand-off: ``csrc/examples/ring_handoff.c`` compiled against the
installed C library (the header and ``libfastiter.so`` the wheel ships, the flags of
``fastiter config --cflags --libs``), one native producer thread, the main thread
consuming (bench/bench_async.py runs it too).

Needs a C compiler (``$CC``, ``cc`` or ``gcc``) and the example's source, which a source
checkout has and a wheel does not; without either the family is skipped with a note.
The rates are the program's own (its clock starts after the process is up): one item at
a time, in bulk (up to 1024 items per index update), and one at a time with both
threads on one vCPU (``taskset``; skipped without it).  On a VM, single-item hand-offs
between two vCPUs are bimodal from run to run (each item moves the ring's index line
between them), so the row gives the best and the one-vCPU figure beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastiter.bench._sizes import pick
from fastiter.bench.core import Case

__all__ = ["cases", "compiler", "example_source", "missing"]


def compiler() -> str | None:
    """The C compiler: ``$CC``, else ``cc`` or ``gcc`` on the PATH, else None."""
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")


def example_source() -> Path:
    """Where a source checkout keeps the example (not shipped in the wheel)."""
    import fastiter

    return Path(fastiter.__file__).resolve().parents[1] / "csrc" / "examples" / "ring_handoff.c"


def missing() -> str | None:
    """Why the family cannot run here, or None."""
    if compiler() is None:
        return "no C compiler found (set CC, or install cc/gcc)"
    if not example_source().exists():
        return (
            f"{example_source()} not found: the C example comes with a source checkout, "
            f"not with the wheel"
        )
    return None


def _build(out_dir: str) -> str:
    """Compile the example, linked to the installed library, as a user outside the tree."""
    import fastiter

    lib = fastiter.get_library_dir()
    exe = os.path.join(out_dir, "ring_handoff")
    cc = compiler()
    assert cc is not None
    cmd = [cc, "-std=c11", "-O2", "-pthread", f"-I{fastiter.get_include()}"]
    cmd += [str(example_source()), "-o", exe, f"-L{lib}", f"-Wl,-rpath,{lib}", "-lfastiter"]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return exe


def cases(size: str = "full") -> list[Case]:
    """The C hand-off of ``n`` items through a Ring(65536): single items, bulk, one vCPU.

    >>> [c.key for c in cases("smoke")] if missing() is None else ["hand-off C->C"]
    ['hand-off C->C']
    """
    root = tempfile.mkdtemp(prefix="fastiter-bench-c-")
    exe = _build(root)
    n = pick(size, 10_000_000, 2_000_000, 200_000)
    rates: dict[str, float] = {}

    def run(mode: str, prefix: tuple[str, ...] = ()) -> Callable[[], None]:
        def go() -> None:
            cmd = [*prefix, exe, str(n), mode]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            if "ORDER ERROR" in out:
                raise AssertionError(f"{' '.join(cmd)}: items out of order or lost: {out}")
            m = re.search(r"([\d.]+) M items/s", out)
            assert m is not None, out
            label = mode + (", one vCPU" if prefix else "")
            rates[label] = max(rates.get(label, 0.0), float(m.group(1)))

        return go

    taskset = shutil.which("taskset")
    peers: dict[str, Callable[[], Any] | None] = {
        "C bulk": run("bulk"),
        "C single, one vCPU": run("single", (taskset, "-c", "0")) if taskset else None,
    }

    def summary(row: dict[str, Any]) -> str:
        return "program's own rates (best): " + " · ".join(
            f"{k} {v:.0f} M items/s" for k, v in rates.items()
        )

    return [
        Case(
            f"hand-off C->C of {n} items, Ring(65536), one item at a time",
            run("single"),
            peers,
            8 * n,
            items=n,
            rounds=3,
            key="hand-off C->C",
            summary=summary,
            notes=[
                "times include the process start; the summary gives the program's own "
                "clock; single items between two vCPUs are bimodal on a VM"
            ],
        )
    ]
