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
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
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
        "filename_1980-09-16_1981-08-17.nc", "filename_1981-09-16_1982-08-17.nc",
        "filename_1982-09-16_1983-08-17.nc"]
    assert plan.runner == "serial" and plan.todo == [0, 1, 2]
    got = run_plan(plan, progress=False)
    assert list(got) == plan.paths and got.written == plan.paths and got.runner == "serial"
    with xr.open_mfdataset(got, combine="by_coords") as back:
        xr.testing.assert_identical(back.load(), ds)


def test_plan_and_run_give_what_save_chunks_gives(tmp_path):
    ds = make_rasm(ny=4, nx=5, chunks={"time": 6})
    one = save_chunks(ds, str(tmp_path / "a"), parallel="threads", workers=2,
                      progress=False)
    two = run_plan(plan_chunks(ds, str(tmp_path / "b"), parallel="threads", workers=2),
                   progress=False)
    assert [os.path.basename(p) for p in one] == [os.path.basename(p) for p in two]
    assert (one.nbytes, one.file_bytes, one.runner) == (two.nbytes, two.file_bytes,
                                                         two.runner)
    for a, b in zip(one, two):
        assert pathlib.Path(a).read_bytes() == pathlib.Path(b).read_bytes()


def test_a_target_that_appears_between_plan_and_run_is_not_clobbered(tmp_path):
    ds = make_rasm(ny=4, nx=5)
    plan = plan_chunks(ds, str(tmp_path), chunks={"time": 12}, parallel="serial",
                       naming="index")
    pathlib.Path(plan.paths[1]).write_text("someone else's file")
    with pytest.raises(TargetsExistError, match="filename_1.nc") as info:
        run_plan(plan, progress=False)
    assert info.value.paths == [plan.paths[1]]
    assert pathlib.Path(plan.paths[1]).read_text() == "someone else's file"
    assert not os.path.exists(plan.paths[0])  # refused before the first byte


def test_running_one_plan_twice_refuses_the_second_time(tmp_path):
    plan = plan_chunks(make_rasm(ny=4, nx=5), str(tmp_path), chunks={"time": 12},
                       parallel="serial")
    run_plan(plan, progress=False)
    with pytest.raises(TargetsExistError):
        run_plan(plan, progress=False)


def test_run_plan_refuses_what_is_not_a_plan():
    with pytest.raises(TypeError, match="plan must be a WritePlan from plan_chunks"):
        run_plan({"paths": []})
