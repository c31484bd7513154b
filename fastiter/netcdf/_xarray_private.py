"""Every xarray internal that fastiter.netcdf uses, in one place.

The writer encodes a Dataset once and writes its pieces without going through
``to_netcdf`` (see encoding.py), so it calls the netCDF4 store's own variable encoders,
which xarray does not publish, and holds xarray's HDF5/netCDF-C locks across ``fork``.
Nothing else in fastiter touches ``xarray.backends``, ``xarray.conventions`` or
``xarray.coding``.  pyproject.toml caps xarray below the next year's releases for this
module's sake; ``tests/netcdf/test_xarray_private.py`` checks every name and signature
here against the installed xarray, so a release that changes one fails loudly there (and
at import here) instead of writing different files.
"""

from __future__ import annotations

import inspect

import xarray
from xarray import conventions as _conventions
from xarray.backends import common as _common
from xarray.backends import locks as _locks
from xarray.backends import netCDF4_ as _nc4
from xarray.coding import times as _times

__all__ = [
    "encode_dataset_coordinates",
    "cf_encoder",
    "force_native_endianness",
    "encode_nc4_variable",
    "nc4_dtype",
    "encode_cf_variable",
    "ensure_dtype_not_object",
    "extract_nc4_variable_encoding",
    "encode_cf_datetime",
    "encode_cf_timedelta",
    "HDF5_LOCK",
    "NETCDFC_LOCK",
    "EXPECTED",
]

# (module, name) -> the leading parameters fastiter passes, in order (None: not callable)
EXPECTED = {
    (_conventions, "encode_dataset_coordinates"): ("dataset",),
    (_conventions, "cf_encoder"): ("variables", "attributes"),
    (_conventions, "encode_cf_variable"): ("var", "needs_copy", "name"),
    (_common, "ensure_dtype_not_object"): ("var", "name"),
    (_nc4, "_force_native_endianness"): ("var",),
    (_nc4, "_encode_nc4_variable"): ("var", "name"),
    (_nc4, "_nc4_dtype"): ("var",),
    (_nc4, "_extract_nc4_variable_encoding"): (
        "variable",
        "raise_on_invalid",
        "lsd_okay",
        "h5py_okay",
        "backend",
        "unlimited_dims",
    ),
    (_times, "encode_cf_datetime"): ("dates", "units", "calendar"),
    (_times, "encode_cf_timedelta"): ("timedeltas", "units"),
    (_locks, "HDF5_LOCK"): None,
    (_locks, "NETCDFC_LOCK"): None,
}


def changed() -> list[str]:
    """What the installed xarray no longer has, or has with other parameters."""
    problems = []
    for (mod, name), params in EXPECTED.items():
        obj = getattr(mod, name, None)
        where = f"{mod.__name__}.{name}"
        if obj is None:
            problems.append(f"{where} is gone")
        elif params is not None:
            try:
                have = tuple(inspect.signature(obj).parameters)[: len(params)]
            except (TypeError, ValueError):
                have = ()
            if have != params:
                problems.append(f"{where}{have} (expected parameters {params})")
    return problems


_problems = changed()
if _problems:
    raise ImportError(
        f"fastiter.netcdf relies on xarray internals that xarray {xarray.__version__} "
        f"changed: {'; '.join(_problems)}. Install the xarray range fastiter declares "
        f"(pip install 'fastiter[netcdf]'), or report it to fastiter."
    )

encode_dataset_coordinates = _conventions.encode_dataset_coordinates
cf_encoder = _conventions.cf_encoder
encode_cf_variable = _conventions.encode_cf_variable
ensure_dtype_not_object = _common.ensure_dtype_not_object
force_native_endianness = _nc4._force_native_endianness
encode_nc4_variable = _nc4._encode_nc4_variable
nc4_dtype = _nc4._nc4_dtype
extract_nc4_variable_encoding = _nc4._extract_nc4_variable_encoding
encode_cf_datetime = _times.encode_cf_datetime
encode_cf_timedelta = _times.encode_cf_timedelta
HDF5_LOCK = _locks.HDF5_LOCK
NETCDFC_LOCK = _locks.NETCDFC_LOCK
