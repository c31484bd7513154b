"""The integrity record's cost on the pure write, measured with the cases alternating.

pytest-benchmark's ``netcdf-write`` group (bench/bench_netcdf.py) takes 3 rounds per
case, one case after another; on a shared 2-core machine the load of the moment moves
those by more than the 10% being measured.  This script alternates the cases round by
round (``checksum=None``, then each algorithm), so a change of load hits them alike,
and prints the min and median wall and CPU time of each and their cost over None::

    flock /tmp/fastiter-bench.lock python bench/netcdf_record_cost.py 67 15 xxh3 crc32 sha256

Arguments: k (36*k months of the full rasm grid; 67 is 1.09 GB), rounds, algorithms.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time


def main(k: int, rounds: int, algorithms: list[str]) -> None:
    from fastiter.netcdf import make_rasm, save_chunks

    ds = make_rasm(n_time=36 * k, ny=205, nx=275, seed=2026)
    cases: list[str | None] = [None, *algorithms]
    wall: dict = {c: [] for c in cases}
    cpu: dict = {c: [] for c in cases}
    root = tempfile.mkdtemp(prefix="fastiter-record-")
    try:
        for _ in range(rounds):
            for checksum in cases:
                out = os.path.join(root, "out")
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                time.sleep(0.2)  # let the removal's page-cache work settle
                c0, t0 = time.process_time(), time.perf_counter()
                res = save_chunks(
                    ds, out, chunks={"time": 12}, workers=2, progress=False, checksum=checksum
                )
                wall[checksum].append(time.perf_counter() - t0)
                cpu[checksum].append(time.process_time() - c0)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"{ds.nbytes / 1e9:.2f} GB, {len(res)} files, runner {res.runner}, "
        f"{rounds} alternating rounds"
    )
    base_w, base_c = min(wall[None]), min(cpu[None])
    for c in cases:
        w, t = sorted(wall[c]), sorted(cpu[c])
        line = (
            f"checksum={c!s:7s} wall min {w[0] * 1e3:5.0f} ms median "
            f"{w[len(w) // 2] * 1e3:5.0f} | CPU min {t[0] * 1e3:5.0f} ms median "
            f"{t[len(t) // 2] * 1e3:5.0f}"
        )
        if c is not None:
            med = (w[len(w) // 2] / sorted(wall[None])[len(w) // 2] - 1) * 100
            line += (
                f" | cost: wall min {(w[0] / base_w - 1) * 100:+.1f}%, median "
                f"{med:+.1f}%, CPU min {(t[0] / base_c - 1) * 100:+.1f}%"
            )
        print(line)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 67,
        int(sys.argv[2]) if len(sys.argv) > 2 else 15,
        sys.argv[3:] or ["xxh3"],
    )
