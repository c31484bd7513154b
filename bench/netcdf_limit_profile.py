"""Where the writer's time over the pipeline limit goes (issue 19 item 1): timing spans.

A profile, not a case: it runs ``save_chunks`` (``parallel='processes'``, default xxh3
integrity record) on the registry's compute-included case (``compute_case`` in
fastiter/bench/netcdf_write.py, whose ratios ``fastiter bench`` gives), after a warm-up
run, and splits the wall time into:

- parent: ``plan_chunks`` (slicing, encoding every piece, graph optimisation, source
  fingerprint) and its top functions by cProfile; ``run_plan`` until the first child
  starts a file (fork) and until the last file is reported;
- children (forked, timed by wrapping the file job's steps in each child): compute of
  the piece (``_materialise``), the netCDF4 library write (first file of a layout per
  child), the layout write with the xxh3 record hashed while writing, the content
  digests, the hashing of files written by the library (``file_regions``), and the
  minor page faults of the children (``getrusage``), per file summed over children.

Then the registry case's own limit parts (compute alone with dask threads, page-cache
write of the same bytes), same run::

    flock /tmp/fastiter-bench.lock python bench/netcdf_limit_profile.py 480
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
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fastiter.bench.netcdf_write import CHUNK, compute_case
from fastiter.bench.netcdf_write import _lazy as lazy

SPANS: dict[str, float] = defaultdict(float)


def _timed(name: str, fn: Callable) -> Callable:
    def wrapper(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            SPANS[name] += time.perf_counter() - t0

    return wrapper


def instrument(log: str) -> None:
    """Wrap the children's steps; each child appends its spans to ``log`` per file."""
    from fastiter.netcdf import filejob, forkpool, layout

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
    job = forkpool.run_job

    def run_job(j: Any) -> Any:
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_SELF)
        r = job(j)
        after = resource.getrusage(resource.RUSAGE_SELF)
        spans = dict(SPANS)
        SPANS.clear()
        spans["job total (child)"] = time.perf_counter() - t0
        spans["minor page faults"] = after.ru_minflt - before.ru_minflt
        spans["child cpu s"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        with open(log, "a") as f:
            f.write(json.dumps({"pid": os.getpid(), **spans}) + "\n")
        return r

    forkpool.run_job = run_job


def main(months: int) -> None:
    from fastiter.bench.core import interleaved_times
    from fastiter.netcdf import make_rasm, plan_chunks, run_plan, save_chunks

    source = make_rasm(n_time=months, ny=205, nx=275, seed=2026)
    chunked = source.chunk({"time": CHUNK})
    root = tempfile.mkdtemp(prefix="fastiter-prof-")
    log = os.path.join(root, "spans.jsonl")
    try:
        save_chunks(lazy(chunked), f"{root}/warm", parallel="processes", progress=False)
        instrument(log)
        out = f"{root}/fi"
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        plan = plan_chunks(lazy(chunked), out, parallel="processes")
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
        tot: dict[str, float] = defaultdict(float)
        for r in rows:
            for k, v in r.items():
                if k != "pid":
                    tot[k] += v
        print(
            f"children: {len({r['pid'] for r in rows})} processes, {len(rows)} files; "
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
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 480)
