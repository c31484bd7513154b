"""save_chunks as a plan step and a run step: what the plan decides, what the run does."""

import ast
import os
import pathlib

import pytest
import xarray as xr

import fastiter.netcdf
from fastiter.netcdf import TargetsExistError, make_rasm, plan_chunks, run_plan, save_chunks

MAX_LINES = 60


def _code_lines(fn: ast.AST) -> int:
    """Lines from ``def`` to the end, without the docstring (numpydoc text is not code)."""
    lines = fn.end_lineno - fn.lineno + 1
    first = fn.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def test_no_function_in_the_netcdf_package_is_over_60_lines():
    root = pathlib.Path(fastiter.netcdf.__file__).parent
    long = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node)
                if n > MAX_LINES:
                    long.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({n})")
    assert not long, f"functions over {MAX_LINES} lines of code: {long}"


def test_the_line_count_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    fn = ast.parse(f'def f():\n    """Doc.\n\n    more\n    """\n{body}\n').body[0]
    assert _code_lines(fn) == MAX_LINES + 1  # the def line and the body, not the docstring


def test_plan_writes_nothing_and_run_writes_what_was_planned(tmp_path):
    ds = make_rasm(ny=4, nx=5)
    out = tmp_path / "out"
    plan = plan_chunks(ds, str(out), chunks={"time": 12}, parallel="serial")
    assert not out.exists()  # planning creates no folder, no manifest, no file
    assert [os.path.basename(p) for p in plan.paths] == [
        "filename_1980-09-16_1981-08-17.nc",
        "filename_1981-09-16_1982-08-17.nc",
        "filename_1982-09-16_1983-08-17.nc",
    ]
    assert plan.runner == "serial" and plan.todo == [0, 1, 2]
    got = run_plan(plan, progress=False)
    assert list(got) == plan.paths and got.written == plan.paths and got.runner == "serial"
    with xr.open_mfdataset(got, combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds)


def test_plan_and_run_give_what_save_chunks_gives(tmp_path):
    ds = make_rasm(ny=4, nx=5, chunks={"time": 6})
    one = save_chunks(ds, str(tmp_path / "a"), parallel="threads", workers=2, progress=False)
    two = run_plan(
        plan_chunks(ds, str(tmp_path / "b"), parallel="threads", workers=2), progress=False
    )
    assert [os.path.basename(p) for p in one] == [os.path.basename(p) for p in two]
    assert (one.nbytes, one.file_bytes, one.runner) == (two.nbytes, two.file_bytes, two.runner)
    for a, b in zip(one, two):
        assert pathlib.Path(a).read_bytes() == pathlib.Path(b).read_bytes()


def test_a_target_that_appears_between_plan_and_run_is_not_clobbered(tmp_path):
    ds = make_rasm(ny=4, nx=5)
    plan = plan_chunks(ds, str(tmp_path), chunks={"time": 12}, parallel="serial", naming="index")
    pathlib.Path(plan.paths[1]).write_text("someone else's file")
    with pytest.raises(TargetsExistError, match="filename_1.nc") as info:
        run_plan(plan, progress=False)
    assert info.value.paths == [plan.paths[1]]
    assert pathlib.Path(plan.paths[1]).read_text() == "someone else's file"
    assert not os.path.exists(plan.paths[0])  # refused before the first byte


def test_running_one_plan_twice_refuses_the_second_time(tmp_path):
    plan = plan_chunks(make_rasm(ny=4, nx=5), str(tmp_path), chunks={"time": 12}, parallel="serial")
    run_plan(plan, progress=False)
    with pytest.raises(TargetsExistError):
        run_plan(plan, progress=False)


def test_run_plan_refuses_what_is_not_a_plan():
    with pytest.raises(TypeError, match="plan must be a WritePlan from plan_chunks"):
        run_plan({"paths": []})


# parallel='auto' picks the runner measured fastest (the per-runner roles of
# `fastiter bench --only netcdf_write`, issue 19)
def test_auto_writes_a_single_file_in_this_process(tmp_path):
    ds = make_rasm(ny=4, nx=5, chunks={"time": 36})
    assert plan_chunks(ds, str(tmp_path)).runner == "serial"
    assert save_chunks(ds, str(tmp_path), progress=False).runner == "serial"


def test_auto_uses_threads_when_every_write_is_a_memory_copy_of_computed_data(tmp_path):
    ds = make_rasm(ny=4, nx=5, chunks={"time": 12})  # lazy, uncompressed
    assert plan_chunks(ds * 2, str(tmp_path)).runner == "threads"
    assert plan_chunks(ds, str(tmp_path), parallel="processes").runner == "processes"


def test_auto_uses_processes_when_the_writes_compress(tmp_path):
    ds = make_rasm(ny=4, nx=5, chunks={"time": 12})
    plan = plan_chunks(ds, str(tmp_path), compression=1)
    assert plan.runner == "processes"
    got = run_plan(plan, progress=False)
    with xr.open_mfdataset(got, combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds.compute())


def test_threads_rewriting_a_dataset_read_lazily_from_netcdf_files(tmp_path):
    """A lazy source read from netCDF files: the threads' reads (xarray, its own lock)
    and the writes (netCDF4) must never run in the netCDF-C library at once.

    Before the writes took xarray's locks too this crashed the interpreter
    (segmentation fault), so it runs in a child process to fail as a test.
    """
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(f"""
        import glob, xarray as xr
        from fastiter.netcdf import make_rasm, save_chunks
        save_chunks(make_rasm(ny=30, nx=40), {str(tmp_path / "src")!r},
                    chunks={{"time": 3}}, progress=False, parallel="serial")
        src = xr.open_mfdataset(sorted(glob.glob({str(tmp_path / "src" / "*.nc")!r})),
                                combine="by_coords")
        for i in range(5):
            out = save_chunks(src * 2.0, {str(tmp_path)!r} + f"/out{{i}}", naming="index",
                              parallel="threads", workers=2, progress=False)
            with xr.open_mfdataset(out, combine="nested", concat_dim="time") as back:
                xr.testing.assert_allclose(back.Tair.load(), (src.Tair * 2.0).load())
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_compression_applies_to_a_source_read_from_an_uncompressed_file(tmp_path):
    """The source file's own "zlib: False" is not a choice the user made here."""
    make_rasm(ny=6, nx=7).to_netcdf(tmp_path / "in.nc")
    with xr.open_dataset(tmp_path / "in.nc", chunks={"time": 12}) as src:
        paths = save_chunks(src, str(tmp_path / "out"), compression=1, progress=False)
        kept = save_chunks(
            src,
            str(tmp_path / "kept"),
            compression=1,
            progress=False,
            encoding={"Tair": {"zlib": False}},
        )  # the user's own choice
        with xr.open_dataset(paths[0]) as back, xr.open_dataset(kept[0]) as plain:
            assert back.Tair.encoding["zlib"] and back.Tair.encoding["complevel"] == 1
            assert back.Tair.encoding["shuffle"]
            assert not plain.Tair.encoding["zlib"]
            xr.testing.assert_identical(back.load(), src.isel(time=slice(0, 12)).load())
