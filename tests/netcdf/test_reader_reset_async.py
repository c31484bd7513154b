"""``reset(paths=...)`` through AsyncDataSetIterator and wrapper chains, also mid-epoch
while the producers run: the batches after it are the new files' (``ds.isel``), no file
descriptor or thread is left behind, and a refused reset leaves the iterator working on
its old files."""

import gc

import numpy as np
import pytest
from fdcount import fds_to, threads

from fastiter import AsyncDataSetIterator
from fastiter.errors import StaleBatchError, UnsupportedOperationError
from fastiter.iterators.array import ArrayDataSetIterator
from fastiter.iterators.async_shield import AsyncShieldDataSetIterator
from fastiter.iterators.caching import CachingDataSetIterator
from fastiter.iterators.shard import shard
from fastiter.iterators.wrappers import EarlyTerminationDataSetIterator
from fastiter.netcdf import make_rasm, save_chunks
from fastiter.netcdf.reader import HDF5DataSetIterator, NetCDFDataSetIterator
from fastiter.netcdf.series import SeriesError

WIN = 4


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    ds = make_rasm(n_time=48, ny=3, nx=4, seed=5)
    root = tmp_path_factory.mktemp("reset-async")
    paths = save_chunks(ds, str(root), chunks={"time": 12}, parallel="serial", progress=False)
    return ds, paths


def want_windows(ds, first, last):
    """Every window of WIN steps, stride 1, over steps [first, last), as [F, T]."""
    return [
        ds.Tair.isel(time=slice(s, s + WIN)).values.reshape(WIN, -1).T
        for s in range(first, last - WIN + 1)
    ]


def same(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)  # NaN where NaN


def windows_of(batches):
    return [w for b in batches for w in b.features]


def rest(it):
    """The windows of the rest of this epoch (a ``for`` loop would start a new one)."""
    out = []
    while it.has_next():
        out.extend(w.copy() for w in it.next().features)  # copies: buffers may be reused
    return out


def base_iter(paths):
    return NetCDFDataSetIterator(
        paths, "Tair", batch_size=3, window=WIN, stride=1, dtype=np.float64
    )


@pytest.mark.parametrize("workers,reuse", [(1, False), (2, False), (2, True)])
def test_async_reset_to_new_paths_mid_epoch(series, workers, reuse):
    ds, paths = series
    # the expected windows first, so that the thread counts see the iterator's work only
    want_first, want = want_windows(ds, 0, 24)[:6], want_windows(ds, 24, 48)
    assert len(want) == 21
    gc.collect()
    before = threads()
    base = base_iter(paths[:2])
    it = AsyncDataSetIterator(base, queue_size=2, workers=workers, reuse_buffers=reuse)
    first = [it.next().features.copy() for _ in range(2)]  # producers run ahead now
    same([w for b in first for w in b], want_first)
    it.reset(paths=paths[2:])  # months 24..47
    assert fds_to(paths[:2]) == 0  # the old files are closed
    got = [w.copy() for b in it for w in b.features]
    same(got, want)  # windows across the file boundary included
    it.reset()  # a plain reset keeps the new files
    assert len(windows_of(it)) == 21
    it.close()
    base.close()
    gc.collect()
    assert fds_to(paths) == 0
    assert threads() == before


def test_async_reset_to_new_paths_hdf5(tmp_path, rng):
    import h5py

    data = rng.normal(size=(40, 3))
    paths = []
    for i in range(4):
        p = str(tmp_path / f"d_{i}.h5")
        with h5py.File(p, "w") as f:
            f["x"] = data[10 * i : 10 * i + 10]
        paths.append(p)
    base = HDF5DataSetIterator(paths[:2], "x", batch_size=2, window=3, stride=1, dtype=np.float64)
    with AsyncDataSetIterator(base, queue_size=2, workers=2) as it:
        it.next()
        it.reset(paths=paths[2:])
        got = windows_of(it)
    assert len(got) == 18 and fds_to(paths[:2]) == 0
    for j, g in enumerate(got):
        np.testing.assert_array_equal(g, data[20 + j : 23 + j].T)
    base.close()


def test_reset_paths_through_wrapper_chains(series):
    ds, paths = series
    want = want_windows(ds, 12, 36)
    # a wrapper inside the async iterator, and one outside it
    inner = AsyncDataSetIterator(EarlyTerminationDataSetIterator(base_iter(paths[:1]), 100), 2)
    outer = AsyncShieldDataSetIterator(AsyncDataSetIterator(base_iter(paths[:1]), 2, workers=2))
    for it in (inner, outer):
        it.next()
        it.reset(paths=paths[1:3])
        got = windows_of(it)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        it.close()
    short = EarlyTerminationDataSetIterator(base_iter(paths[:1]), 2)
    short.reset(paths=paths[1:3])
    same(windows_of(short), want[:6])
    short.close()


def test_reset_paths_through_a_shard_reindexes_it(series):
    ds, paths = series
    want = want_windows(ds, 12, 48)  # 33 windows: 11 batches of 3
    base = base_iter(paths[:1])
    with AsyncDataSetIterator(shard(base, 1, 2), queue_size=2) as it:
        it.next()
        it.reset(paths=paths[1:])
        got = windows_of(it)
    odd = [w for b in range(1, 11, 2) for w in want[3 * b : 3 * b + 3]]
    assert len(got) == 15
    same(got, odd)
    base.close()


@pytest.mark.parametrize("reuse", [False, True])
def test_refused_reset_mid_epoch_keeps_the_old_files(series, tmp_path, reuse):
    ds, paths = series
    base = base_iter(paths[:2])
    it = AsyncDataSetIterator(base, queue_size=2, workers=2, reuse_buffers=reuse)
    want = want_windows(ds, 0, 24)
    held = it.next()  # a batch the user still holds across the refused reset
    got = [w.copy() for w in held.features] + [w.copy() for w in it.next().features]
    with pytest.raises(SeriesError, match="gap along 'time'") as e:
        it.reset(paths=[paths[0], paths[2]])
    assert paths[2] in str(e.value)
    small = str(tmp_path / "small.nc")
    make_rasm(n_time=12, ny=2, nx=4, seed=1).to_netcdf(small)
    with pytest.raises(ValueError, match=r"values per step"):  # another batch shape
        it.reset(paths=[small])
    assert fds_to([paths[2], small]) == 0  # the checks' files are closed again
    # the epoch goes on where the consumer was: no batch lost or repeated
    got += rest(it)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    if reuse:  # its pooled buffer now holds a later batch: refused, not served wrong
        with pytest.raises(StaleBatchError):
            held.features  # noqa: B018 (the read is the test)
    else:
        np.testing.assert_array_equal(held.features[0], want[0])
    it.reset()
    assert len(windows_of(it)) == len(want)
    it.close()
    base.close()


def test_wrappers_that_cannot_forward_paths_refuse_loudly(series):
    ds, paths = series
    caching = AsyncDataSetIterator(CachingDataSetIterator(base_iter(paths[:1])), 2)
    caching.next()
    with pytest.raises(UnsupportedOperationError, match="CachingDataSetIterator"):
        caching.reset(paths=paths[1:2])
    assert len(rest(caching)) == 12 - WIN + 1 - 3  # still usable, nothing dropped
    caching.close()
    arrays = AsyncDataSetIterator(ArrayDataSetIterator(np.ones((6, 2)), None, 2), 2)
    with pytest.raises(UnsupportedOperationError, match="ArrayDataSetIterator .*paths"):
        arrays.reset(paths=paths[1:2])
    assert len(list(arrays)) == 3
    arrays.close()
