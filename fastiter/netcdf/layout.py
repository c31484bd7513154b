"""Reusing one file's byte layout for every later file of the same structure.

Every file ``save_chunks`` writes from one Dataset has the same header: the same
dimensions, variables, dtypes, attributes and encodings (that is what the one encoding
plan guarantees).  For uncompressed variables HDF5 stores each variable as one
contiguous extent, and netCDF-C tracks no timestamps, so two such files differ *only*
inside those data extents (checked byte for byte in tests/netcdf/test_layout.py).

So a process writes the first file of each structure with netCDF4, records where each
variable's data sits (h5py reads the offsets) and keeps the bytes between the extents.
Each later file of that structure is then the recorded header bytes with the new data
in between, written in 1 MiB ``os.write`` blocks straight from the arrays (hashed for
the integrity record on the way, :func:`fastiter.netcdf.integrity.write_hashed`): no
HDF5 call, no copy, no library lock.  The result is byte-identical to what netCDF4 would write.

Anything that does not fit (compression, chunked storage, unlimited dimensions,
strings, a dtype cast netCDF4 would do, a variable HDF5 did not store as one extent)
is written by netCDF4 as before.
"""

from __future__ import annotations

import os
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from fastiter import _env

__all__ = ["Layout", "layout_key", "lookup", "remember", "write_with_layout", "ENABLED"]

#: Switch for tests and debugging (``FASTITER_NC_LAYOUT=0`` in the environment too).
ENABLED = _env.get("FASTITER_NC_LAYOUT")

_MAX_LAYOUTS = 16
_CACHE: OrderedDict[tuple, Layout | None] = OrderedDict()
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Layout:
    """Header bytes around each variable's data extent, in file order."""

    gaps: tuple[bytes, ...]  # len(extents) + 1 runs of non-data bytes
    extents: tuple[tuple[str, int], ...]  # (variable name, nbytes) in file order
    dtypes: dict[str, np.dtype]
    size: int


def _canon(v: Any) -> Any:
    """A hashable, exact stand-in for an attribute or encoding value."""
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.asarray(v)
        if a.dtype.kind == "O":
            return ("O", a.shape, tuple(_canon(x) for x in a.ravel().tolist()))
        return ("nd", a.dtype.str, a.shape, a.tobytes())
    if isinstance(v, float):
        return ("f", struct.pack("<d", v))  # NaN-safe, -0.0 kept apart from 0.0
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, tuple(_canon(x) for x in v))
    if isinstance(v, dict):
        return ("d", tuple((str(k), _canon(x)) for k, x in v.items()))
    if v is None or isinstance(v, (str, bytes, bool, int)):
        return (type(v).__name__, v)
    return ("r", type(v).__name__, repr(v))


def layout_key(enc: Any, engine: str) -> tuple | None:
    """Everything that shapes a file's non-data bytes; None when the layout cannot apply.

    Order matters (creation order fixes the header), so nothing is sorted.
    """
    if engine != "netcdf4" or enc.unlimited:
        return None
    parts = []
    for v in enc.variables:
        dt = v.datatype
        if (
            not isinstance(dt, np.dtype)
            or dt.kind not in "iuf"
            or not dt.isnative
            or not v.create.get("contiguous")
        ):
            return None
        parts.append(
            (v.name, v.dims, dt.str, _canon(v.fill_value), _canon(v.create), _canon(v.attrs))
        )
    return ("netcdf4", tuple(enc.dims.items()), tuple(parts), _canon(enc.attrs))


def lookup(key: tuple) -> Layout | None | bool:
    """The layout for ``key``; None if known not to apply; False if not seen yet."""
    with _CACHE_LOCK:
        if key not in _CACHE:
            return False
        _CACHE.move_to_end(key)
        return _CACHE[key]


def remember(key: tuple, path: str, shapes: dict[str, tuple[int, ...]]) -> None:
    """Record the layout of ``path`` (just written by netCDF4) under ``key``."""
    layout = _read_layout(path, shapes)
    with _CACHE_LOCK:
        _CACHE[key] = layout
        while len(_CACHE) > _MAX_LAYOUTS:
            _CACHE.popitem(last=False)


def _read_layout(path: str, shapes: dict[str, tuple[int, ...]]) -> Layout | None:
    """Offsets of every allocated dataset; None unless they are exactly our variables."""
    import h5py

    found: dict[str, tuple[int, int, np.dtype]] = {}
    ok = [True]

    def visit(name: str, obj: Any) -> None:
        if not isinstance(obj, h5py.Dataset):
            return
        off = obj.id.get_offset()
        if off is None:
            if obj.id.get_storage_size():
                ok[0] = False  # stored, but not as one extent
            return
        if obj.chunks is not None or obj.compression or name not in shapes:
            ok[0] = False
            return
        found[name] = (off, obj.id.get_storage_size(), obj.dtype)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    if not ok[0] or set(found) != set(shapes):
        return None
    for name, (_, nbytes, dt) in found.items():
        if nbytes != int(np.prod(shapes[name], dtype=np.int64)) * dt.itemsize:
            return None
    with open(path, "rb") as fh:
        blob = fh.read()
    gaps, extents, pos = [], [], 0
    for name, (off, nbytes, _) in sorted(found.items(), key=lambda kv: kv[1][0]):
        if off < pos:
            return None  # overlapping extents: not a layout we understand
        gaps.append(blob[pos:off])
        extents.append((name, nbytes))
        pos = off + nbytes
    if pos > len(blob):
        return None
    gaps.append(blob[pos:])
    return Layout(tuple(gaps), tuple(extents), {n: v[2] for n, v in found.items()}, len(blob))


def write_with_layout(
    path: str,
    layout: Layout,
    arrays: dict[str, np.ndarray],
    checksum: str | None = None,
    between: Callable[[], None] | None = None,
) -> list | None:
    """Write ``layout`` with ``arrays`` as its data to the new file ``path``.

    Returns the file's integrity regions when ``checksum`` names an algorithm: one per
    header run and per variable's data, each block hashed from memory as it is written
    (:func:`fastiter.netcdf.integrity.write_hashed`), so the file is never read back.
    ``between`` runs after the first extent is written (a test hook for a crash mid-file).
    """
    bufs: list[Any] = []
    for gap, (name, _nbytes) in zip(layout.gaps, layout.extents):
        bufs.append(gap)
        bufs.append(arrays[name].data.cast("B"))  # the array's own buffer, no copy
    bufs.append(layout.gaps[-1])
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        from fastiter.netcdf.integrity import write_hashed

        return write_hashed(fd, bufs, checksum, between)
    finally:
        os.close(fd)
