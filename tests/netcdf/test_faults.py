"""Writer faults that must leave no partial file and no temporary: Ctrl-C in the parent,
a full disk (a small tmpfs), and the error raised being the one that happened."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr
from procs import sigint_as_in_a_terminal

from fastiter.netcdf import ChunkWriteError, make_rasm, save_chunks
from fastiter.netcdf.filejob import TEMP_MARK

SCRIPT = textwrap.dedent("""
    import json, os, sys
    from fastiter.netcdf import filejob, forkpool, make_rasm, save_chunks
    filejob.FAULT = (1, "sleep")  # chunk 1 stalls mid-file until the Ctrl-C
    ds = make_rasm(n_time=48, ny=8, nx=9, chunks={"time": 12})
    try:
        save_chunks(ds, sys.argv[1], parallel="processes", workers=2, progress=False)
    except KeyboardInterrupt:
        alive = []
        for pid in forkpool.last_children:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        print(json.dumps({"interrupted": True, "alive": alive}))
""")


FORK_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys, time
    from fastiter.netcdf import forkpool, make_rasm, save_chunks
    sent = []

    def ctrl_c_during_the_fork():  # Python code after the fork, as logging's lock release
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)  # the handler runs here, inside the at-fork callback

    os.register_at_fork(after_in_parent=ctrl_c_during_the_fork)
    ds = make_rasm(n_time=48, ny=8, nx=9, chunks={"time": 12})
    try:
        save_chunks(ds, sys.argv[1], parallel="processes", workers=2, progress=False)
        print(json.dumps({"interrupted": False}))
    except KeyboardInterrupt:
        try:
            os.waitpid(-1, os.WNOHANG)  # a child not reaped, running or not
            left = True
        except ChildProcessError:
            left = False
        print(json.dumps({"interrupted": True, "children_left": left,
                          "forked": len(forkpool.last_children)}))
""")


def test_ctrl_c_while_forking_is_not_lost(tmp_path):
    """A Ctrl-C that lands while the parent runs Python's at-fork callbacks (logging
    releases its lock there) used to be printed as "Exception ignored" and dropped: the
    run went on as if nothing was pressed (and with a stalled file, forever)."""
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-c", FORK_SCRIPT, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=sigint_as_in_a_terminal,
    )
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report == {"interrupted": True, "children_left": False, "forked": 2}, res.stderr
    assert "Exception ignored" not in res.stderr, res.stderr
    assert not [n for n in os.listdir(out) if TEMP_MARK in n]


def test_ctrl_c_leaves_no_temporary_no_partial_file_and_no_child(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=sigint_as_in_a_terminal,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until chunk 1 is being written
        if out.exists() and any(TEMP_MARK in n and "1981" in n for n in os.listdir(out)):
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"chunk 1 never started: {proc.communicate()}")
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report == {"interrupted": True, "alive": []}, stderr
    names = os.listdir(out)
    assert not [n for n in names if TEMP_MARK in n], names
    assert "filename_1981-09-16_1982-08-17.nc" not in names
    for n in names:
        if n.endswith(".nc"):
            with xr.open_dataset(out / n) as f:
                assert f.sizes["time"] == 12 and np.isfinite(f.Tair.values).any()
    doc = json.loads((out / "filename.manifest.json").read_text())
    assert doc["complete"] is False


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


@pytest.mark.parametrize("parallel", ["serial", "processes"])
def test_disk_full_leaves_no_partial_file(small_disk, parallel):
    ds = make_rasm(n_time=120, ny=100, nx=100)  # 8 files of 1.2 MB: the disk holds 2
    with pytest.raises(ChunkWriteError, match="No space left") as info:
        save_chunks(
            ds,
            str(small_disk),
            chunks={"time": 15},
            naming="index",
            parallel=parallel,
            workers=2,
            progress=False,
        )
    assert "No space left" in str(info.value)  # the real error, not a clean-up one
    names = os.listdir(small_disk)
    assert not [n for n in names if TEMP_MARK in n], names
    finals = sorted(n for n in names if n.endswith(".nc"))
    assert 0 < len(finals) < 8
    for n in finals:  # whatever is under a final name is complete and right
        i = int(n.split("_")[1][:-3])
        with xr.open_dataset(small_disk / n) as f:
            xr.testing.assert_identical(f.load(), ds.isel(time=slice(15 * i, 15 * i + 15)))


def test_existing_targets_are_refused_before_anything_is_written(tmp_path):
    ds = make_rasm(n_time=24, ny=3, nx=4)
    (tmp_path / "filename_1.nc").write_bytes(b"precious")
    for resume in (False, True, "strict"):
        with pytest.raises(FileExistsError, match="filename_1.nc"):
            save_chunks(
                ds,
                str(tmp_path),
                chunks={"time": 12},
                naming="index",
                parallel="serial",
                progress=False,
                resume=resume,
            )
        assert sorted(os.listdir(tmp_path)) == ["filename_1.nc"]
    assert (tmp_path / "filename_1.nc").read_bytes() == b"precious"
