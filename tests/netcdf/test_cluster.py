"""save_chunks on a dask.distributed LocalCluster: shared objects shipped once, worker-side
compute of each piece, a killed worker, and the heap settings restored after a save."""

import os

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("distributed")
pytest.importorskip("dask")

import dask
import distributed

from fastiter.netcdf import ChunkWriteError, filejob, make_rasm, save_chunks
from fastiter.netcdf import cluster as C
from fastiter.netcdf.encoding import plan_encoding
from fastiter.netcdf.filejob import TEMP_MARK, FileJob
from fastiter.netcdf.split import split_by_chunks


@pytest.fixture(scope="module")
def client():
    # A death is reported at once (no silent re-runs), so the killed-worker case is quick.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


def _reopen(paths):
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        return back.load()


def _expr(ds):
    return np.sqrt(np.sin(ds) ** 2 + np.cos(ds) ** 2)


class _FakeClient:
    """Records what the packer pushes to the workers instead of running it."""

    def __init__(self):
        self.pushed = []

    def run(self, fn, call, box):
        assert fn is C._stash
        self.pushed.append(dict(box.value))


def test_packer_ships_shared_objects_once_and_jobs_unpickle_identical():
    ds = _expr(make_rasm(n_time=48, ny=40, nx=50, chunks={"time": 12}))
    plan = plan_encoding(ds)
    jobs = [FileJob(i, f"/x/{i}.nc", str(i), p, plan) for i, p in enumerate(split_by_chunks(ds))]
    fake = _FakeClient()
    packer = C._JobPacker(fake, "call")
    packed = [packer.pack(j) for j in jobs]
    assert len(fake.pushed) == 1  # once, when the second job meets the same objects
    stash = fake.pushed[0]
    kinds = sorted(k.split(":")[0] for k in stash)
    assert kinds.count("a") >= 2 and "l" in kinds  # xc/yc arrays and the graph layers
    assert packed[0][1] == () and all(used for _, used in packed[1:])
    assert max(len(p) for p, _ in packed[1:]) < len(packed[0][0]) / 10
    for job, (payload, used) in zip(jobs, packed):
        back = C._Unpickler(payload, {k: stash[k] for k in used}).load()
        xr.testing.assert_identical(back.piece.compute(), job.piece.compute())
        inline = C._Unpickler(packer.inline(job), {}).load()
        xr.testing.assert_identical(inline.piece.compute(), job.piece.compute())


def test_computed_walks_only_the_piece_and_matches_compute():
    src = make_rasm(n_time=36, ny=6, nx=7, chunks={"time": 12})
    ds = src.assign(T2=src.Tair * 2.0 + 1.0, S=_expr(src.Tair))
    piece = ds.isel(time=slice(12, 24))
    got = C._computed(piece)
    assert all(not dask.is_dask_collection(v.data) for v in got.variables.values())
    xr.testing.assert_identical(got, piece.compute())
    assert dask.is_dask_collection(piece.Tair.data)  # the input is left untouched
    uneven = ds.isel(time=slice(6, 30))  # spans three source chunks
    xr.testing.assert_identical(C._computed(uneven), uneven.compute())


def test_cluster_writes_rasm_identical_and_restores_worker_heap(tmp_path, client):
    ds = _expr(make_rasm(n_time=48, ny=30, nx=40, chunks={"time": 12}))
    paths = save_chunks(ds, str(tmp_path), parallel=client, progress=False)
    assert len(paths) == 4
    xr.testing.assert_identical(_reopen(paths), ds.compute())
    assert not [n for n in os.listdir(tmp_path) if TEMP_MARK in n]
    assert all(v is False for v in client.run(lambda: C._HEAP_STATE["reusing"]).values())
    assert all(v == {} for v in client.run(lambda: dict(C._STASH)).values())


def test_cluster_numpy_backed_pieces_travel_inline(tmp_path, client):
    ds = make_rasm(n_time=36, ny=12, nx=15)
    paths = save_chunks(
        ds, str(tmp_path), chunks={"time": 12}, parallel=client, progress=False, verify=True
    )
    xr.testing.assert_identical(_reopen(paths), ds)


