"""Optional dependencies: which extra installs what, and the error when one is missing.

The core install (``pip install fastiter``) carries numpy, h5py and tqdm.  Each module that
needs more checks for it when it is imported, so that a missing library shows up as one
``ImportError`` that says what to install, not as a traceback from deep inside the module.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from typing import Any

__all__ = ["EXTRAS", "require_extra", "missing_extra_message", "import_extra"]

# extra -> the import names it provides (the [project.optional-dependencies] of pyproject.toml)
EXTRAS = {
    "netcdf": ("xarray", "dask", "netCDF4", "cftime", "xxhash"),
    "distributed": ("distributed",),
    "jit": ("numba",),
    "torch": ("torch",),
    "jax": ("jax",),
    "images": ("PIL",),
    "diagnostics": ("bokeh", "matplotlib"),
    "bench": ("pytest_benchmark", "pandas", "matplotlib", "xbatcher"),
    "h5netcdf": ("h5netcdf",),
}


def missing_extra_message(feature: str, extra: str, missing: Iterable[str]) -> str:
    names = ", ".join(missing)
    return (
        f"{feature} needs {names}, which {'is' if ',' not in names else 'are'} not "
        f"installed; install the {extra!r} extra: pip install fastiter[{extra}]"
    )


def require_extra(extra: str, feature: str, modules: Iterable[str] | None = None) -> None:
    """Raise ImportError naming ``pip install fastiter[extra]`` unless ``modules`` import.

    ``modules`` defaults to everything the extra provides.  Only presence is checked
    (``find_spec``), so the check costs no import time.

    >>> require_extra("netcdf", "fastiter.netcdf", ["json"])
    >>> require_extra("jit", "fastiter.jit", ["no_such_module_xyz"])
    Traceback (most recent call last):
    ...
    ImportError: fastiter.jit needs no_such_module_xyz, which is not installed; install the
    'jit' extra: pip install fastiter[jit]
    """
    wanted = EXTRAS[extra] if modules is None else tuple(modules)
    missing = [m for m in wanted if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(missing_extra_message(feature, extra, missing), name=missing[0])


def import_extra(module: str) -> Any:
    """Import an optional module (``"torch"``, ``"jax.numpy"``), or raise ImportError naming
    the extra of :data:`EXTRAS` that provides it.

    >>> import_extra("json").__name__
    'json'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        root = module.split(".")[0]
        extra = next((e for e, mods in EXTRAS.items() if root in mods), root)
        raise ImportError(missing_extra_message("this", extra, [root]), name=root) from exc
