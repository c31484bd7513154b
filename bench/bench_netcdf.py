"""The parallel chunked netCDF writer against xarray's ways of writing many files.

Data: the synthetic rasm stand-in, chunked by 12 along time.  ``FASTITER_BENCH_NETCDF_SCALE=k``
uses the full 205 x 275 grid and ``36 * k`` months (k=67 is about 1.1 GB), or
``FASTITER_BENCH_NETCDF_MONTHS=m`` exactly ``m`` months (36: 17 MB, 480: 217 MB, 2220:
1.0 GB, the sizes of issue 19); without either a tiny grid keeps the
``--benchmark-disable`` smoke run fast.  Every case writes to a
fresh folder (cleared outside the timed region); figures are page-cache writes unless
the name says fsync.  Each case's MB/s is stored in ``extra_info``.

The main cases are registry cases (fastiter/bench/netcdf_write.py), run here as in
``fastiter bench`` (``test_case``): pure write (integrity record on) against
``xr.save_mfdataset`` and a raw ``.npy`` ceiling; compute included at 16 MB and 216 MB
against ``xr.save_mfdataset``, ``compute=False`` + ``dask.compute`` and one ``to_netcdf``,
with issue 19's limit max(compute alone with dask threads, page-cache write of the same
bytes); zlib 1 + shuffle against ``xr.save_mfdataset``.  ``FASTITER_BENCH_NETCDF_SCALE``
sets the months of those cases too.  The groups below add variants for comparison:
- ``netcdf-compute``: fastiter without an integrity record (``checksum=None``), compute
  included, on the source chunked by 12 (built once, untimed);
- ``netcdf-write``: fastiter without a record, with crc32, sha256 and xxh3 (the default,
  what resume verifies against) and with fsync; ceiling: raw ``.npy`` by the same
  number of processes;
- ``netcdf-cluster``: ``LocalCluster(2 workers x 1 thread)``, lazily generated data (the
  workers produce their own pieces); fastiter vs ``xr.save_mfdataset`` on that cluster.
  The cluster is shared by the group and fastiter runs first, so its first round pays
  the workers' first imports (xarray, netCDF4, fastiter: ~0.3-0.6 s); min is steady state.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import shutil

import numpy as np
import pytest

pytest.importorskip("xarray")
pytest.importorskip("dask")

import dask
import xarray as xr

from fastiter import _env
from fastiter.netcdf import chunk_paths, make_rasm, save_chunks, split_by_chunks

SCALE = _env.get("FASTITER_BENCH_NETCDF_SCALE")
MONTHS = _env.get("FASTITER_BENCH_NETCDF_MONTHS") or (36 * SCALE if SCALE else None)
SHAPE = (MONTHS, 205, 275) if MONTHS else (36, 20, 30)
ROUNDS = 3 if MONTHS else 1
WORKERS = 2
CHUNK = 12


@pytest.fixture(scope="module")
def source():
    n, ny, nx = SHAPE
    return make_rasm(n_time=n, ny=ny, nx=nx, seed=2026)


@pytest.fixture
def outdir(tmp_path):
    return str(tmp_path / "out")


def _fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def _run(benchmark, fn, outdir, nbytes):
    benchmark.pedantic(
        fn, setup=lambda: _fresh(outdir), rounds=ROUNDS, iterations=1, warmup_rounds=0
    )
    if benchmark.stats is not None:  # None under --benchmark-disable
        best = benchmark.stats.stats.min
        benchmark.extra_info["MB/s"] = round(nbytes / best / 1e6, 1)
        benchmark.extra_info["MB"] = round(nbytes / 1e6, 1)


@pytest.fixture(scope="module")
def chunked(source):
    """The source chunked by 12 along time, built once outside the timed region.

    ``ds.chunk`` hashes and copies the whole numpy source (~0.5 s at 326 MB, ~1.7 s at
    1.1 GB); that is data preparation common to every peer, not the write being compared.
    """
    return source.chunk({"time": CHUNK})


def _lazy(d):
    return np.sqrt(np.sin(d) ** 2 + np.cos(d) ** 2)


def _split(ds, outdir):
    pieces = list(split_by_chunks(ds, {"time": CHUNK}))
    return pieces, chunk_paths(pieces, root=outdir)


# --- the raw .npy ceiling: forked workers inherit the pieces, like fastiter's ----------
_PIECES: list = []


def _npy_one(i, path, compute):
    p = _PIECES[i]
    arr = p.Tair.data
    if compute:
        with dask.config.set(scheduler="synchronous"):
            arr = arr.compute()
    np.save(path, np.asarray(arr))
    return i


def _npy_pool(pieces, outdir, compute):
    _PIECES[:] = pieces
    ctx = multiprocessing.get_context("fork")
    with cf.ProcessPoolExecutor(WORKERS, mp_context=ctx) as ex:
        list(
            ex.map(
                _npy_one,
                range(len(pieces)),
                [f"{outdir}/p{i}.npy" for i in range(len(pieces))],
                [compute] * len(pieces),
            )
        )


# --- compute included ------------------------------------------------------------------
@pytest.mark.benchmark(group="netcdf-compute")
def test_compute_fastiter(benchmark, source, chunked, outdir):
    _run(
        benchmark,
        lambda: save_chunks(_lazy(chunked), outdir, workers=WORKERS, progress=False, checksum=None),
        outdir,
        source.nbytes,
    )


@pytest.mark.benchmark(group="netcdf-compute")
@pytest.mark.parametrize("runner", ["processes", "threads", "serial"])
def test_compute_fastiter_runner(benchmark, source, chunked, outdir, runner):
    """Each runner forced, integrity record on: where each one wins, at this size."""
    _run(
        benchmark,
        lambda: save_chunks(
            _lazy(chunked), outdir, workers=WORKERS, parallel=runner, progress=False
        ),
        outdir,
        source.nbytes,
    )


@pytest.mark.benchmark(group="netcdf-compute")
def test_compute_limit_compute_chunks(benchmark, source, chunked, outdir):
    _run(benchmark, lambda: dask.persist(_lazy(chunked)), outdir, source.nbytes)


# --- pure write, uncompressed and zlib1+shuffle -----------------------------------------
@pytest.mark.benchmark(group="netcdf-write")
def test_write_fastiter(benchmark, source, outdir):
    _run(
        benchmark,
        lambda: save_chunks(
            source, outdir, chunks={"time": CHUNK}, workers=WORKERS, progress=False, checksum=None
        ),
        outdir,
        source.nbytes,
    )


@pytest.mark.benchmark(group="netcdf-write")
@pytest.mark.parametrize("checksum", ["xxh3", "crc32", "sha256"])
def test_write_fastiter_record(benchmark, source, outdir, checksum):
    """The integrity record's cost: xxh3 is the default, the others for comparison."""
    _run(
        benchmark,
        lambda: save_chunks(
            source,
            outdir,
            chunks={"time": CHUNK},
            workers=WORKERS,
            progress=False,
            checksum=checksum,
        ),
        outdir,
        source.nbytes,
    )


