"""The one reader of netCDF/HDF5 variables: paths, lengths, and slabs read into a buffer.

Every netCDF/HDF5 consumer in fastiter (``NetCDFDataSetIterator``,
``HDF5DataSetIterator`` and the record readers) reads through :class:`VariableSource`,
so they agree on path order, errors and decoding:

- **Paths**: a path, a list, or a glob sorted naturally (``f_2`` before ``f_10``).
- **Errors**: a missing file is ``FileNotFoundError``; a missing variable, a missing
  record dimension or a per-file width that differs is ``ValueError`` naming the file.
- **Reading**: files that are HDF5 underneath (netCDF4, HDF5) are opened with h5py.  A
  contiguous, unfiltered, fully allocated variable is read with ``pread`` on HDF5's own
  file descriptor at its storage offset and cast by numpy, both without the GIL (h5py
  holds the GIL while it reads, which stalls every other Python thread); other layouts
  go through h5py into the caller's buffer (HDF5 converts the dtype on the way).
  netCDF3 files are read through netCDF4 with masking and scaling off, under
  netCDF-C's one lock, shared with xarray and the writer (:data:`NETCDFC`).
- **Decoding** follows xarray's CF decoding, and only where a variable asks for it:
  values equal to ``_FillValue`` or ``missing_value`` become NaN, then
  ``scale_factor`` and ``add_offset`` apply.  A float variable whose fill is NaN (rasm)
  needs no pass at all.  ``_Unsigned`` is refused rather than misread.
- **Handles** stay open in a bounded LRU (:class:`~fastiter._nchandles.HandleCache`).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fastiter._nchandles import HandleCache
from fastiter._ncseries import Series, order_files
from fastiter._paths import resolve_paths

__all__ = ["resolve_paths", "VariableSource", "VarInfo", "NetCDFCLock", "NETCDFC"]


class NetCDFCLock:
    """netCDF-C's lock in this process (netCDF-C is not thread-safe; h5py locks itself).

    A lock of fastiter's own until :meth:`use` names others: importing
    ``fastiter.netcdf`` points it at xarray's ``NETCDFC_LOCK`` (xarray's netCDF4
    backend, and the writer around a fork) and at the lock the threads writer holds
    around its netCDF-C calls, taken in that order, so a netCDF3 read here and a write
    there never run netCDF-C at once.  The access layer sits below ``fastiter.netcdf``,
    so it is told the locks rather than importing them.

    Examples
    --------
    >>> lock = NetCDFCLock()
    >>> with lock:
    ...     lock.targets[0].locked()
    True
    """

    def __init__(self) -> None:
        self.targets: tuple[Any, ...] = (threading.Lock(),)

    def use(self, *locks: Any) -> None:
        """Take ``locks`` (in this order) from now on; waits for a current holder."""
        if not locks:
            raise ValueError("use() needs at least one lock")
        held = self.targets
        self._acquire(held)
        self.targets = tuple(locks)
        self._release(held)

    @staticmethod
    def _acquire(locks: tuple[Any, ...]) -> None:
        for lock in locks:
            lock.acquire()

    @staticmethod
    def _release(locks: tuple[Any, ...]) -> None:
        for lock in reversed(locks):
            lock.release()

    def __enter__(self) -> NetCDFCLock:
        while True:
            locks = self.targets
            self._acquire(locks)
            if locks is self.targets:  # use() cannot switch them while they are held
                return self
            self._release(locks)  # switched while this thread waited: take the new ones

    def __exit__(self, *exc: Any) -> None:
        self._release(self.targets)


#: netCDF-C's lock, shared with xarray and the writer once fastiter.netcdf is imported
NETCDFC = NetCDFCLock()
_PHONY = b"This is a netCDF dimension but not a netCDF variable"


@dataclass(frozen=True)
class VarInfo:
    """One variable in one file: where its record axis is and how to decode it."""

    axis: int
    shape: tuple[int, ...]
    fills: tuple[float, ...]  # values that mean "missing" (NaN fills left out)
    scale: float | None
    offset: float | None
    dtype: np.dtype = np.dtype(np.float64)
    #: byte offset of contiguous, allocated, unfiltered HDF5 storage (else None)
    storage: int | None = None

    @property
    def width(self) -> int:
        return int(np.prod(self.shape[: self.axis] + self.shape[self.axis + 1 :], dtype=np.int64))

    @property
    def plain(self) -> bool:
        """Whether the raw values are the decoded values (no fill, scale or offset)."""
        return not self.fills and self.scale is None and self.offset is None


def _attr(attrs: Any, key: str) -> Any:
    v = attrs.get(key) if hasattr(attrs, "get") else getattr(attrs, key, None)
    if v is None:
        return None
    a = np.asarray(v)
    return a.reshape(-1) if a.dtype.kind in "biuf" else v


def _decoding(path: str, name: str, attrs: Any, dtype: np.dtype) -> tuple:
    if _attr(attrs, "_Unsigned") is not None:
        raise ValueError(
            f"{path}: variable {name!r} has _Unsigned, which fastiter does "
            f"not decode; convert the file or read it with xarray"
        )
    fills: list[float] = []
    for key in ("_FillValue", "missing_value"):
        v = _attr(attrs, key)
        if v is not None:
            fills += [float(x) for x in np.asarray(v, np.float64) if not np.isnan(x)]
    scale, offset = _attr(attrs, "scale_factor"), _attr(attrs, "add_offset")
    if dtype.kind not in "biuf":
        raise ValueError(f"{path}: variable {name!r} has dtype {dtype}, not a number")
    return (
        tuple(dict.fromkeys(fills)),
        None if scale is None else float(scale[0]),
        None if offset is None else float(offset[0]),
    )


def _phony(var: Any) -> bool:
    """Whether an HDF5 dataset is a netCDF-4 dimension without a variable: netCDF-C
    writes it (zeros) to hold the dimension, naming it ``_PHONY`` plus the length."""
    name = var.attrs.get("NAME")
    return isinstance(name, bytes) and name.startswith(_PHONY)


def _open_any(path: str) -> Any:
    import h5py

    if h5py.is_hdf5(path):
        return h5py.File(path, "r")
    import netCDF4

    with NETCDFC:
        nc = netCDF4.Dataset(path, "r")
        nc.set_auto_maskandscale(False)
    return nc


class VariableSource:
    """Files × variables along a record dimension, read as ``[steps, columns]`` slabs.

    A record (step) ``r`` of file ``k`` is every variable's slice at ``r`` along the
    record dimension, flattened (C order) and concatenated in the order given.

    Parameters
    ----------
    paths : str, path or sequence
        A file, a list of files or a glob (natural order).
    variables : sequence of str
        Variable (netCDF) or dataset (HDF5 path) names.
    dim : str or int
        The record dimension's name (netCDF) or axis number (HDF5).
    max_open : int
        Open files kept in the handle cache.
    handles : HandleCache, optional
        Share another source's open files (see :meth:`with_paths`); the source then
        does not close them when it is collected until it :meth:`succeed` s the other.

    Examples
    --------
    >>> import h5py, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.h5")
    >>> with h5py.File(p, "w") as f:
    ...     f["x"] = np.arange(6.0).reshape(3, 2)
    >>> src = VariableSource(p, ["x"], 0)
    >>> out = np.empty((2, 2), np.float32)
    >>> src.read_into(0, 1, 3, out).tolist()
    [[2.0, 3.0], [4.0, 5.0]]
    >>> src.close()
    """

    def __init__(
        self,
        paths: Any,
        variables: Sequence[str],
        dim: str | int,
        max_open: int = 64,
        *,
        handles: HandleCache | None = None,
    ) -> None:
        self.files = resolve_paths(paths, "paths")
        if (
            isinstance(variables, str)
            or not variables
            or not all(isinstance(v, str) for v in variables)
        ):
            raise ValueError(f"variables must be a non-empty list of names, got {variables!r}")
        if isinstance(dim, bool) or not isinstance(dim, (str, int, np.integer)):
            raise TypeError(f"dim must be a dimension name or an axis number, got {dim!r}")
        self.variables, self.dim = list(variables), dim if isinstance(dim, str) else int(dim)
        self.handles = HandleCache(_open_any, max_open) if handles is None else handles
        self._local = threading.local()
        self._finalizer = (
            weakref.finalize(self, HandleCache.close, self.handles) if handles is None else None
        )
        self.info: list[list[VarInfo]] = [self._describe(p) for p in self.files]
        widths = [v.width for v in self.info[0]]
        for path, infos in zip(self.files, self.info):
            w = [v.width for v in infos]
            if w != widths:
                raise ValueError(
                    f"{path}: values per record {w} differ from the first "
                    f"file's {widths} (variables {self.variables})"
                )
        self.widths = widths
        self.columns = int(sum(widths))
        self.lengths = [infos[0].shape[infos[0].axis] for infos in self.info]

    def with_paths(self, paths: Any) -> VariableSource:
        """The same variables over other files, checked as at construction, sharing this
        source's open files.  Keep it with :meth:`succeed`; drop it and call
        ``handles.retain(self.files)`` to close what it opened."""
        return VariableSource(paths, self.variables, self.dim, handles=self.handles)

    def succeed(self, old: VariableSource) -> None:
        """Take over ``old``'s handle cache: close the files this source does not use,
        and close the rest when this source is collected (no longer when ``old`` is)."""
        if self.handles is not old.handles or self._finalizer is not None:
            raise ValueError(
                "succeed() takes over the source this one was made from with with_paths()"
            )
        self.handles.retain(self.files)
        if old._finalizer is not None:
            old._finalizer.detach()
        self._finalizer = weakref.finalize(self, HandleCache.close, self.handles)

    # --- description ------------------------------------------------------------------
    def _describe(self, path: str) -> list[VarInfo]:
        out = []
        with self.handles.lease(path) as f:
            for name in self.variables:
                var = self._variable(f, path, name)
                axis = self._axis(f, var, path, name)
                dtype = np.dtype(var.dtype)
                fills, scale, offset = _decoding(path, name, self._attrs(var), dtype)
                out.append(
                    VarInfo(
                        axis,
                        tuple(int(s) for s in var.shape),
                        fills,
                        scale,
                        offset,
                        dtype,
                        _storage(var) if self._is_h5(f) else None,
                    )
                )
        n = {v.shape[v.axis] for v in out}
        if len(n) > 1:
            raise ValueError(
                f"{path}: variables {self.variables} have different numbers of "
                f"records along {self.dim!r}: {[v.shape[v.axis] for v in out]}"
            )
        return out

    @staticmethod
    def _is_h5(f: Any) -> bool:
        return not hasattr(f, "variables")

    def _variable(self, f: Any, path: str, name: str) -> Any:
        if self._is_h5(f):
            import h5py

            var = f.get(name)
            if not isinstance(var, h5py.Dataset) or _phony(var):
                names = sorted(
                    k for k, v in f.items() if isinstance(v, h5py.Dataset) and not _phony(v)
                )
                raise ValueError(f"{path}: no variable {name!r}; it has {names}")
            return var
        if name not in f.variables:
            raise ValueError(f"{path}: no variable {name!r}; it has {sorted(f.variables)}")
        return f.variables[name]

    def _axis(self, f: Any, var: Any, path: str, name: str) -> int:
        ndim = len(var.shape)
        if isinstance(self.dim, int):
            if not -ndim <= self.dim < ndim:
                raise ValueError(
                    f"{path}: record axis {self.dim!r} is not an axis of "
                    f"variable {name!r} with shape {var.shape}"
                )
            return self.dim % ndim
        dims = self._dim_names(f, var)
        if self.dim not in dims:
            raise ValueError(
                f"{path}: variable {name!r} has dimensions {tuple(dims)}, "
                f"not the record dimension {self.dim!r}"
            )
        return dims.index(self.dim)

    @staticmethod
    def _dim_names(f: Any, var: Any) -> list[str | None]:
        if hasattr(var, "dimensions"):
            return list(var.dimensions)
        names: list[str | None] = []
        for d in var.dims:
            try:
                names.append(d[0].name.rsplit("/", 1)[-1])
            except (IndexError, RuntimeError):  # no scale attached
                names.append(d.label or None)
        return names

    @staticmethod
    def _attrs(var: Any) -> Any:
        return var.attrs if hasattr(var, "attrs") else {k: var.getncattr(k) for k in var.ncattrs()}

    def chunk_steps(self) -> int:
        """The largest storage chunk along the record dimension (1 when contiguous)."""
        best = 1
        with self.handles.lease(self.files[0]) as f:
            for name, info in zip(self.variables, self.info[0]):
                var = self._variable(f, self.files[0], name)
                c = var.chunks if self._is_h5(f) else var.chunking()
                if c not in (None, "contiguous"):
                    best = max(best, int(c[info.axis]))
        return best

    # --- reading ----------------------------------------------------------------------
    def read(self, k: int, lo: int, hi: int, dtype: Any = np.float64) -> np.ndarray:
        """Steps ``[lo, hi)`` of file ``k`` as a new ``[hi - lo, columns]`` array."""
        return self.read_into(k, lo, hi, np.empty((hi - lo, self.columns), dtype))

    def read_into(
        self, k: int, lo: int, hi: int, out: np.ndarray, variables: slice = slice(None)
    ) -> np.ndarray:
        """Steps ``[lo, hi)`` of file ``k`` decoded into ``out``, a C-contiguous float
        ``[hi - lo, columns]`` array (the columns of ``self.variables[variables]``)."""
        n = hi - lo
        names, infos = self.variables[variables], self.info[k][variables]
        columns = sum(v.width for v in infos)
        if not (0 <= lo <= hi <= self.lengths[k]):
            raise IndexError(
                f"steps [{lo}, {hi}) are outside file {self.files[k]} with {self.lengths[k]} steps"
            )
        if out.shape != (n, columns) or out.dtype.kind != "f" or not out.flags.c_contiguous:
            raise ValueError(
                f"out must be a C-contiguous float array of shape "
                f"{(n, columns)}, got {out.shape} {out.dtype}"
            )
        if n == 0:
            return out
        path, at = self.files[k], 0
        with self.handles.lease(path) as f:
            for name, info in zip(names, infos):
                if info.storage is not None and info.axis == 0 and info.plain:
                    # the fast path needs no dataset object: opening one per read is
                    # an HDF5 object open for nothing
                    self._pread_columns(f, info, lo, hi, out, at)
                    at += info.width
                    continue
                var = self._variable(f, path, name) if not self._is_h5(f) else f[name]
                if self._is_h5(f) and info.axis == 0 and info.plain:
                    _h5_read_columns(var, lo, hi, out, at, info.width)
                else:
                    raw = self._raw(f, var, info, lo, hi)
                    _decode_into(raw, info, out[:, at : at + info.width])
                at += info.width
        return out

    def _pread_columns(
        self, f: Any, info: VarInfo, lo: int, hi: int, out: np.ndarray, at: int
    ) -> None:
        """Rows ``[lo, hi)`` of contiguous storage with ``pread`` on HDF5's own file
        descriptor, and the dtype cast by numpy: both release the GIL, which h5py's
        reads hold, so a consumer thread keeps running while a producer reads."""
        fd = f.id.get_vfd_handle()
        storage = info.storage
        if storage is None:  # the caller reads only contiguous storage this way
            raise ValueError(f"{info!r} has no contiguous storage to pread")
        row = info.width * info.dtype.itemsize
        whole = info.dtype == out.dtype and info.width == out.shape[1]
        step = max(1, _PREAD_BYTES // max(row, 1))
        if hi - lo > step:  # several pieces: ask the kernel to read ahead all of them
            os.posix_fadvise(fd, storage + lo * row, (hi - lo) * row, os.POSIX_FADV_WILLNEED)
        for a in range(lo, hi, step):
            b = min(hi, a + step)
            if whole:
                dst = out[a - lo : b - lo]
            else:
                dst = self.scratch("cast", (b - a) * info.width, info.dtype).reshape(b - a, -1)
            _pread_exact(fd, dst.data.cast("B"), storage + a * row)
            if not whole:
                out[a - lo : b - lo, at : at + info.width] = dst

    def scratch(self, slot: str, size: int, dtype: Any) -> np.ndarray:
        """A per-thread ``size``-element buffer for ``slot``, reused across reads (fresh
        pages cost a fault each).  Slots keep nested users apart: a reader selecting
        columns reads into its ``"select"`` buffer while the cast uses ``"cast"``."""
        dtype = np.dtype(dtype)
        bufs = getattr(self._local, "bufs", None)
        if bufs is None:
            bufs = self._local.bufs = {}
        buf = bufs.get(slot)
        if buf is None or buf.nbytes < size * dtype.itemsize:
            buf = bufs[slot] = np.empty(size * dtype.itemsize, np.uint8)
        return buf[: size * dtype.itemsize].view(dtype)

    def _raw(self, f: Any, var: Any, info: VarInfo, lo: int, hi: int) -> np.ndarray:
        key = tuple(
            slice(lo, hi) if i == info.axis else slice(None) for i in range(len(info.shape))
        )
        if self._is_h5(f):
            raw = var[key]
        else:
            with NETCDFC:
                raw = np.asarray(var[key])
        return np.moveaxis(raw, info.axis, 0).reshape(hi - lo, -1)

    def coordinate(self, k: int) -> tuple[np.ndarray, dict[str, Any]] | None:
        """The raw values and attributes of file ``k``'s ``dim`` coordinate, or None."""
        if not isinstance(self.dim, str):
            return None
        path = self.files[k]
        with self.handles.lease(path) as f:
            try:
                var = self._variable(f, path, self.dim)
            except ValueError:
                return None
            attrs = {
                key: (v.decode() if isinstance(v, bytes) else v)
                for key, v in dict(self._attrs(var)).items()
            }
            if self._is_h5(f):
                return np.asarray(var[()]), attrs
            with NETCDFC:
                return np.asarray(var[:]), attrs

    def series(self, allow_gaps: bool = False) -> Series:
        """The files in the order of their ``dim`` coordinate, checked to be contiguous
        (see :func:`~fastiter._ncseries.order_files`); without coordinates (HDF5 axes),
        the given order as one series."""
        coords = [self.coordinate(k) for k in range(len(self.files))]
        return order_files(self.files, coords, str(self.dim), allow_gaps=allow_gaps)

    def close(self) -> None:
        """Close every open file (the source reopens files if used again)."""
        self.handles.close()


