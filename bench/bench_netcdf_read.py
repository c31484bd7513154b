"""Reading many netCDF files into batches (issue 20): fastiter against its peers.

Workloads, peers and the bit-for-bit check are defined once in
``fastiter.bench.netcdf_read`` (``fastiter bench`` runs the same list).  A real
run uses 30 rasm-shaped files (360 months on the 205 x 275 grid); the smoke run
(``--benchmark-disable``) 3 small files.

Every case is a registry case (``test_case``), in groups named after it, with fastiter,
its peers and the ``np.copyto`` ceiling side by side:
- per-step batches [32, 56375] float32, drop_last, and windows of 6, stride 1, batch 8,
  ``drop_nan_columns=True``, across file boundaries; warm page cache;
- the async case (``AsyncDataSetIterator(workers=2)`` over the windows workload, a consumer
  as heavy as the read, and the machine's overlap controls;
  ``fastiter.bench.netcdf_read_async``);
- opt-in (``--opt-in netcdf_read_cold``): both workloads with a cold page cache, the files
  evicted before every timed call (fsync + ``posix_fadvise(DONTNEED)``, checked with
  ``fincore`` when it is installed).
"""

from __future__ import annotations

import pytest

pytest.importorskip("xarray")
pytest.importorskip("h5py")

# The registry's cases: warm page cache and the async case with its overlap controls
# (fastiter.bench.netcdf_read.cases, what ``fastiter bench`` runs) and, opt-in, the cold
# ones (``fastiter bench --only netcdf_read_cold``, or here ``--opt-in netcdf_read_cold``).
FAMILIES = ["netcdf_read", "netcdf_read_cold"]


def test_case(run_registry):
    run_registry()
