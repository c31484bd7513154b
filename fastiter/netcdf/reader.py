"""Many netCDF/HDF5 files as one series of DL4J-style minibatches.

The examples are the steps along one dimension (``dim``, usually time) of every file,
the files laid end to end in the order of their ``dim`` coordinate (checked: overlaps
are refused, and gaps unless ``allow_gaps=True``; see :mod:`fastiter.netcdf.series`).

Layouts (DL4J): without ``window`` an example is one step, flattened to ``[N, F]``;
with ``window=T`` an example is ``T`` consecutive steps, ``[N, F, T]`` (``layout="NTF"``
gives ``[N, T, F]``), one every ``stride`` steps.  Windows cross file boundaries
(monthly or yearly files are one series); ``windows_within_files=True`` keeps them
inside each file, and they never cross an allowed gap.

Reading (all through the one access layer, :mod:`fastiter._ncaccess`): each batch is
allocated once.  Unshuffled step batches are read straight into it, file by file;
otherwise a *block* of consecutive steps is read into a staging buffer once and the
batch is gathered from it natively (``kernels.gather`` / ``kernels.gather_windows``).
Decoding (``_FillValue``/``missing_value`` to NaN, ``scale_factor``, ``add_offset``)
runs only for variables that declare it.  Open files stay in a bounded LRU
(``max_open_files``) that lives with the iterator, is closed by :meth:`close` and on
garbage collection, and is reopened in a forked child.

NaN handling: missing values stay NaN unless ``fill_value`` replaces them;
``drop_nan_columns=True`` first removes the feature columns that are NaN at the first
step of the series (a static land/sea mask; the kept indices are :attr:`feature_columns`).

Random access: batch ``i`` of an epoch is built on its own (``indexable``), so
``AsyncDataSetIterator(workers=2)`` runs two producers and ``shard`` splits an epoch.
The order is a pure function of ``(seed, epoch)``: blocks are permuted, then the
examples of ``shuffle_buffer`` consecutive blocks are mixed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from fastiter import kernels
from fastiter._ncaccess import NETCDFC, VariableSource
from fastiter._validate import SeedLike, optional_seed_key, positive_int, seed_key
from fastiter.dataset import DataSet
from fastiter.iterators import IndexedBatchesMixin
from fastiter.iterators.base import DataSetIterator
from fastiter.netcdf._xarray_private import NETCDFC_LOCK
from fastiter.netcdf.filejob import HDF5_LOCK as WRITER_LOCK
from fastiter.netcdf.plan import STAGING_BYTES, EpochOrder, SeriesPlan
from fastiter.netcdf.series import Series

__all__ = ["NetCDFDataSetIterator", "HDF5DataSetIterator"]

# netCDF3 reads (in the access layer, below this package) take netCDF-C's locks: xarray's
# and the threads writer's, in the order the fork pool takes them (no lock-order cycle)
NETCDFC.use(NETCDFC_LOCK, WRITER_LOCK)

_SCRATCH_BYTES = 4 << 20  # column-selected reads go through this much, reused


def _names(arg: str, value: Any, allow_none: bool) -> list[str]:
    if value is None and allow_none:
        return []
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    raise TypeError(f"{arg} must be a variable name or a non-empty list of names, got {value!r}")


class _Staged:
    """One group's steps, decoded and column-selected, and where each example starts:
    example ``e`` of block ``blocks[i]`` starts at staged row ``plan.starts[e] +
    shift[i]`` (``blocks`` sorted, so a batch maps its examples with one search)."""

    __slots__ = ("x", "y", "blocks", "shift")

    def __init__(
        self, x: np.ndarray, y: np.ndarray | None, blocks: np.ndarray, shift: np.ndarray
    ) -> None:
        self.x, self.y, self.blocks, self.shift = x, y, blocks, shift


class _SeriesIterator(IndexedBatchesMixin, DataSetIterator):
    """Shared machinery: series order, plan, epoch order, staging, batch assembly."""

    def __init__(
        self,
        paths_or_glob: Any,
        features: Any,
        labels: Any,
        dim: str | int,
        batch_size: int = 32,
        window: int | None = None,
        shuffle: bool = False,
        seed: SeedLike = None,
        *,
        stride: int | None = None,
        read_size: int | None = None,
        shuffle_buffer: int = 4,
        fill_value: float | None = None,
        drop_nan_columns: bool = False,
        dtype: Any = np.float32,
        drop_last: bool = False,
        windows_within_files: bool = False,
        allow_gaps: bool = False,
        layout: str = "NFT",
        max_open_files: int = 64,
    ) -> None:
        super().__init__()
        feats = _names("features", features, False)
        labs = _names("labels", labels, True)
        self._nf = len(feats)
        self._batch_size = positive_int("batch_size", batch_size)
        self._window = None if window is None else positive_int("window", window)
        self._stride = positive_int("stride", stride if stride is not None else (self._window or 1))
        self._read_size = None if read_size is None else positive_int("read_size", read_size)
        self._shuffle, self._drop_last = bool(shuffle), bool(drop_last)
        self._buffer = positive_int("shuffle_buffer", shuffle_buffer)
        self._seed = seed_key("seed", seed) if shuffle else optional_seed_key("seed", seed)
        if fill_value is not None and not np.isfinite(fill_value):
            raise ValueError(f"fill_value must be a finite number or None, got {fill_value}")
        self._fill, self._dtype = fill_value, np.dtype(dtype)
        if self._dtype.kind != "f":
            raise ValueError(
                f"dtype must be a floating dtype (missing values are NaN), got {self._dtype}"
            )
        if layout not in ("NFT", "NTF"):
            raise ValueError(
                f"layout must be 'NFT' ([N, F, T], DL4J) or 'NTF' ([N, T, F]), got {layout!r}"
            )
        self._layout = layout
        self._within, self._allow_gaps = bool(windows_within_files), bool(allow_gaps)
        self._drop_nan = bool(drop_nan_columns)
        self._source = VariableSource(paths_or_glob, feats + labs, dim, max_open_files)
        self._nx = sum(self._source.widths[: self._nf])
        self.series, self._plan, self.feature_columns = self._layout_of(self._source)
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._restart()

    def _layout_of(self, source: VariableSource) -> tuple[Series, SeriesPlan, np.ndarray | None]:
        """The series order, the plan and the kept feature columns of ``source``."""
        series = self._series(source)
        lengths = [source.lengths[k] for k in series.order]
        starts = list(range(len(lengths))) if self._within else series.segment_starts
        row_bytes = max(source.columns * self._dtype.itemsize, 1)
        block = self._read_size or max(STAGING_BYTES // row_bytes, 1)
        # by default the blocks ramp up from one batch's steps: the first batch of an
        # epoch in series order then waits for a read of its own size, not a whole block
        ramp = None
        if self._read_size is None:
            ramp = self._batch_size * (self._stride if self._window is not None else 1)
        plan = SeriesPlan(lengths, starts, self._window, self._stride, block, ramp)
        columns = None
        if self._drop_nan and plan.num_examples:
            first = np.empty((1, self._nx), np.float64)
            source.read_into(series.order[0], 0, 1, first, slice(0, self._nf))
            columns = np.flatnonzero(~np.isnan(first[0]))
        return series, plan, columns

    def _series(self, src: VariableSource) -> Series:
        crossing = self._window is not None and not self._within
        return src.series(allow_gaps=self._allow_gaps or not crossing)

    # --- geometry ---------------------------------------------------------------------
    def num_examples(self) -> int:
        """Examples in one epoch."""
        return self._plan.num_examples

    def num_batches(self) -> int:
        n, b = self.num_examples(), self._batch_size
        return n // b if self._drop_last else -(-n // b)

    def batch(self) -> int:
        return self._batch_size

    def _restart(self) -> None:
        self._order = EpochOrder(self._plan, self._shuffle, self._seed, self._epoch, self._buffer)
        with self._cache_lock:  # an epoch re-reads its blocks: staging is not a data cache
            self._cache.clear()

    def reset(self, paths: Any = None) -> None:
        """Start a new epoch; with ``paths`` (a list or a glob), over those files instead.

        The new files are checked as at construction (variables, widths, series order and
        contiguity) and must give the same batch shape: the same values per step and,
        with ``drop_nan_columns``, the same kept columns.  When a check fails nothing
        changes and the error says why.  Files the new set does not use are closed; the
        ones it keeps stay open.

        Examples
        --------
        >>> import tempfile
        >>> from fastiter.netcdf import make_rasm, save_chunks
        >>> paths = save_chunks(make_rasm(n_time=36, ny=3, nx=4), tempfile.mkdtemp(),
        ...                     chunks={"time": 12}, parallel="serial", progress=False)
        >>> it = NetCDFDataSetIterator(paths, "Tair", batch_size=8, window=6, stride=1)
        >>> it.num_examples()
        31
        >>> it.reset(paths=paths[:2]); it.num_examples()   # 24 steps: 19 windows
        19
        >>> it.close()
        """
        if paths is not None:
            self._use_files(paths)
        super().reset()

    def _use_files(self, paths: Any) -> None:
        old = self._source
        try:
            new = old.with_paths(paths)
            if new.widths != old.widths:
                raise ValueError(
                    f"paths: the new files have {new.widths} values per step "
                    f"for {old.variables}, the iterator's files {old.widths}; "
                    f"batches would change shape: make a new iterator"
                )
            series, plan, columns = self._layout_of(new)
            kept = self.feature_columns
            same = (columns is None and kept is None) or (
                columns is not None and kept is not None and np.array_equal(columns, kept)
            )
            if not same:
                raise ValueError(
                    "paths: with drop_nan_columns, the new files' first step "
                    "keeps other feature columns than the iterator's files; "
                    "batches would change meaning: make a new iterator"
                )
        except BaseException:
            old.handles.retain(old.files)  # close what the check opened
            raise
        new.succeed(old)
        with self._cache_lock:
            self._cache.clear()
            self._source, self.series, self._plan = new, series, plan

    # --- handles ----------------------------------------------------------------------
    def open_files(self) -> list[str]:
        """The files open in the handle cache now (least recently used first)."""
        return self._source.handles.open_paths()

    def close(self) -> None:
        """Close every open file and drop the staging buffers (reopened if used again)."""
        with self._cache_lock:
            self._cache.clear()
        self._source.close()

    def __enter__(self) -> _SeriesIterator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- reading ----------------------------------------------------------------------
    def _read_steps(
        self, lo: int, hi: int, out: np.ndarray, variables: slice, columns: np.ndarray | None = None
    ) -> None:
        """Global steps ``[lo, hi)`` into ``out``, file by file: straight in, or with
        ``columns`` through a small reused scratch buffer and one ``take`` per piece."""
        at = 0
        for j, a, b in self._plan.pieces(lo, hi):
            k = self.series.order[j]
            if columns is None:
                self._source.read_into(k, a, b, out[at : at + b - a], variables)
                at += b - a
                continue
            width = self._nx if variables.start == 0 else self._source.columns - self._nx
            sub = max(1, _SCRATCH_BYTES // max(width * out.itemsize, 1))
            for c in range(a, b, sub):
                n = min(sub, b - c)
                raw = self._source.scratch("select", n * width, out.dtype).reshape(n, width)
                self._source.read_into(k, c, c + n, raw, variables)
                np.take(raw, columns, axis=1, out=out[at : at + n])
                at += n

    def _finish(self, x: np.ndarray) -> np.ndarray:
        if self._fill is not None:
            np.copyto(x, self._fill, where=np.isnan(x))
        return x

    def _stage(self, members: tuple[int, ...]) -> _Staged:
        spans = [self._plan.block_span(b) for b in members]
        rows = sum(hi - lo for lo, hi in spans)
        nf, src = self._nf, self._source
        cols = self.feature_columns
        x = np.empty((rows, self._nx if cols is None else cols.size), self._dtype)
        y = (
            np.empty((rows, src.columns - self._nx), self._dtype)
            if nf < len(src.variables)
            else None
        )
        shift, at = {}, 0
        for b, (lo, hi) in zip(members, spans):
            self._read_steps(lo, hi, x[at : at + hi - lo], slice(0, nf), cols)
            if y is not None:
                self._read_steps(lo, hi, y[at : at + hi - lo], slice(nf, None))
            shift[b], at = at - lo, at + hi - lo
        blocks = np.array(sorted(shift), np.int64)
        return _Staged(
            self._finish(x),
            None if y is None else self._finish(y),
            blocks,
            np.array([shift[int(b)] for b in blocks], np.int64),
        )

    def _staged(self, members: tuple[int, ...]) -> _Staged:
        """The staging of a group, read once even when two producers ask at once."""
        with self._cache_lock:
            hit = self._cache.get(members)
            if hit is None:
                hit = self._cache[members] = threading.Event()
                mine = True
            else:
                self._cache.move_to_end(members)
                mine = False
        if not mine:
            if isinstance(hit, threading.Event):
                hit.wait()
                return self._staged(members)  # read by the other thread (or it failed)
            return hit
        try:
            staged = self._stage(members)
        except BaseException:
            with self._cache_lock:
                self._cache.pop(members, None)
            hit.set()
            raise
        with self._cache_lock:
            self._cache[members] = staged
            while len(self._cache) > 4:
                key = next(iter(self._cache))
                if isinstance(self._cache[key], threading.Event):
                    break
                del self._cache[key]
        hit.set()
        return staged

    def _shape(self, n: int, width: int) -> tuple[int, ...]:
        if self._window is None:
            return (n, width)
        return (n, width, self._window) if self._layout == "NFT" else (n, self._window, width)

    def _batch_at(self, index: int) -> DataSet:
        lo = index * self._batch_size
        hi = min(lo + self._batch_size, self.num_examples())
        nx = self._nx if self.feature_columns is None else self.feature_columns.size
        x = np.empty(self._shape(hi - lo, nx), self._dtype)
        ny = self._source.columns - self._nx
        y = np.empty(self._shape(hi - lo, ny), self._dtype) if ny else None
        if self._window is None and not self._shuffle and self.feature_columns is None:
            # steps in order: straight from the files into the batch
            self._read_steps(lo, hi, x, slice(0, self._nf))
            if y is not None:
                self._read_steps(lo, hi, y, slice(self._nf, None))
            return DataSet(self._finish(x), None if y is None else self._finish(y))
        order, plan = self._order, self._plan
        for g, a, b in order.groups_of(lo, hi):
            st = self._staged(tuple(order.groups[g]))
            ex = order.examples[a:b]
            blk = np.searchsorted(plan.block_bounds, ex, side="right") - 1
            rows = st.shift[np.searchsorted(st.blocks, blk)] + plan.starts[ex]
            self._gather(st.x, rows, x[a - lo : b - lo])
            if y is not None:
                assert st.y is not None, "labels are staged whenever the batch has labels"
                self._gather(st.y, rows, y[a - lo : b - lo])
        return DataSet(x, y)

    def _gather(self, staged: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
        if self._window is None:
            kernels.gather(staged, rows, out=out)
        else:
            kernels.gather_windows(staged, rows, self._window, self._layout, out=out)


_DOC_PARAMS = """
    features, labels : str or list of str
        Variables concatenated (flattened beyond ``dim``) into features / labels.
    batch_size : int
        Examples per batch; the last partial batch is kept unless ``drop_last``.
    window, stride : int, optional
        Windows of ``window`` steps every ``stride`` (default ``window``) steps.
    shuffle, seed, shuffle_buffer
        Permute blocks, then mix the examples of ``shuffle_buffer`` blocks, from
        ``(seed, epoch)``.
    read_size : int, optional
        Steps per block.  Default: as many as fit in 32 MiB of staging, with the first
        blocks ramping up from one batch's steps (doubling), so that the first batch
        waits for a small read.
    fill_value : float, optional
        Replaces NaN / missing values; None keeps NaN.
    drop_nan_columns : bool
        Drop feature columns NaN at the first step (static masks such as rasm's ocean).
    dtype : numpy floating dtype
        Output dtype (float32 by default, as DL4J).
    windows_within_files : bool
        Keep every window inside one file (the behaviour before windows crossed files).
    allow_gaps : bool
        Accept gaps between files; windows then never cross a gap.
    layout : {'NFT', 'NTF'}
        Window batches as ``[N, F, T]`` (DL4J) or ``[N, T, F]``.
    max_open_files : int
        Files kept open between reads.
"""


class NetCDFDataSetIterator(_SeriesIterator):
    __doc__ = (
        """Minibatches from many netCDF files along one dimension, as one series.

    Parameters
    ----------
    paths_or_glob : str or sequence of str
        A glob (natural order) or the files in any order: they are put in the order of
        their ``dim`` coordinate, e.g. the output of ``save_chunks``.
    dim : str
        The dimension examples run along; each variable must have it."""
        + _DOC_PARAMS
        + """
    Examples
    --------
    >>> import tempfile
    >>> from fastiter.netcdf import make_rasm, save_chunks
    >>> paths = save_chunks(make_rasm(ny=3, nx=4), tempfile.mkdtemp(), chunks={"time": 12},
    ...                     parallel="serial", progress=False)
    >>> it = NetCDFDataSetIterator(paths, features="Tair", batch_size=10, fill_value=0.0)
    >>> [ds.features.shape for ds in it][:2], it.num_batches()
    ([(10, 12), (10, 12)], 4)
    >>> it = NetCDFDataSetIterator(paths, "Tair", batch_size=8, window=6, stride=1,
    ...                            drop_nan_columns=True)
    >>> it.num_examples(), it.next().features.shape[0::2]   # 36 steps: 31 windows
    (31, (8, 6))
    >>> it.close()
    """
    )

    def __init__(
        self,
        paths_or_glob: Any,
        features: Any = ("Tair",),
        labels: Any = None,
        dim: str = "time",
        batch_size: int = 32,
        window: int | None = None,
        shuffle: bool = False,
        seed: SeedLike = None,
        **options: Any,
    ) -> None:
        super().__init__(
            paths_or_glob, features, labels, str(dim), batch_size, window, shuffle, seed, **options
        )


class HDF5DataSetIterator(_SeriesIterator):
    __doc__ = (
        """Minibatches from many HDF5 files (netCDF4 files included) via h5py.

    Datasets are named by their HDF5 path and examples run along ``axis`` (0 by
    default).  HDF5 axes carry no coordinate, so the files are one series in the order
    given (a glob: natural order) and windows cross their boundaries unless
    ``windows_within_files``.  ``_FillValue``, ``missing_value``, ``scale_factor`` and
    ``add_offset`` attributes are decoded as for netCDF.

    Parameters
    ----------
    paths_or_glob : str or sequence of str
        A glob or the files in order.
    axis : int
        The axis examples run along."""
        + _DOC_PARAMS
        + """
    Examples
    --------
    >>> import tempfile, h5py
    >>> p = tempfile.mkdtemp() + "/a.h5"
    >>> with h5py.File(p, "w") as f:
    ...     _ = f.create_dataset("x", data=np.arange(20.0).reshape(10, 2))
    >>> [ds.features.shape for ds in HDF5DataSetIterator(p, "x", batch_size=4)]
    [(4, 2), (4, 2), (2, 2)]
    """
    )

    def __init__(
        self,
        paths_or_glob: Any,
        features: Any,
        labels: Any = None,
        axis: int = 0,
        batch_size: int = 32,
        window: int | None = None,
        shuffle: bool = False,
        seed: SeedLike = None,
        **options: Any,
    ) -> None:
        super().__init__(
            paths_or_glob, features, labels, int(axis), batch_size, window, shuffle, seed, **options
        )