_PREAD_BYTES = 4 << 20  # cast pieces stay cache-sized


def _storage(var: Any) -> int | None:
    """The file offset of ``var``'s data when one ``pread`` can fetch any of its rows:
    contiguous layout, no filters, all of it allocated, plain numeric dtype."""
    import h5py

    try:
        plist = var.id.get_create_plist()
        if (
            plist.get_layout() != h5py.h5d.CONTIGUOUS
            or plist.get_nfilters()
            or var.dtype.kind not in "biuf"
            or var.dtype.hasobject
        ):
            return None
        off = var.id.get_offset()
        if off is None or var.id.get_storage_size() != var.size * var.dtype.itemsize:
            return None
        return int(off)
    except Exception:  # noqa: BLE001 - external storage, virtual datasets, odd drivers: use h5py
        return None


def _pread_exact(fd: int, buf: memoryview, offset: int) -> None:
    done = 0
    while done < len(buf):
        n = os.preadv(fd, [buf[done:]], offset + done)
        if n <= 0:
            raise OSError(f"short read at byte {offset + done} of a netCDF/HDF5 file")
        done += n


def _h5_read_columns(var: Any, lo: int, hi: int, out: np.ndarray, at: int, width: int) -> None:
    """``var[lo:hi]`` (record axis 0) straight into columns ``[at, at + width)`` of
    ``out``: one HDF5 read, converting the dtype on the way, no intermediate array."""
    from h5py import h5s

    n = hi - lo
    if width == out.shape[1]:
        var.read_direct(out.reshape((n,) + tuple(var.shape[1:])), np.s_[lo:hi])
        return
    fspace = var.id.get_space()
    fspace.select_hyperslab((lo,) + (0,) * (var.ndim - 1), (n,) + tuple(var.shape[1:]))
    mspace = h5s.create_simple(out.shape)
    mspace.select_hyperslab((0, at), (n, width))
    var.id.read(mspace, fspace, out)


def _decode_into(raw: np.ndarray, info: VarInfo, dst: np.ndarray) -> None:
    """xarray's CF decoding of ``raw`` into ``dst``: fills to NaN, then scale, offset."""
    if info.plain:
        dst[...] = raw
        return
    missing = None
    for v in info.fills:
        hit = raw == v
        missing = hit if missing is None else missing | hit
    vals = (
        raw.astype(np.float64)
        if (info.scale is not None or info.offset is not None or raw.dtype.kind != "f")
        else raw
    )
    if info.scale is not None:
        vals = vals * info.scale
    if info.offset is not None:
        vals = vals + info.offset
    dst[...] = vals
    if missing is not None:
        dst[missing] = np.nan
