"""Peak memory of a write is a few chunks per worker, whatever the number of files.

Each measurement runs in a fresh interpreter (peak RSS is a high-water mark), writing
the lazily generated rasm stand-in through the seed's computation, 12-step chunks of
5.4 MB, as a user's script would.  The same chunk size at N and 4N files must give the
same peak: a writer that keeps what it wrote grows by half the extra data per forked
child (two children) and by all of it in one process.
"""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

_PROBE = r"""
import resource, sys
import numpy as np
from fastiter.netcdf import make_rasm, save_chunks
runner, n_files, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ds = make_rasm(n_time=12 * n_files, chunks={"time": 12})
ds = np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)
paths = save_chunks(ds, root, chunks={"time": 12}, parallel=runner, workers=2,
                    progress=False)
assert len(paths) == n_files
who = resource.RUSAGE_CHILDREN if runner == "processes" else resource.RUSAGE_SELF
print(resource.getrusage(who).ru_maxrss * 1024)
"""

N = 10
CHUNK_BYTES = 12 * 205 * 275 * 8
#: Growth allowed from N to 4N files: ~7 chunks, for heap and page-cache noise.
#: Keeping half of the extra 30 chunks (one of two children) would be 81 MB.
TOLERANCE = 40 << 20


def _peak(tmp_path, runner: str, n_files: int, layout: bool) -> int:
    env = dict(os.environ, FASTITER_NC_LAYOUT="1" if layout else "0")
    root = tmp_path / f"{runner}-{n_files}"
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, runner, str(n_files), str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


@pytest.mark.parametrize(
    "runner,layout", [("processes", True), ("threads", True), ("serial", True), ("threads", False)]
)
def test_peak_rss_is_flat_in_the_number_of_files(tmp_path, runner, layout):
    small = _peak(tmp_path, runner, N, layout)
    large = _peak(tmp_path, runner, 4 * N, layout)
    grew = large - small
    assert grew < TOLERANCE, (
        f"{runner} (layout {'on' if layout else 'off'}): peak RSS "
        f"{'of the largest child ' if runner == 'processes' else ''}grew by "
        f"{grew / 2**20:.0f} MiB from {N} to {4 * N} files of {CHUNK_BYTES / 1e6:.1f} MB "
        f"({small / 2**20:.0f} -> {large / 2**20:.0f} MiB); it should stay within a few "
        f"chunks"
    )


def _worker_peak() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def test_cluster_worker_peak_rss_is_flat_in_the_number_of_files(tmp_path):
    distributed = pytest.importorskip("distributed")
    import numpy as np

    from fastiter.netcdf import make_rasm, save_chunks

    def write(n_files):
        ds = make_rasm(n_time=12 * n_files, chunks={"time": 12})
        ds = np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)
        save_chunks(ds, str(tmp_path / str(n_files)), parallel=client, progress=False)
        return client.run(_worker_peak)

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        small = write(N)  # the high-water marks only rise: the second run adds to them
        large = write(4 * N)
    grew = max(large[w] - small[w] for w in small)
    assert grew < TOLERANCE, (
        f"a cluster worker's peak RSS grew by {grew / 2**20:.0f} MiB "
        f"from {N} to {4 * N} files: {small} -> {large}"
    )
