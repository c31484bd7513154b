"""The reader and the writer share netCDF-C's lock (xarray's NETCDFC_LOCK): netCDF-C is
not thread-safe, so a netCDF3 read must wait while a threads writer holds it."""

import threading

import numpy as np
import pytest

import fastiter._ncaccess as access
from fastiter.netcdf import make_rasm
from fastiter.netcdf._xarray_private import NETCDFC_LOCK
from fastiter.netcdf.filejob import HDF5_LOCK as WRITER_LOCK
from fastiter.netcdf.reader import NetCDFDataSetIterator


def test_the_reader_takes_xarrays_and_the_writers_netcdf_c_locks():
    assert access.NETCDFC.targets == (NETCDFC_LOCK, WRITER_LOCK)


@pytest.mark.parametrize("held", [NETCDFC_LOCK, WRITER_LOCK], ids=["xarray", "writer"])
def test_a_netcdf3_read_waits_while_the_writer_holds_the_lock(tmp_path, held):
    ds = make_rasm(n_time=12, ny=3, nx=4, seed=2)
    p = str(tmp_path / "c.nc")
    ds.to_netcdf(p, format="NETCDF3_64BIT")
    it = NetCDFDataSetIterator(p, "Tair", batch_size=12, dtype=np.float64)
    it.close()  # the next read reopens the file, under the lock
    done = threading.Event()
    got = []

    def read():
        got.append(it.next().features)
        done.set()

    with held:  # xarray's netCDF4 backend / the threads writer around netCDF-C calls
        t = threading.Thread(target=read)
        t.start()
        assert not done.wait(0.5), "the netCDF3 read ran while netCDF-C was locked"
    t.join(30)
    assert done.is_set()
    np.testing.assert_array_equal(got[0], ds.Tair.values.reshape(12, -1))
    it.close()


def test_without_xarray_the_reader_has_a_lock_of_its_own():
    lock = access.NetCDFCLock()  # what the access layer has until fastiter.netcdf loads
    assert lock.targets[0] not in (NETCDFC_LOCK, WRITER_LOCK)
    with lock:
        assert not lock.targets[0].acquire(blocking=False)


def test_switching_the_lock_waits_for_its_holder_and_moves_waiters():
    lock, new = access.NetCDFCLock(), threading.Lock()
    (old,) = lock.targets
    order = []
    lock.__enter__()
    switcher = threading.Thread(target=lambda: (lock.use(new), order.append("switched")))
    switcher.start()
    assert not order  # use() waits for the holder of the current lock
    waiter = threading.Thread(
        target=lambda: (lock.__enter__(), order.append("entered"), lock.__exit__())
    )
    waiter.start()
    lock.__exit__()
    switcher.join(10)
    waiter.join(10)
    assert "switched" in order and "entered" in order
    assert lock.targets == (new,) and not new.locked() and not old.locked()