@pytest.mark.benchmark(group="netcdf-write")
def test_write_fastiter_fsync(benchmark, source, outdir):
    _run(
        benchmark,
        lambda: save_chunks(
            source,
            outdir,
            chunks={"time": CHUNK},
            workers=WORKERS,
            progress=False,
            checksum=None,
            fsync=True,
        ),
        outdir,
        source.nbytes,
    )


@pytest.mark.benchmark(group="netcdf-write")
def test_write_ceiling_npy_processes(benchmark, source, outdir):
    _run(
        benchmark,
        lambda: _npy_pool(_split(source, outdir)[0], outdir, False),
        outdir,
        source.nbytes,
    )


# The registry's cases run before the cluster's: a live distributed Client would become
# the default scheduler of their dask peers.
FAMILIES = ["netcdf_write"]


def test_case(run_registry):
    run_registry()


# --- on a LocalCluster(2 x 1) -----------------------------------------------------------
@pytest.fixture(scope="module")
def cluster_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _generated():
    n, ny, nx = SHAPE
    d = make_rasm(n_time=n, ny=ny, nx=nx, seed=2026, chunks={"time": CHUNK})
    return np.sqrt(np.sin(d) ** 2 + np.cos(d) ** 2)


@pytest.mark.benchmark(group="netcdf-cluster")
def test_cluster_fastiter(benchmark, cluster_client, source, outdir):
    _run(
        benchmark,
        lambda: save_chunks(
            _generated(), outdir, parallel=cluster_client, progress=False, checksum=None
        ),
        outdir,
        source.nbytes,
    )


@pytest.mark.benchmark(group="netcdf-cluster")
def test_cluster_xr_save_mfdataset(benchmark, cluster_client, source, outdir):
    _run(benchmark, lambda: xr.save_mfdataset(*_split(_generated(), outdir)), outdir, source.nbytes)
