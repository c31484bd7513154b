"""Streaming many netCDF/HDF5 files into DL4J-style minibatches.

The examples are the steps along one dimension (``dim``, usually time) of every file,
in file order.  Reads are chunk-sized and sequential: a *block* is one file, or
``read_size`` consecutive steps of it, read for all requested variables at once.

Layouts (DL4J): without ``window`` an example is one step, flattened to ``[N, F]``;
with ``window=T`` an example is ``T`` consecutive steps, ``[N, F, T]``, windows taken
every ``stride`` steps inside a block (windows never span two blocks, so pick a
``read_size``/file length that ``window`` divides or accept losing the tail).

NaN handling: missing values (``_FillValue``/NaN, e.g. rasm's ocean) stay NaN unless
``fill_value`` replaces them; ``drop_nan_columns=True`` first removes the feature
columns that are NaN at the first step of the first file (a static land/sea mask; the
kept column indices are :attr:`feature_columns`).

Shuffling keeps reads sequential: the blocks are permuted per epoch, then the examples
of ``shuffle_buffer`` consecutive blocks are mixed, both from ``(seed, epoch)``.
"""
from __future__ import annotations

import glob as _glob
import os
from typing import Any, Sequence

import numpy as np

from fastiter._validate import SeedLike, optional_seed_key, positive_int, seed_key
from fastiter.dataset import DataSet
from fastiter.iterators._order import epoch_permutation
from fastiter.iterators.base import DataSetIterator

__all__ = ["NetCDFDataSetIterator", "HDF5DataSetIterator", "expand_paths"]


def expand_paths(paths_or_glob: str | os.PathLike | Sequence[str | os.PathLike]) -> list[str]:
    """A sorted glob, or the given sequence of paths as strings; raises if empty/missing."""
    if isinstance(paths_or_glob, (str, os.PathLike)):
        pattern = os.fspath(paths_or_glob)
        paths = sorted(_glob.glob(pattern)) if _glob.has_magic(pattern) else [pattern]
    else:
        paths = [os.fspath(p) for p in paths_or_glob]
    if not paths:
        raise ValueError(f"paths_or_glob matched no files: {paths_or_glob!r}")
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"{len(missing)} input file(s) do not exist, first: {missing[0]}")
    return paths


def _names(arg: str, value: Any, allow_none: bool) -> list[str]:
    if value is None and allow_none:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"{arg} must be a variable name or a non-empty list of names, got {value!r}")


class _FileReader:
    """Backend hooks: the length of ``dim`` in a file, and a slab of variables."""

    def length(self, path: str) -> int:
        raise NotImplementedError

    def read(self, path: str, names: Sequence[str], lo: int, hi: int) -> list[np.ndarray]:
        raise NotImplementedError


class _NetCDF4Reader(_FileReader):
    def __init__(self, dim: str) -> None:
        self.dim = dim

    def length(self, path: str) -> int:
        import netCDF4

        with netCDF4.Dataset(path) as nc:
            if self.dim not in nc.dimensions:
                raise ValueError(f"{path} has no dimension {self.dim!r}; "
                                 f"it has {list(nc.dimensions)}")
            return len(nc.dimensions[self.dim])

    def read(self, path: str, names: Sequence[str], lo: int, hi: int) -> list[np.ndarray]:
        import netCDF4

        out = []
        with netCDF4.Dataset(path) as nc:
            for name in names:
                if name not in nc.variables:
                    raise KeyError(f"{path} has no variable {name!r}; it has "
                                   f"{sorted(nc.variables)}")
                var = nc.variables[name]
                if self.dim not in var.dimensions:
                    raise ValueError(f"variable {name!r} in {path} does not run along "
                                     f"{self.dim!r} (its dims are {var.dimensions})")
                axis = var.dimensions.index(self.dim)
                key = tuple(slice(lo, hi) if i == axis else slice(None)
                            for i in range(var.ndim))
                data = var[key]  # scale/offset and _FillValue applied by netCDF4
                data = np.ma.filled(np.ma.asarray(data, dtype=np.float64), np.nan)
                out.append(np.moveaxis(data, axis, 0))
        return out


