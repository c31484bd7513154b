"""The installed package's basics: --version, python -m fastiter, plain help, the C
library's paths, and the ImportError that names the missing extra."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import fastiter
from fastiter._extras import EXTRAS


def _py(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_version_from_both_entry_points():
    res = subprocess.run(
        [sys.executable, "-m", "fastiter", "--version"], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0 and res.stdout.strip() == f"fastiter {fastiter.__version__}"
    from fastiter.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0


def test_top_level_help_is_plain_text(capsys):
    from fastiter.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "usage: fastiter" in text and "--version" in text and "config" in text
    # no reStructuredText roles or literals leak into what people read
    assert not re.search(r"``|:(func|class|meth|mod|data):`", text), text


def test_config_prints_paths_that_exist(capsys):
    from fastiter.cli import main

    assert main(["config", "--libdir", "--includedir", "--pkgconfigdir", "--cmakedir"]) == 0
    libdir, incdir, pcdir, cmakedir = capsys.readouterr().out.split()
    assert libdir == fastiter.get_library_dir()
    for path in (
        os.path.join(libdir, "libfastiter.so"),
        os.path.join(libdir, "libfastiter.a"),
        os.path.join(incdir, "fastiter.h"),
        os.path.join(pcdir, "fastiter.pc"),
        os.path.join(cmakedir, "fastiterConfig.cmake"),
    ):
        assert os.path.isfile(path), path
    assert main(["config", "--cflags", "--libs"]) == 0
    assert capsys.readouterr().out.split() == [
        f"-I{incdir}",
        f"-L{libdir}",
        f"-Wl,-rpath,{libdir}",
        "-lfastiter",
    ]


@pytest.mark.parametrize(
    "module,hidden,extra",
    [
        ("fastiter.netcdf", "xarray", "netcdf"),
        ("fastiter.netcdf", "netCDF4", "netcdf"),
        ("fastiter.jit", "numba", "jit"),
        ("fastiter.netcdf.cluster", "distributed", "distributed"),
        ("fastiter.torch", "torch", "torch"),
    ],
)
def test_a_missing_extra_names_the_pip_command(module, hidden, extra):
    # sys.modules[name] = None is how Python spells "not installed" for find_spec/import
    res = _py(
        f"import sys; sys.modules[{hidden!r}] = None\n"
        f"try:\n    import {module}\nexcept ImportError as e:\n    print(e)\n"
        f"else:\n    print('imported')"
    )
    assert res.returncode == 0, res.stderr
    assert f"pip install fastiter[{extra}]" in res.stdout, res.stdout
    assert hidden in res.stdout


def test_lazy_netcdf_names_and_split_command_name_the_extra_too():
    res = _py(
        "import sys; sys.modules['xarray'] = None\nimport fastiter\n"
        "try:\n    fastiter.save_chunks\nexcept ImportError as e:\n    print(e)"
    )
    assert "pip install fastiter[netcdf]" in res.stdout, res.stdout + res.stderr
    res = _py(
        "import sys; sys.modules['xarray'] = None\nfrom fastiter.cli import main\n"
        "sys.exit(main(['split', 'in.nc', 'out']))"
    )
    assert res.returncode == 2
    assert "fastiter split" in res.stderr and "pip install fastiter[netcdf]" in res.stderr


def test_the_extras_table_matches_pyproject():
    from pathlib import Path

    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("not run from a source tree")
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) <= set(extras)
    assert all("==" not in req for reqs in extras.values() for req in reqs)


def test_setup_py_only_declares_the_build(tmp_path):
    """Reading setup.py (a metadata query, an sdist) writes nothing and needs no Cython:
    cythonizing, copying csrc/ and build_info.json belong to build_ext."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "setup.py").exists():
        pytest.skip("not run from a source tree")
    for name in ("setup.py", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(root / name, tmp_path / name)
    shutil.copytree(root / "csrc", tmp_path / "csrc")
    (tmp_path / "fastiter" / "_core").mkdir(parents=True)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    # Cython and numpy hidden: declaring the build must not import them
    code = (
        "import sys, runpy; sys.modules['Cython'] = None; sys.modules['numpy'] = None; "
        "sys.argv = ['setup.py', '--version']; runpy.run_path('setup.py', run_name='__main__')"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == fastiter.__version__
    after = sorted(
        p.relative_to(tmp_path) for p in tmp_path.rglob("*") if ".egg-info" not in str(p)
    )
    assert after == before


def test_importing_setup_py_runs_no_setup(tmp_path):
    """``import setup`` (a tool reading NATIVE, a test, a docs build) declares the build and
    returns: no setup() call (which would exit asking for a command), no file written."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "setup.py").exists():
        pytest.skip("not run from a source tree")
    for name in ("setup.py", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(root / name, tmp_path / name)
    shutil.copytree(root / "csrc", tmp_path / "csrc")
    (tmp_path / "fastiter" / "_core").mkdir(parents=True)
    before = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    code = (
        "import sys; sys.modules['Cython'] = None; sys.modules['numpy'] = None; "
        "sys.path.insert(0, '.'); import setup; "
        "print(sorted(setup.NATIVE), setup.FastiterBuildExt.__name__)"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [
        "['_alloc',",
        "'_csv',",
        "'_kernels',",
        "'_ring']",
        "FastiterBuildExt",
    ]
    after = sorted(
        (p.relative_to(tmp_path), p.stat().st_mtime_ns)
        for p in tmp_path.rglob("*")
        if "__pycache__" not in str(p)
    )
    assert after == before
