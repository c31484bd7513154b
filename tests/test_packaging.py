"""What a user installs: the sdist, a wheel built from it offline, the core alone, the C library.

Run by ``make test`` (``make packaging``) with ``--packaging``; skipped otherwise, since it
builds fastiter from scratch and fills three fresh virtual environments from the package
registry (a few minutes).  Nothing here imports fastiter from the source tree: every
check runs in a child process of a fresh venv, in a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINKED = ROOT / "csrc" / "examples" / "linked"

pytestmark = pytest.mark.packaging

# tracked files the sdist leaves out on purpose (CI wiring, git metadata)
NOT_IN_SDIST = (".ci/", ".gitignore")


def _env() -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def sh(*cmd, cwd: Path, timeout: float = 1200, env: dict | None = None) -> str:
    res = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or _env(),
    )
    assert res.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {res.returncode}\n"
        f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    )
    return res.stdout


def make_venv(path: Path) -> Path:
    """A brand-new venv from the base interpreter (not the one running these tests)."""
    base = getattr(sys, "_base_executable", sys.executable)
    sh(base, "-m", "venv", path, cwd=path.parent)
    return path / "bin"


def _offline_prefix() -> list[str]:
    """``unshare -n`` (no network at all) where the kernel lets us, else nothing."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="module")
