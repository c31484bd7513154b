"""Where the writer's time over the pipeline limit goes (issue 19 item 1): timing spans.

A profile, not a case: it runs ``save_chunks`` (default xxh3 integrity record) on the
registry's compute-included case (``compute_case`` in fastiter/bench/netcdf_write.py,
whose ratios ``fastiter bench`` gives), after a warm-up run, with the runner that
``parallel='auto'`` picks (threads, for these uncompressed files) or the one named as
the second argument (``processes``, ``threads``, ``serial``), and splits the wall time into:

- parent: ``plan_chunks`` (slicing, encoding every piece, graph optimisation, source
  fingerprint) and its top functions by cProfile; ``run_plan`` until the first worker
  starts a file (fork or thread start), the workers' busy time, and the tail from the
  last file's end to ``run_plan``'s return (reporting, the manifest);
- workers (timed by wrapping the file job's steps in each forked child or thread):
  compute of the piece (``_materialise``), the netCDF4 library write (first file of a
  layout per process), the layout write with the xxh3 record hashed while writing, the
  content digests, the hashing of files written by the library (``file_regions``), and
  the minor page faults (``getrusage``: per child; for threads the process's, so the
  two threads' faults are counted in both), per file summed over workers.

Then the registry case's own limit parts (compute alone with dask threads, page-cache
write of the same bytes), same run::

    flock /tmp/fastiter-bench.lock python bench/netcdf_limit_profile.py 480 [runner]

The first argument is the number of months (480: 217 MB, 2220: 1 GB).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastiter.bench.netcdf_write import CHUNK, compute_case
from fastiter.bench.netcdf_write import _lazy as lazy

_LOCAL = threading.local()


def _spans() -> dict[str, float]:
    """This worker's spans (one dict per thread: two writing threads must not mix)."""
    if not hasattr(_LOCAL, "spans"):
        _LOCAL.spans = defaultdict(float)
    return _LOCAL.spans


def _timed(name: str, fn: Callable) -> Callable:
    def wrapper(*a: Any, **kw: Any) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*a, **kw)
        finally:
            spans = _spans()
            spans[name] += time.perf_counter() - t0
            spans[f"{name}, thread cpu"] += time.thread_time() - c0

    return wrapper


def instrument(log: str) -> None:
    """Wrap the workers' steps; each appends its spans to ``log`` per file, with the
    file's start and end on the monotonic clock (shared by the forked children)."""
    from fastiter.netcdf import filejob, forkpool, layout, runners

    filejob._materialise = _timed("compute (child)", filejob._materialise)
    filejob.content_digests = _timed("content digests (child)", filejob.content_digests)
    filejob.file_regions = _timed(
        "file_regions hash of a library-written file (child)", filejob.file_regions
    )
    for eng, fn in list(filejob._ENGINES.items()):
        filejob._ENGINES[eng] = _timed("netCDF4 library write incl. compute (child)", fn)
    layout.write_with_layout = _timed(
        "layout write + hash while writing (child)", layout.write_with_layout
    )
    job = filejob.run_job
    who = resource.RUSAGE_THREAD if hasattr(resource, "RUSAGE_THREAD") else resource.RUSAGE_SELF

    def run_job(j: Any) -> Any:
        t0 = time.perf_counter()
        before = resource.getrusage(who)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        r = job(j)
        after = resource.getrusage(who)
        t1 = time.perf_counter()
        spans = dict(_spans())
        _spans().clear()
        spans["job total (child)"] = t1 - t0
        spans["minor page faults"] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
        spans["child cpu s"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        row = {"pid": os.getpid(), "tid": threading.get_ident(), "t0": t0, "t1": t1, **spans}
        with open(log, "a") as f:
            f.write(json.dumps(row) + "\n")
        return r

    forkpool.run_job = runners.run_job = run_job


def _timeline(rows: list[dict[str, Any]], start: float, end: float) -> None:
    """run_plan's wall time on the workers' clock: until the first file starts, the
    workers' busy and idle time, and the tail after the last file ends."""
    first, last = min(r["t0"] for r in rows), max(r["t1"] for r in rows)
    workers = {(r["pid"], r["tid"]) for r in rows}
    busy = sum(r["t1"] - r["t0"] for r in rows)
    ends = sorted(max(r["t1"] for r in rows if (r["pid"], r["tid"]) == w) for w in workers)
    print(
        f"run_plan timeline (ms): to first file start {1e3 * (first - start):.1f}, "
        f"first start to last end {1e3 * (last - first):.1f} "
        f"(workers busy {1e3 * busy:.1f} of {1e3 * len(workers) * (last - first):.1f}; "
        f"the first worker to finish idles {1e3 * (last - ends[0]):.1f} at the end), "
        f"tail after the last file {1e3 * (end - last):.1f}"
    )


def main(months: int, parallel: str = "auto") -> None:
    from fastiter.bench.core import interleaved_times
    from fastiter.netcdf import make_rasm, plan_chunks, run_plan, save_chunks

    source = make_rasm(n_time=months, ny=205, nx=275, seed=2026)
    chunked = source.chunk({"time": CHUNK})
    root = tempfile.mkdtemp(prefix="fastiter-prof-")
    log = os.path.join(root, "spans.jsonl")
    try:
        save_chunks(lazy(chunked), f"{root}/warm", parallel=parallel, progress=False)
        # Freed now, as the bench frees the previous role's folder before each call: the
        # timed write reuses these pages.  Kept, the timed write takes free pages the VM
        # has handed back to its host, whose first touch cost 8x (1 GB: 1.7 s of CPU
        # against 0.21 s) and decided the 1 GB profile.
        shutil.rmtree(f"{root}/warm")
        instrument(log)
        out = f"{root}/fi"
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        plan = plan_chunks(lazy(chunked), out, parallel=parallel)
        prof.disable()
        t1 = time.perf_counter()
        result = run_plan(plan, progress=False)
        t2 = time.perf_counter()
        print(f"# {source.nbytes / 1e6:.0f} MB, {len(result)} files, runner {result.runner}")
        print(f"wall {t2 - t0:.3f} s = plan {t1 - t0:.3f} + run {t2 - t1:.3f}")
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(18)
        print("plan_chunks, cProfile (cumulative):")
        print("\n".join(s.getvalue().splitlines()[:40]))
        with open(log) as f:
            rows = [json.loads(x) for x in f]
        _timeline(rows, t1, t2)
        tot: dict[str, float] = defaultdict(float)
        for r in rows:
            for k, v in r.items():
                if k not in ("pid", "tid", "t0", "t1"):
                    tot[k] += v
        print(
            f"workers: {len({(r['pid'], r['tid']) for r in rows})}, {len(rows)} files; "
            f"sums over files (divide by workers for wall share):"
        )
        for k, v in sorted(tot.items()):
            print(
                f"  {k}: {v:.3f}"
                if "faults" not in k
                else f"  {k}: {int(v)} ({int(v) * 4096 / 1e6:.0f} MB of 4 KiB pages)"
            )
        case = compute_case((months, 205, 275), root, "profile")
        parts = interleaved_times(case.ceilings(), 3, 0.0, setup=case.setup)
        print(
            "same run, the registry case's limit parts (best of 3): "
            + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items())
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 480, *sys.argv[2:3])
