"""The writer, compute included, against its pipeline limit and its peers, cases alternating.

Issue 19 item 1.  For each size of the rasm-like case (full 205 x 275 grid, months a
multiple of 12, split by 12 along time) and each round, in this order:

- ``fastiter:auto`` -- ``save_chunks`` as a user calls it (``parallel='auto'``,
  integrity record on: the default ``checksum='xxh3'``), and the same forced onto
  ``processes``, ``threads`` and ``serial`` (where each runner wins);
- ``xr.save_mfdataset`` (the seed's recipe, dask's default threads) and one
  ``to_netcdf`` of the whole Dataset;
- ``limit:compute`` -- the same lazy expression computed alone with dask's threads,
  every chunk (``dask.persist``); ``compute-assembled`` is ``.compute()``, which also
  copies the chunks into one array: shown, not used, as it is the slower (looser);
- ``limit:page-cache`` -- the computed bytes (computed untimed beforehand) written
  into the page cache as one raw file per piece, one process.

The limit is ``max(compute, page-cache write)`` of the same round.  The cases alternate
round by round so a change of the shared machine's load hits them alike; the table
gives min, median and max over the rounds and the ratios from the minima::

    flock /tmp/fastiter-bench.lock python bench/netcdf_limit.py 36,480,2220 3

Arguments: months per size (36 -> 16 MB, 480 -> 216 MB, 2220 -> 1.0 GB), rounds,
and optionally a comma list of cases to run (default all).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

CHUNK = 12
CASES = (
    "fastiter:auto",
    "fastiter:processes",
    "fastiter:threads",
    "fastiter:serial",
    "xr.save_mfdataset",
    "xr.to_netcdf",
    "limit:compute",
    "compute-assembled",
    "limit:page-cache",
)


def lazy(d: Any) -> Any:
    """The compute of the rasm-like case (as bench/bench_netcdf.py's netcdf-compute)."""
    return np.sqrt(np.sin(d) ** 2 + np.cos(d) ** 2)


def make_cases(months: int, root: str) -> tuple[dict[str, Callable[[], Any]], int]:
    import dask
    import xarray as xr

    from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

    source = make_rasm(n_time=months, ny=205, nx=275, seed=2026)
    chunked = source.chunk({"time": CHUNK})  # data preparation, common to all, untimed
    computed = [
        np.ascontiguousarray(p.Tair.values)
        for p in split_by_chunks(lazy(chunked).compute(), {"time": CHUNK})
    ]

    def out(name: str) -> str:
        path = os.path.join(root, name)
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def fastiter(parallel: str) -> Callable[[], Any]:
        return lambda: save_chunks(lazy(chunked), out("fi"), parallel=parallel, progress=False)

    def mf() -> None:
        pieces = list(split_by_chunks(lazy(chunked), {"time": CHUNK}))
        xr.save_mfdataset(pieces, chunk_paths(pieces, root=out("mf")))

    def raw() -> None:
        folder = out("raw")
        for i, a in enumerate(computed):
            with open(os.path.join(folder, f"p{i}.bin"), "wb") as f:
                f.write(memoryview(a).cast("B"))

    cases = {
        "fastiter:auto": fastiter("auto"),
        "fastiter:processes": fastiter("processes"),
        "fastiter:threads": fastiter("threads"),
        "fastiter:serial": fastiter("serial"),
        "xr.save_mfdataset": mf,
        "xr.to_netcdf": lambda: lazy(chunked).to_netcdf(os.path.join(out("one"), "one.nc")),
        "limit:compute": lambda: dask.persist(lazy(chunked)),
        "compute-assembled": lambda: lazy(chunked).compute(),
        "limit:page-cache": raw,
    }
    return cases, int(source.nbytes)


def run(months: int, rounds: int, only: list[str]) -> dict[str, Any]:
    root = tempfile.mkdtemp(prefix="fastiter-limit-")
    try:
        cases, nbytes = make_cases(months, root)
        names = [c for c in CASES if c in only]
        times: dict[str, list[float]] = {c: [] for c in names}
        runners: dict[str, str] = {}
        for _ in range(rounds):
            for c in names:
                t0 = time.perf_counter()
                r = cases[c]()
                times[c].append(time.perf_counter() - t0)
                if c.startswith("fastiter"):
                    runners[c] = r.runner
        return {
            "months": months,
            "MB": round(nbytes / 1e6, 1),
            "files": months // CHUNK,
            "times": times,
            "runners": runners,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)


def report(res: dict[str, Any]) -> str:
    t = {c: min(v) for c, v in res["times"].items()}
    lines = [
        f"## {res['MB']} MB ({res['files']} files), {len(next(iter(res['times'].values())))}"
        f" rounds",
        "| case | min s | median s | max s | spread |",
        "|---|---|---|---|---|",
    ]
    for c, v in res["times"].items():
        extra = f" ({res['runners'][c]})" if c in res["runners"] else ""
        lines.append(
            f"| {c}{extra} | {min(v):.3f} | {statistics.median(v):.3f} | "
            f"{max(v):.3f} | {max(v) / min(v):.2f}x |"
        )
    if "limit:compute" in t and "limit:page-cache" in t:
        limit = max(t["limit:compute"], t["limit:page-cache"])
        lines.append(f"\nlimit = max(compute, page-cache write) = {limit:.3f} s")
        for c in t:
            if c.startswith("fastiter"):
                lines.append(f"- {c}: {t[c] / limit:.2f}x the limit")
    for peer in ("xr.save_mfdataset", "xr.to_netcdf"):
        if peer in t and "fastiter:auto" in t:
            lines.append(f"- {peer} / fastiter:auto = {t[peer] / t['fastiter:auto']:.2f}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    sizes = [int(m) for m in (argv[0] if argv else "36,480").split(",")]
    rounds = int(argv[1]) if len(argv) > 1 else 3
    only = argv[2].split(",") if len(argv) > 2 else list(CASES)
    for months in sizes:
        res = run(months, rounds, only)
        print(report(res), flush=True)
        print("json: " + json.dumps(res), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