def test_worker_without_stash_refuses_then_gets_the_job_inline(tmp_path, client):
    ds = make_rasm(n_time=12, ny=4, nx=5)
    job = FileJob(0, str(tmp_path / "a.nc"), "time=0:12", ds, plan_encoding(ds))
    payload = C._Recorder({}).dumps(job)
    with pytest.raises(C.StashMissing):
        client.submit(
            C._write_task,
            0,
            job.path,
            job.chunk,
            payload,
            "no-such-call",
            ("a:0:(1,):(8,):<f8",),
            pure=False,
        ).result()
    res = client.submit(
        C._write_task, 0, job.path, job.chunk, payload, "no-such-call", (), pure=False
    ).result()
    assert res.path == job.path and os.path.exists(job.path)
    with xr.open_dataset(job.path) as back:
        xr.testing.assert_identical(back.load(), ds)


def test_cluster_error_names_file_and_chunk_with_traceback(tmp_path, client, monkeypatch):
    ds = make_rasm(n_time=36, ny=5, nx=6, chunks={"time": 12})
    monkeypatch.setattr(filejob, "FAULT", (1, "raise"))
    with pytest.raises(ChunkWriteError, match=r"chunk 1: time=12:24") as info:
        save_chunks(ds, str(tmp_path), parallel=client, progress=False)
    assert "worker traceback" in str(info.value) and "injected failure" in str(info.value)
    assert info.value.path.endswith("filename_1981-09-16_1982-08-17.nc")
    assert not [n for n in os.listdir(tmp_path) if TEMP_MARK in n]


def test_killed_cluster_worker_leaves_no_partial_file_and_resume_completes(
    tmp_path, client, monkeypatch
):
    ds = _expr(make_rasm(n_time=48, ny=10, nx=12, chunks={"time": 12}))
    monkeypatch.setattr(filejob, "FAULT", (2, "exit"))
    # The dying worker may hold another chunk queued beside chunk 2 (the scheduler marks
    # both lost, and the first in chunk order is reported: chunk 0 in one fresh-clone
    # run), so the error names a lost chunk and says its worker died.
    with pytest.raises(
        ChunkWriteError, match=r"\(chunk [0-3]: time=\d+:\d+\) failed: the worker running it died"
    ):
        save_chunks(ds, str(tmp_path), parallel=client, progress=False)
    monkeypatch.setattr(filejob, "FAULT", None)
    names = os.listdir(tmp_path)
    assert not [n for n in names if TEMP_MARK in n]
    assert "filename_1982-09-16_1983-08-17.nc" not in names
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    paths = save_chunks(ds, str(tmp_path), parallel=client, progress=False, resume=True)
    xr.testing.assert_identical(_reopen(paths), ds.compute())


def test_heap_settings_only_touched_when_the_environment_pinned_them(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    C._reuse_heap()
    assert C._HEAP_STATE["reusing"] is False and C._release_heap() is False
    if C._libc() is None:
        pytest.skip("not glibc")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert C._pinned_thresholds() == (65536, 128 << 10)
    C._reuse_heap()
    try:
        assert C._HEAP_STATE["reusing"] is True
    finally:
        assert C._release_heap() is True
    assert C._HEAP_STATE["reusing"] is False


def test_auto_uses_the_active_client_for_save_chunks_and_save_mfdataset(
    tmp_path, client, monkeypatch
):
    """The seed's usage: ``Client()`` then a save; the writes go to that cluster."""
    from fastiter.netcdf import save_mfdataset, split_by_chunks, writer

    ds = make_rasm(n_time=24, ny=5, nx=6, chunks={"time": 12})
    res = save_chunks(ds, str(tmp_path / "a"), progress=False)
    assert res.runner == "distributed"
    xr.testing.assert_identical(_reopen(res), ds.compute())
    used = []
    real = writer.run_jobs

    def spy(jobs, parallel, *args):
        used.append(parallel)
        return real(jobs, parallel, *args)

    monkeypatch.setattr(writer, "run_jobs", spy)
    pieces = list(split_by_chunks(ds))
    save_mfdataset(pieces, [str(tmp_path / f"m{i}.nc") for i in range(len(pieces))])
    assert used == [client]


def test_a_client_that_is_not_the_default_is_the_one_written_on(tmp_path):
    """A user with a client that is not the default passes it; the writer must not look
    for a default client (distributed's as_completed() without a client does)."""
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as mine,
    ):
        ds = _expr(make_rasm(n_time=24, ny=10, nx=12, chunks={"time": 12}))
        paths = save_chunks(ds, str(tmp_path), parallel=mine, progress=False)
        assert len(paths) == 2
        xr.testing.assert_identical(_reopen(paths), ds.compute())
