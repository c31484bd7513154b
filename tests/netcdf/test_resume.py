"""Issue 15's numbered cases: resume verifies, owns only its files, never mixes sources;
the real error is raised; URLs never become folders.  Each is run as a user would."""

import json
import os

import numpy as np
import pytest
import xarray as xr

from fastiter.netcdf import ChunkWriteError, ResumeError, filejob, save_chunks

KW = dict(chunks={"time": 6}, naming="index", parallel="serial", progress=False)


@pytest.fixture
def ds():
    rng = np.random.default_rng(0)
    return xr.Dataset(
        {"v": (("time", "y"), rng.standard_normal((24, 50)))}, coords={"time": np.arange(24)}
    )


def _reopen(paths):
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        return back.load()


def _flip_data_byte(path):
    """Flip one byte inside the variable's data (the file keeps its size)."""
    import h5py

    with h5py.File(path, "r") as f:
        off = f["v"].id.get_offset()
    with open(path, "r+b") as fh:
        fh.seek(off + 100)
        b = fh.read(1)
        fh.seek(off + 100)
        fh.write(bytes([b[0] ^ 0xFF]))


def _manifest(root):
    with open(os.path.join(root, "filename.manifest.json")) as f:
        return json.load(f)


def test_case1_tampered_file_is_rewritten(tmp_path, ds):
    root = str(tmp_path / "r")
    paths = save_chunks(ds, root, **KW)
    size = os.path.getsize(paths[1])
    _flip_data_byte(paths[1])
    assert os.path.getsize(paths[1]) == size
    with pytest.raises(AssertionError):
        xr.testing.assert_identical(_reopen(paths), ds)
    again = save_chunks(ds, root, **KW, resume=True)
    assert again.rewritten == [paths[1]]
    assert sorted(again.skipped) == sorted([paths[0], paths[2], paths[3]])
    xr.testing.assert_identical(_reopen(paths), ds)
    assert _manifest(root)["complete"]


def test_case1_strict_resume_refuses_and_lists_bad_files(tmp_path, ds):
    root = str(tmp_path / "r")
    paths = save_chunks(ds, root, **KW)
    _flip_data_byte(paths[2])
    with open(paths[2], "rb") as f:
        before = f.read()
    with pytest.raises(ResumeError, match="filename_2.nc") as info:
        save_chunks(ds, root, **KW, resume="strict")
    assert info.value.bad == [paths[2]]
    with open(paths[2], "rb") as f:
        assert f.read() == before  # refused: nothing touched


def test_case2_someone_elses_file_is_never_overwritten(tmp_path, ds):
    root = tmp_path / "f"
    root.mkdir()
    (root / "filename_1.nc").write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="filename_1.nc"):
        save_chunks(ds, str(root), **KW, resume=True)
    assert (root / "filename_1.nc").read_bytes() == b"precious"
    assert sorted(os.listdir(root)) == ["filename_1.nc"]


def test_case2_a_recorded_file_replaced_later_is_rewritten_as_ours(tmp_path, ds):
    root = str(tmp_path / "r")
    paths = save_chunks(ds, root, **KW)
    os.remove(paths[1])
    with open(paths[1], "wb") as f:
        f.write(b"x" * os.path.getsize(paths[0]))
    # the manifest still lists it: it is ours, but corrupt, so resume rewrites it
    again = save_chunks(ds, root, **KW, resume=True)
    assert again.rewritten == [paths[1]]
    xr.testing.assert_identical(_reopen(paths), ds)


def test_case3_resume_against_a_different_source_refuses(tmp_path, ds):
    root = str(tmp_path / "r")
    paths = save_chunks(ds, root, **KW)
    os.remove(paths[2])
    with pytest.raises(ResumeError, match="'v'"):
        save_chunks(ds * 2 + 1, root, **KW, resume=True)
    assert not os.path.exists(paths[2])  # nothing written: never a mixed set
    xr.testing.assert_identical(
        _reopen([paths[0], paths[1], paths[3]]), ds.isel(time=list(range(12)) + list(range(18, 24)))
    )


