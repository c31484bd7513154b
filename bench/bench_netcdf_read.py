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
- ``netcdf-read-async``: ``AsyncDataSetIterator(workers=2)`` over the windows workload with
  a compute-bound consumer (``np.sin``, GIL released) calibrated to be as heavy as the
  read; ``extra_info`` holds the read alone, the consumer alone and the ratio
  epoch / max(read, consume).
Cold rounds evict the files first (fsync + ``posix_fadvise(DONTNEED)``, checked with
``fincore`` when it is installed: ``extra_info['resident_pages_after_evict']``).
Each case stores MB/s and batches/s in ``extra_info``.
"""

from __future__ import annotations

import time

import numpy as np
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


# Warm page cache: the registry's cases (fastiter.bench.netcdf_read.cases, what
# ``fastiter bench`` runs); cold: here, the files evicted before every round.
FAMILIES = ["netcdf_read"]


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


class _Consumer:
    """Compute-bound work on each batch that releases the GIL, as a training step is:
    ``np.sin`` over the first ``m`` values, ``k`` times (a memory-bound consumer would
    measure the machine's shared memory bandwidth instead of the overlap)."""

    def __init__(self, m: int | None = None, k: int = 1) -> None:
        self.m, self.k = m, k

    def __call__(self, x: np.ndarray) -> None:
        flat = x.reshape(-1)[: self.m]
        tmp = np.empty_like(flat)
        for _ in range(self.k):
            np.sin(flat, out=tmp)

    def scaled(self, factor: float, size: int) -> _Consumer:
        """A consumer ``factor`` times as heavy (over batches of ``size`` values)."""
        total = factor * self.k * (self.m or size)
        k = max(1, int(total // size))
        return _Consumer(max(1, int(total / k)), k)


def _epoch(it, consume) -> float:
    t0 = time.perf_counter()
    for b in it:
        consume(b.features)
    return time.perf_counter() - t0


def test_async_two_producers(benchmark, data):
    """Epoch with AsyncDataSetIterator(workers=2) vs max(read alone, consume alone)."""
    from fastiter import AsyncDataSetIterator

    benchmark.group = "netcdf-read-async"
    base = data.iterator("windows")
    read = min(_epoch(base, len) for _ in range(3))
    held = [b.features.copy() for b in base]
    one = _Consumer()
    per_pass = min(_time_passes(held, one) for _ in range(3))
    consumer = one.scaled(read / max(per_pass, 1e-9), held[0].size)
    consume = min(_time_passes(held, consumer) for _ in range(3))

    def pipelined() -> None:
        base.reset()  # two producers start at the base's position: the epoch's start
        with AsyncDataSetIterator(base, queue_size=4, workers=2) as it:
            assert it.producers == 2
            for b in it:
                consumer(b.features)

    pipelined()
    benchmark.pedantic(pipelined, rounds=5, iterations=1, warmup_rounds=0)
    if benchmark.stats is not None:
        best = benchmark.stats.stats.min
        _record(
            benchmark,
            data,
            "windows",
            {
                "read_alone_s": round(read, 4),
                "consume_alone_s": round(consume, 4),
                "consumer_values": consumer.m,
                "consumer_passes": consumer.k,
                "epoch_over_max_read_consume": round(best / max(read, consume), 3),
            },
        )


def _time_passes(held, consumer) -> float:
    t0 = time.perf_counter()
    for x in held:
        consumer(x)
    return time.perf_counter() - t0
