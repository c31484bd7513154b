"""What a newcomer runs into first: submodules reached as attributes, and a checkout that
shadows the package when Python starts in the folder that holds it.  Each case runs in a
fresh interpreter, since it is about what ``import fastiter`` does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str, cwd: Path | str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_submodules_are_imported_on_first_attribute_access(tmp_path):
    res = _python(
        "import sys, fastiter\n"
        "lazy = ['fastiter.jit', 'fastiter.interop', 'fastiter.netcdf', 'fastiter.torch']\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
        "print(callable(fastiter.jit.native), callable(fastiter.interop.to_jax),\n"
        "      callable(fastiter.netcdf.save_chunks))\n",
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    before, after = res.stdout.splitlines()
    assert before == "[]"  # import fastiter stays light: numba, xarray not pulled in
    assert after == "True True True"


def test_fastiter_torch_is_reachable_as_an_attribute(tmp_path):
    pytest.importorskip("torch")
    res = _python("import fastiter; print(fastiter.torch.IterableDataset.__name__)", tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "IterableDataset"


def test_fastiter_torch_without_torch_is_a_clear_import_error(tmp_path):
    res = _python(
        "import sys; sys.modules['torch'] = None  # as if torch were not installed\n"
        "import fastiter\n"
        "print(fastiter.DataSet.__name__)\n"
        "try:\n"
        "    fastiter.torch\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n",
        tmp_path,
    )
    assert res.returncode == 0, res.stderr
    first, second = res.stdout.splitlines()
    assert first == "DataSet"  # import fastiter itself is unaffected
    assert second.startswith("ImportError:") and "pip install fastiter[torch]" in second


def test_an_unknown_attribute_is_still_an_attribute_error():
    import fastiter

    with pytest.raises(AttributeError, match="no attribute 'not_a_module'"):
        _ = fastiter.not_a_module
    assert not hasattr(fastiter, "_private_thing")


@pytest.fixture
def folder_holding_the_checkout(tmp_path):
    """A folder that holds this checkout under the name ``fastiter``, as after
    ``git clone <url>`` with the default folder name."""
    (tmp_path / "fastiter").symlink_to(ROOT, target_is_directory=True)
    return tmp_path


def test_python_started_beside_the_checkout_gets_the_real_package(folder_holding_the_checkout):
    code = "import fastiter; print(fastiter.__file__); print(fastiter.set_num_threads)"
    res = _python(code, folder_holding_the_checkout)
    assert res.returncode == 0, res.stderr
    elsewhere = _python(code, folder_holding_the_checkout / "fastiter" / "docs")
    assert elsewhere.returncode == 0, elsewhere.stderr
    path, func = res.stdout.splitlines()
    assert path == elsewhere.stdout.splitlines()[0]  # the same package as from any folder
    assert func.startswith("<function set_num_threads")


def test_python_beside_the_checkout_without_an_install_says_so(folder_holding_the_checkout):
    # -S: no site-packages, so this interpreter has no fastiter installed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run(
        [sys.executable, "-S", "-c", "import fastiter"],
        cwd=folder_holding_the_checkout,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: `import fastiter` found the checkout folder"), last
    assert "not the installed package" in last and "pip install -e" in last
