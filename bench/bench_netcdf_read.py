"""Reading many netCDF files into batches (issue 20): fastiter against its peers.

Workloads, peers and the bit-for-bit check are defined once in
``fastiter.bench.netcdf_read`` (``fastiter bench`` runs the same list).  A real
run uses 30 rasm-shaped files (360 months on the 205 x 275 grid); the smoke run
(``--benchmark-disable``) 3 small files.

Groups (fastiter, its peers and the ``np.copyto`` ceiling side by side):
- warm page cache: the registry's cases (``test_case``), in groups named after them;
- ``netcdf-read-steps-cold``: per-step batches [32, 56375] float32, drop_last;
- ``netcdf-read-windows-cold``: windows of 6, stride 1, batch 8,
  ``drop_nan_columns=True``, across file boundaries;
- the async case (``AsyncDataSetIterator(workers=2)`` over the windows workload, a consumer
  as heavy as the read, and the machine's overlap controls) is a registry case, timed
  role by role by ``test_case`` (``fastiter.bench.netcdf_read_async``).
Cold rounds evict the files first (fsync + ``posix_fadvise(DONTNEED)``, checked with
``fincore`` when it is installed: ``extra_info['resident_pages_after_evict']``).
Each case stores MB/s and batches/s in ``extra_info``.
"""

from __future__ import annotations

import pytest

pytest.importorskip("xarray")
pytest.importorskip("h5py")

from fastiter.bench.netcdf_read import ReadBench, evict, resident_pages

RUNNERS = [
    "fastiter",
    "h5py read_direct loop",
    "netCDF4 loop",
    "xbatcher (tuned)",
    "dask isel loop",
    "np.copyto ceiling",
]
METHOD = {
    "fastiter": "fastiter",
    "h5py read_direct loop": "h5py_loop",
    "netCDF4 loop": "netcdf4_loop",
    "xbatcher (tuned)": "xbatcher",
    "dask isel loop": "dask_isel",
}


@pytest.fixture(scope="module")
def data(request, tmp_path_factory):
    smoke = bool(request.config.getoption("benchmark_disable", False))
    root = str(tmp_path_factory.mktemp("read-bench"))
    bench = ReadBench(root, n_files=3, ny=20, nx=30) if smoke else ReadBench(root)
    bench.check("steps")
    bench.check("windows")
    yield bench
    bench.close()


def _batches(data, workload):
    it = data.iterator(workload)
    return it.num_batches()


def _record(benchmark, data, workload, extra=None):
    if benchmark.stats is None:  # --benchmark-disable
        return
    best = benchmark.stats.stats.min
    benchmark.extra_info["MB/s"] = round(data.nbytes[workload] / best / 1e6, 1)
    benchmark.extra_info["batches/s"] = round(_batches(data, workload) / best, 1)
    benchmark.extra_info.update(extra or {})


# The registry's cases: warm page cache and the async case with its overlap controls
# (fastiter.bench.netcdf_read.cases, what ``fastiter bench`` runs) and, opt-in, the cold
# ones (``fastiter bench --only netcdf_read_cold``); cold here too, one role per test.
FAMILIES = ["netcdf_read", "netcdf_read_cold"]


def test_case(run_registry):
    run_registry()


@pytest.mark.parametrize("cache", ["cold"])
@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("workload", ["steps", "windows"])
def test_read(benchmark, data, workload, runner, cache):
    if runner == "netCDF4 loop" and workload != "steps":
        pytest.skip("the netCDF4 hand loop is a per-step peer")
    if runner == "xbatcher (tuned)":
        pytest.importorskip("xbatcher")
    if runner == "np.copyto ceiling" and cache == "cold":
        pytest.skip("the ceiling is a memory copy: no page cache involved")
    benchmark.group = f"netcdf-read-{workload}-{cache}"
    if runner == "np.copyto ceiling":
        fn = lambda: data.ceiling(workload)  # noqa: E731
    else:
        method = getattr(data, METHOD[runner])
        fn = lambda: method(workload)  # noqa: E731
    fn()  # warm-up: imports, handles, page cache
    extra = {}
    setup = None
    if cache == "cold":
        evict(data.paths)
        extra["resident_pages_after_evict"] = resident_pages(data.paths)
        setup = lambda: evict(data.paths)  # noqa: E731
    slow = runner in ("xbatcher (tuned)", "dask isel loop")
    benchmark.pedantic(fn, setup=setup, rounds=3 if slow else 5, iterations=1, warmup_rounds=0)
    _record(benchmark, data, workload, extra)