class _H5Reader(_FileReader):
    def __init__(self, axis: int) -> None:
        self.axis = axis

    def length(self, path: str) -> int:
        raise NotImplementedError  # set per file from the first feature in __init__

    def read(self, path: str, names: Sequence[str], lo: int, hi: int) -> list[np.ndarray]:
        import h5py

        out = []
        with h5py.File(path, "r") as f:
            for name in names:
                if name not in f:
                    raise KeyError(f"{path} has no dataset {name!r}; it has {sorted(f)}")
                d = f[name]
                key = tuple(slice(lo, hi) if i == self.axis else slice(None)
                            for i in range(d.ndim))
                data = np.asarray(d[key], dtype=np.float64)
                fill = d.attrs.get("_FillValue")
                if fill is not None:
                    data[data == np.asarray(fill, dtype=np.float64)] = np.nan
                out.append(np.moveaxis(data, self.axis, 0))
        return out


class _BlockIterator(DataSetIterator):
    """Shared machinery: blocks, windows, shuffling, batching, resume."""

    def __init__(self, paths: list[str], reader: _FileReader, lengths: list[int],
                 features: list[str], labels: list[str], batch_size: int,
                 window: int | None, stride: int | None, read_size: int | None,
                 shuffle: bool, seed: SeedLike, shuffle_buffer: int,
                 fill_value: float | None, drop_nan_columns: bool, dtype: Any,
                 drop_last: bool) -> None:
        super().__init__()
        self._paths, self._reader = paths, reader
        self._features, self._labels = features, labels
        self._batch_size = positive_int("batch_size", batch_size)
        self._window = None if window is None else positive_int("window", window)
        self._stride = positive_int("stride", stride if stride is not None else
                                    (self._window or 1))
        self._shuffle, self._drop_last = bool(shuffle), bool(drop_last)
        self._buffer = positive_int("shuffle_buffer", shuffle_buffer)
        self._seed = seed_key("seed", seed) if shuffle else optional_seed_key("seed", seed)
        if fill_value is not None and not np.isfinite(fill_value):
            raise ValueError(f"fill_value must be a finite number or None, got {fill_value}")
        self._fill, self._dtype = fill_value, np.dtype(dtype)
        step = None if read_size is None else positive_int("read_size", read_size)
        self._blocks = [(p, lo, min(lo + (step or n), n))
                        for p, n in zip(paths, lengths) for lo in range(0, n, step or max(n, 1))]
        self._counts = np.array([self._examples_in(hi - lo) for _, lo, hi in self._blocks])
        self.feature_columns: np.ndarray | None = None
        if drop_nan_columns:
            first = self._flat(reader.read(paths[0], features, 0, 1))[0]
            self.feature_columns = np.flatnonzero(~np.isnan(first))
        self._restart()

    # --- geometry ---------------------------------------------------------------
    def _examples_in(self, steps: int) -> int:
        if self._window is None:
            return steps
        return 0 if steps < self._window else (steps - self._window) // self._stride + 1

    def num_examples(self) -> int:
        """Examples in one epoch."""
        return int(self._counts.sum())

    def num_batches(self) -> int:
        n, b = self.num_examples(), self._batch_size
        return n // b if self._drop_last else -(-n // b)

    def batch(self) -> int:
        return self._batch_size

    def reset_supported(self) -> bool:
        return True

    # --- reading ----------------------------------------------------------------
    def _flat(self, arrays: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([a.reshape(a.shape[0], -1) for a in arrays], axis=1)

    def _examples(self, block: tuple[str, int, int], names: list[str], columns: Any
                  ) -> np.ndarray:
        path, lo, hi = block
        x = self._flat(self._reader.read(path, names, lo, hi))
        if columns is not None:
            x = x[:, columns]
        if self._fill is not None:
            x = np.where(np.isnan(x), self._fill, x)
        x = x.astype(self._dtype, copy=False)
        if self._window is None:
            return x
        if len(x) < self._window:
            return np.empty((0, x.shape[1], self._window), self._dtype)
        win = np.lib.stride_tricks.sliding_window_view(x, self._window, axis=0)
        return np.ascontiguousarray(win[:: self._stride])  # [N, F, T]

    def _load_group(self, g: int) -> None:
        """Read the blocks of shuffle group ``g`` and mix their examples."""
        ids = self._order[g * self._group: (g + 1) * self._group]
        feats = [self._examples(self._blocks[i], self._features, self.feature_columns)
                 for i in ids]
        self._x = np.concatenate(feats) if feats else None
        self._y = None
        if self._labels:
            self._y = np.concatenate([self._examples(self._blocks[i], self._labels, None)
                                      for i in ids])
        if self._shuffle and self._x is not None and len(self._x) > 1:
            ss = np.random.SeedSequence([self._seed, self._epoch, g + 1])
            perm = np.random.Generator(np.random.PCG64(ss)).permutation(len(self._x))
            # gather: numpy until fastiter.kernels grows a gather kernel
            self._x = np.take(self._x, perm, axis=0)
            self._y = None if self._y is None else np.take(self._y, perm, axis=0)
        self._loaded, self._offset = g, 0

    def _restart(self) -> None:
        n = len(self._blocks)
        self._order = (epoch_permutation(n, self._seed, self._epoch) if self._shuffle
                       else np.arange(n))
        self._group = self._buffer if self._shuffle else 1
        self._loaded, self._offset, self._served = -1, 0, 0
        self._x = self._y = None

    def has_next(self) -> bool:
        remaining = self.num_examples() - self._served
        return remaining >= (self._batch_size if self._drop_last else 1)

    def _take(self, want: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        xs: list[np.ndarray] = []
        ys: list[np.ndarray] = []
        n_groups = -(-len(self._blocks) // self._group)
        while want > 0 and self._loaded < n_groups:
            if self._x is None or self._offset >= len(self._x):
                if self._loaded + 1 >= n_groups:
                    break
                self._load_group(self._loaded + 1)
                continue
            hi = min(self._offset + want, len(self._x))
            xs.append(self._x[self._offset: hi])
            if self._y is not None:
                ys.append(self._y[self._offset: hi])
            want -= hi - self._offset
            self._offset = hi
        return xs, ys

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None and num != self._batch_size:
            raise NotImplementedError(f"{type(self).__name__}.next(num) supports only "
                                      f"num=None or num == batch_size")
        xs, ys = self._take(self._batch_size)
        x = xs[0].copy() if len(xs) == 1 else np.concatenate(xs)
        y = None if not ys else (ys[0].copy() if len(ys) == 1 else np.concatenate(ys))
        self._served += len(x)
        return DataSet(x, y)

    def _skip(self, n: int) -> None:
        """Jump to batch ``n`` reading only the group that holds it."""
        if n > self.num_batches():
            raise ValueError(f"cannot skip to batch {n}: the epoch has {self.num_batches()}")
        target = n * self._batch_size
        per_group = [int(self._counts[self._order[g * self._group:(g + 1) * self._group]]
                         .sum()) for g in range(-(-len(self._blocks) // self._group))]
        before = 0
        for g, c in enumerate(per_group):
            if before + c > target:
                self._load_group(g)
                self._offset = target - before
                break
            before += c
        else:
            self._loaded, self._x = len(per_group), None
        self._served = target


class NetCDFDataSetIterator(_BlockIterator):
    """Minibatches streamed from many netCDF files along one dimension.

    Parameters
    ----------
    paths_or_glob : str or sequence of str
        A glob (sorted) or the files in order, e.g. the output of ``save_chunks``.
    features, labels : str or list of str
        Variables concatenated (flattened beyond ``dim``) into features / labels.
    dim : str
        The dimension examples run along; each variable must have it.
    batch_size : int
        Examples per batch; the last partial batch is kept unless ``drop_last``.
    window, stride : int, optional
        Sequence windows of ``window`` steps every ``stride`` (default ``window``) steps,
        giving ``[N, F, T]``.
    read_size : int, optional
        Steps per read (default: a whole file per read).
    shuffle, seed, shuffle_buffer
        Permute blocks, then mix the examples of ``shuffle_buffer`` blocks, from
        ``(seed, epoch)``.
    fill_value : float, optional
        Replaces NaN / missing values; None keeps NaN.
    drop_nan_columns : bool
        Drop feature columns NaN at the first step (static masks such as rasm's ocean).
    dtype : numpy dtype
        Output dtype (float32 by default, as DL4J).

    Examples
    --------
    >>> import tempfile
    >>> from fastiter.netcdf import make_rasm, save_chunks
    >>> paths = save_chunks(make_rasm(ny=3, nx=4), tempfile.mkdtemp(), chunks={"time": 12},
    ...                     parallel="serial", progress=False)
    >>> it = NetCDFDataSetIterator(paths, features="Tair", batch_size=10, fill_value=0.0)
    >>> [ds.features.shape for ds in it][:2], it.num_batches()
    ([(10, 12), (10, 12)], 4)
    >>> it = NetCDFDataSetIterator(paths, "Tair", batch_size=8, window=6, drop_nan_columns=True)
    >>> it.next().features.shape[0::2]
    (6, 6)
    """

    def __init__(self, paths_or_glob: Any, features: Any = ("Tair",), labels: Any = None,
                 dim: str = "time", batch_size: int = 32, window: int | None = None,
                 shuffle: bool = False, seed: SeedLike = None, *,
                 stride: int | None = None, read_size: int | None = None,
                 shuffle_buffer: int = 4, fill_value: float | None = None,
                 drop_nan_columns: bool = False, dtype: Any = np.float32,
                 drop_last: bool = False) -> None:
        paths = expand_paths(paths_or_glob)
        reader = _NetCDF4Reader(str(dim))
        super().__init__(paths, reader, [reader.length(p) for p in paths],
                         _names("features", list(features) if isinstance(features, tuple)
                                else features, False), _names("labels", labels, True),
                         batch_size, window, stride, read_size, shuffle, seed,
                         shuffle_buffer, fill_value, drop_nan_columns, dtype, drop_last)


class HDF5DataSetIterator(_BlockIterator):
    """Minibatches streamed from many HDF5 files (netCDF4 files included) via h5py.

    Same parameters as :class:`NetCDFDataSetIterator`, except that datasets are named by
    their HDF5 path and examples run along ``axis`` (0 by default).  ``_FillValue``
    attributes are turned into NaN.

    Examples
    --------
    >>> import tempfile, h5py
    >>> p = tempfile.mkdtemp() + "/a.h5"
    >>> with h5py.File(p, "w") as f:
    ...     _ = f.create_dataset("x", data=np.arange(20.0).reshape(10, 2))
    >>> [ds.features.shape for ds in HDF5DataSetIterator(p, "x", batch_size=4)]
    [(4, 2), (4, 2), (2, 2)]
    """

    def __init__(self, paths_or_glob: Any, features: Any, labels: Any = None, axis: int = 0,
                 batch_size: int = 32, window: int | None = None, shuffle: bool = False,
                 seed: SeedLike = None, *, stride: int | None = None,
                 read_size: int | None = None, shuffle_buffer: int = 4,
                 fill_value: float | None = None, drop_nan_columns: bool = False,
                 dtype: Any = np.float32, drop_last: bool = False) -> None:
        import h5py

        paths = expand_paths(paths_or_glob)
        feats = _names("features", features, False)
        lengths = []
        for p in paths:
            with h5py.File(p, "r") as f:
                if feats[0] not in f:
                    raise KeyError(f"{p} has no dataset {feats[0]!r}; it has {sorted(f)}")
                lengths.append(int(f[feats[0]].shape[axis]))
        super().__init__(paths, _H5Reader(int(axis)), lengths, feats,
                         _names("labels", labels, True), batch_size, window, stride,
                         read_size, shuffle, seed, shuffle_buffer, fill_value,
                         drop_nan_columns, dtype, drop_last)