def test_case3_different_structure_or_chunks_say_what_differs(tmp_path, ds):
    root = str(tmp_path / "r")
    save_chunks(ds, root, **KW)
    with pytest.raises(ResumeError, match="chunk plan"):
        save_chunks(ds, root, **{**KW, "chunks": {"time": 12}}, resume=True)
    other = ds.assign_attrs(title="other")
    with pytest.raises(ResumeError, match="attributes"):
        save_chunks(other, root, **KW, resume=True)
    with pytest.raises(ResumeError, match="'w'"):
        save_chunks(ds.assign(w=ds.v * 2), root, **KW, resume=True)


def test_case3_lazy_source_fingerprint_uses_the_dask_token(tmp_path, ds):
    root = str(tmp_path / "r")
    lazy = ds.chunk({"time": 6})
    paths = save_chunks(lazy, root, **{**KW, "chunks": None})
    os.remove(paths[0])
    with pytest.raises(ResumeError, match="'v'"):
        save_chunks((ds * 2 + 1).chunk({"time": 6}), root, **{**KW, "chunks": None}, resume=True)
    again = save_chunks(ds.chunk({"time": 6}), root, **{**KW, "chunks": None}, resume=True)
    assert len(again.written) == 1 and len(again.skipped) == 3
    xr.testing.assert_identical(_reopen(paths), ds)


def test_case4_the_chunk_error_is_raised_not_the_manifest_one(tmp_path, ds, monkeypatch):
    root = tmp_path / "r"
    monkeypatch.setattr(filejob, "FAULT", (1, "raise"))

    def fail_and_break_the_folder(block, block_info=None):
        # while chunk 1 is written, the folder stops taking the manifest: its
        # temporary name is taken by a folder
        if block_info[0]["chunk-location"][0] == 1:
            (root / f"filename.manifest.json.tmp-{os.getpid()}").mkdir()
        return block

    lazy = ds.chunk({"time": 6})
    lazy["v"] = lazy.v.copy(
        data=lazy.v.data.map_blocks(fail_and_break_the_folder, dtype=lazy.v.dtype)
    )
    with pytest.raises(ChunkWriteError, match="filename_1.nc") as info:
        save_chunks(lazy, str(root), **{**KW, "chunks": None})
    assert "injected failure" in str(info.value)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "manifest" in notes and "IsADirectoryError" in notes  # kept, not substituted


def test_case6_url_is_refused_before_anything_is_created(tmp_path, ds, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="'s3'"):
        save_chunks(ds, "s3://bucket/out", **KW)
    assert os.listdir(tmp_path) == []


def test_case6_file_url_works(tmp_path, ds):
    paths = save_chunks(ds, f"file://{tmp_path}/out", **KW)
    assert all(p.startswith(str(tmp_path / "out")) for p in paths)
    xr.testing.assert_identical(_reopen(paths), ds)
    assert not (tmp_path / "file:").exists()


def test_a_claimed_file_without_a_record_is_rewritten_not_refused(tmp_path, ds):
    """A worker finished a file as the run stopped: the manifest claims it, lists no
    record for it; resume rewrites it (it is ours, but nothing proves its bytes)."""
    root = str(tmp_path / "r")
    paths = save_chunks(ds, root, **KW)
    mpath = os.path.join(root, "filename.manifest.json")
    doc = _manifest(root)
    doc["files"] = [e for e in doc["files"] if e["index"] != 2]
    doc["claimed"], doc["complete"] = ["filename_2.nc"], False
    with open(mpath, "w") as f:
        json.dump(doc, f)
    with pytest.raises(ResumeError, match="no checksum was recorded"):
        save_chunks(ds, root, **KW, resume="strict")
    again = save_chunks(ds, root, **KW, resume=True)
    assert again.rewritten == [paths[2]] and again.written == [paths[2]]
    doc["claimed"] = []
    with open(mpath, "w") as f:
        json.dump(doc, f)
    with pytest.raises(FileExistsError, match="filename_2.nc"):
        save_chunks(ds, root, **KW, resume=True)