def sdist(work) -> Path:
    out = work / "dist"
    sh(sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", out, ROOT, cwd=work)
    (path,) = out.glob("fastiter-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def wheel(work, sdist) -> Path:
    """A wheel built from the sdist alone, offline, in a fresh venv holding only the
    build requirements (pyproject.toml's [build-system])."""
    build = work / "build-venv"
    bin_ = make_venv(build)
    sh(bin_ / "pip", "install", "-q", "setuptools>=77", "Cython>=3.1", "numpy>=2.0", cwd=work)
    out = work / "wheelhouse"
    sh(
        *_offline_prefix(),
        bin_ / "pip",
        "wheel",
        "--no-index",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        out,
        sdist,
        cwd=work,
    )
    (path,) = out.glob("fastiter-*.whl")
    return path


@pytest.fixture(scope="module")
def full_venv(work, wheel) -> Path:
    """The wheel with the netcdf extra; dependencies from the package registry."""
    bin_ = make_venv(work / "full-venv")
    sh(bin_ / "pip", "install", "-q", f"{wheel}[netcdf]", cwd=work)
    return bin_


@pytest.fixture(scope="module")
def core_venv(work, wheel) -> Path:
    """The wheel alone: the core install, no extras."""
    bin_ = make_venv(work / "core-venv")
    before = _site_stats(bin_)
    sh(bin_ / "pip", "install", "-q", wheel, cwd=work)
    after = _site_stats(bin_)
    stats = {"distributions": after[0] - before[0], "megabytes": (after[1] - before[1]) / 1e6}
    (work / "core-install.json").write_text(json.dumps(stats))
    print(f"core install: {stats}")
    return bin_


def _site_stats(bin_: Path) -> tuple[int, int]:
    names = json.loads(sh(bin_ / "pip", "list", "--format=json", cwd=bin_))
    site = Path(
        sh(
            bin_ / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
            cwd=bin_,
        ).strip()
    )
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    return len(names), size


def run_py(bin_: Path, code: str, cwd: Path) -> str:
    return sh(bin_ / "python", "-c", textwrap.dedent(code), cwd=cwd)


# --- the sdist --------------------------------------------------------------------------


def test_sdist_holds_every_tracked_file_and_nothing_generated(sdist):
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for needed in (
        "LICENSE",
        "README.md",
        "MANIFEST.in",
        "pyproject.toml",
        "setup.py",
        "fastiter/_core/_kernels.pyx",
        "fastiter/_core/fastiter.pxd",
        "csrc/include/fastiter.h",
        "csrc/ring_impl.h",
        "csrc/random_xform.h",
        "csrc/stream_store.h",
        "csrc/cpu.c",
        "tests/conftest.py",
        "tests/netcdf/test_writer.py",
    ):
        assert needed in names, f"{needed} missing from {sdist.name}"
    generated = [
        n
        for n in names
        if n.endswith((".so", ".o", ".pyc"))
        or n.startswith(("fastiter/include/", "fastiter/src/", "fastiter/lib/"))
        or (n.startswith("fastiter/_core/") and n.endswith(".c"))
        or n.endswith("build_info.json")
    ]
    assert generated == []
    if (ROOT / ".git").exists() and shutil.which("git"):
        tracked = sh("git", "ls-files", cwd=ROOT).split()
        expected = {t for t in tracked if not t.startswith(NOT_IN_SDIST) and (ROOT / t).exists()}
        assert sorted(expected - names) == []


# --- the wheel --------------------------------------------------------------------------


def test_wheel_ships_the_c_library_headers_and_stripped_modules(wheel, work):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for needed in (
            "fastiter/lib/libfastiter.so",
            "fastiter/lib/libfastiter.a",
            "fastiter/lib/pkgconfig/fastiter.pc",
            "fastiter/lib/cmake/fastiter/fastiterConfig.cmake",
            "fastiter/lib/cmake/fastiter/fastiterConfigVersion.cmake",
            "fastiter/include/fastiter.h",
            "fastiter/include/fastiter/ring.h",
            "fastiter/src/kernels.c",
            "fastiter/src/ring_impl.h",
            "fastiter/_core/fastiter.pxd",
            "fastiter/_core/build_info.json",
        ):
            assert needed in names, needed
        modules = [n for n in names if n.startswith("fastiter/_core/") and n.endswith(".so")]
        assert len(modules) == 4
        for name in modules + ["fastiter/lib/libfastiter.so"]:
            assert b".debug_info" not in zf.read(name), f"{name} carries debug info"
        assert not [n for n in names if n.startswith("fastiter/_core/") and n.endswith(".c")]
        assert "tests/" not in {n.split("/")[0] + "/" for n in names}


def test_smoke_in_a_fresh_venv(full_venv, work):
    out = run_py(
        full_venv,
        f"""
        import os, tempfile
        import numpy as np, xarray as xr
        import fastiter
        from fastiter import kernels
        assert fastiter.__file__.startswith({str(work)!r}), fastiter.__file__
        labels = np.array([2, 0, 1, 2])
        np.testing.assert_array_equal(kernels.one_hot(labels, 3),
                                      np.eye(3, dtype=np.float32)[labels])
        x = np.arange(40, dtype=np.float32).reshape(20, 2)
        y = np.eye(2, dtype=np.float32)[np.arange(20) % 2]
        base = fastiter.ArrayDataSetIterator(x, y, 6)
        it = fastiter.AsyncDataSetIterator(base, 2)
        try:
            got = np.concatenate([ds.features for ds in it])
        finally:
            it.close()
        np.testing.assert_array_equal(got, x)
        from fastiter.netcdf import make_rasm, save_chunks
        ds = make_rasm(ny=2, nx=3)
        paths = save_chunks(ds, tempfile.mkdtemp(), chunks={{"time": 12}}, parallel="serial",
                            progress=False)
        with xr.open_mfdataset(paths, combine="by_coords") as back:
            xr.testing.assert_identical(back.load(), ds)
        print("smoke ok", len(paths))
    """,
        cwd=work,
    )
    assert "smoke ok" in out
    assert sh(full_venv / "fastiter", "--version", cwd=work).strip() == "fastiter 0.1.0"
    assert "usage: fastiter" in sh(full_venv / "python", "-m", "fastiter", "--help", cwd=work)


def _config(bin_: Path, *flags: str, cwd: Path) -> str:
    return sh(bin_ / "fastiter", "config", *flags, cwd=cwd).strip()


def test_c_program_links_the_installed_library_three_ways(full_venv, work):
    """pkg-config, CMake find_package and the sources compiled in, as docs/c-api.md shows."""
    src = work / "linked"
    shutil.copytree(LINKED, src, dirs_exist_ok=True)
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    strict = ["-std=c11", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2"]
    want = "fastiter C API 0.1 linked"
    built = []

    if shutil.which("pkg-config"):
        env = {**_env(), "PKG_CONFIG_PATH": _config(full_venv, "--pkgconfigdir", cwd=work)}
        flags = sh("pkg-config", "--cflags", "--libs", "fastiter", cwd=work, env=env).split()
        sh(cc, *strict, src / "main.c", *flags, "-o", src / "via_pkgconfig", cwd=work)
        built.append(src / "via_pkgconfig")
    # the same flags from fastiter itself, where pkg-config is not installed
    flags = _config(full_venv, "--cflags", "--libs", cwd=work).split()
    sh(cc, *strict, src / "main.c", *flags, "-o", src / "via_config", cwd=work)
    built.append(src / "via_config")

    if shutil.which("cmake"):
        prefix = _config(full_venv, "--prefix", cwd=work)
        sh(
            "cmake",
            "-S",
            src,
            "-B",
            src / "build",
            f"-DCMAKE_PREFIX_PATH={prefix}",
            "-DCMAKE_BUILD_TYPE=Release",
            cwd=work,
        )
        sh("cmake", "--build", src / "build", cwd=work)
        built += [src / "build" / "linked_shared", src / "build" / "linked_static"]

    inc = _config(full_venv, "--includedir", cwd=work)
    srcdir = Path(_config(full_venv, "--sourcedir", cwd=work))
    sh(
        cc,
        *strict,
        f"-I{inc}",
        f"-I{srcdir}",
        "-pthread",
        src / "main.c",
        *sorted(srcdir.glob("*.c")),
        "-lm",
        "-o",
        src / "via_sources",
        cwd=work,
    )
    built.append(src / "via_sources")

    for exe in built:
        assert want in sh(exe, cwd=work), exe
    shared = [e for e in built if e.name in ("via_pkgconfig", "via_config", "linked_shared")]
    for exe in shared:
        assert "libfastiter.so => " + str(work) in sh("ldd", exe, cwd=work).replace("\t", ""), exe
    if not shutil.which("cmake") or not shutil.which("pkg-config"):
        pytest.fail(f"built only {[e.name for e in built]}: cmake and pkg-config are needed")


# --- the core alone ---------------------------------------------------------------------


def test_core_install_runs_the_iterators_and_names_the_missing_extras(core_venv, work):
    out = run_py(
        core_venv,
        """
        import importlib.util, numpy as np
        import fastiter
        for heavy in ("xarray", "dask", "numba", "netCDF4", "distributed", "torch"):
            assert importlib.util.find_spec(heavy) is None, heavy
        x = np.arange(30, dtype=np.float64).reshape(15, 2)
        y = np.eye(3)[np.arange(15) % 3]
        it = fastiter.ArrayDataSetIterator(x, y, 4)
        assert [ds.num_examples() for ds in it] == [4, 4, 4, 3]
        it = fastiter.AsyncDataSetIterator(fastiter.ArrayDataSetIterator(x, y, 4), 2)
        try:
            assert sum(ds.num_examples() for ds in it) == 15
        finally:
            it.close()
        msgs = {}
        for mod in ("fastiter.netcdf", "fastiter.jit"):
            try:
                __import__(mod)
            except ImportError as exc:
                msgs[mod] = str(exc)
        assert "pip install fastiter[netcdf]" in msgs["fastiter.netcdf"], msgs
        assert "pip install fastiter[jit]" in msgs["fastiter.jit"], msgs
        try:
            fastiter.save_chunks
        except ImportError as exc:
            assert "fastiter[netcdf]" in str(exc)
        else:
            raise AssertionError("save_chunks without xarray")
        print("core ok")
    """,
        cwd=work,
    )
    assert "core ok" in out
    assert "usage: fastiter" in sh(core_venv / "fastiter", "--help", cwd=work)
    res = subprocess.run(
        [core_venv / "fastiter", "split", "a.nc", "out"],
        cwd=work,
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert res.returncode == 2 and "pip install fastiter[netcdf]" in res.stderr, res.stderr
    stats = json.loads((work / "core-install.json").read_text())
    assert stats["distributions"] <= 6, stats
