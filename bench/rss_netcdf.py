"""Peak RSS of the chunked writer per runner, against the size of the data written.

Each measurement runs in a fresh interpreter: the lazily generated rasm stand-in
(``make_rasm(n_time, chunks={'time': 12})``, 5.4 MB per 12-step chunk) goes through
the seed's computation ``sqrt(sin(ds)**2 + cos(ds)**2)`` and ``save_chunks`` with the
runner under test; nothing large is built in the parent.  Printed per run (one JSON
line): the process's peak RSS and, for ``processes``, the largest forked child's
(``RUSAGE_CHILDREN``), for ``cluster`` the largest worker's (``LocalCluster(2 x 1)``).

    python bench/rss_netcdf.py --gb 0.5 1 2 10 --runner processes threads serial cluster
    FASTITER_NC_LAYOUT=0 python bench/rss_netcdf.py --gb 1 --runner threads

Output files are removed after each size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

STEP_BYTES = 205 * 275 * 8


def _measure(gb: float, runner: str, root: str) -> dict:
    import resource

    import numpy as np

    from fastiter.netcdf import make_rasm, save_chunks

    n_time = max(12, int(gb * 1e9 / STEP_BYTES) // 12 * 12)
    ds = make_rasm(n_time=n_time, chunks={"time": 12})
    ds = np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)
    client = None
    parallel = runner
    if runner == "cluster":
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = parallel = Client(cluster)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    paths = save_chunks(
        ds, root, chunks={"time": 12}, parallel=parallel, progress=False, overwrite=True
    )
    out = {
        "gb": gb,
        "runner": runner,
        "files": len(paths),
        "data_bytes": n_time * STEP_BYTES,
        "layout": os.environ.get("FASTITER_NC_LAYOUT", "1") != "0",
        "parent_before_mb": before / 1024,
        "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if runner == "processes":
        out["child_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if client is not None:
        peaks = client.run(lambda: __import__("resource").getrusage(0).ru_maxrss)
        out["worker_peak_mb"] = max(peaks.values()) / 1024
        client.close()
        cluster.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, nargs="+", default=[0.5, 1, 2])
    ap.add_argument(
        "--runner",
        nargs="+",
        default=["processes", "threads", "serial"],
        choices=("processes", "threads", "serial", "cluster"),
    )
    ap.add_argument("--root", default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        root = args.root
        try:
            print(json.dumps(_measure(args.gb[0], args.runner[0], root)), flush=True)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    for gb in args.gb:
        for runner in args.runner:
            root = tempfile.mkdtemp(prefix="fastiter-rss-", dir=args.root)
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    "--gb",
                    str(gb),
                    "--runner",
                    runner,
                    "--root",
                    root,
                ],
                check=True,
            )
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
