"""A picture of a split before it is written: the chunk grid, each chunk's file and size.

:func:`plot_plan` works out exactly what :func:`~fastiter.netcdf.save_chunks` would
write (the same split, the same file names) without reading any data, and draws it
with matplotlib: one cell per file, laid out along the split dimensions, coloured by the
file's data size.  ``fastiter split --plan plan.png`` draws the same picture.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from fastiter._validate import is_int
from fastiter.netcdf.naming import chunk_paths
from fastiter.netcdf.split import chunk_slices, resolve_chunks

__all__ = ["plot_plan", "ChunkPlan", "PlannedFile"]


@dataclass(frozen=True)
class PlannedFile:
    """One file of a plan: where it goes, which part of the Dataset, how big."""

    index: int
    path: str
    #: ``{dim: (start, stop)}`` along each split dimension.
    slices: dict[str, tuple[int, int]]
    #: The file's dimension sizes.
    sizes: dict[str, int]
    #: Bytes of data (every variable's values in memory, as ``Dataset.nbytes`` counts).
    nbytes: int


@dataclass
class ChunkPlan:
    """What :func:`plot_plan` drew: the split, the files in write order, the figure."""

    #: Chunk sizes along each split dimension (dimensions left whole are absent).
    split: dict[str, tuple[int, ...]]
    #: The whole Dataset's dimension sizes.
    dims: dict[str, int]
    files: list[PlannedFile]
    figure: Any = field(default=None, repr=False)

    @property
    def nbytes(self) -> int:
        """Data bytes over every file."""
        return sum(f.nbytes for f in self.files)

    @property
    def paths(self) -> list[str]:
        """The file paths in write order (as ``save_chunks`` returns them)."""
        return [f.path for f in self.files]

    def __len__(self) -> int:
        return len(self.files)


def _file_bytes(ds: xr.Dataset, sizes: Mapping[str, int]) -> int:
    return sum(
        int(np.prod([sizes[str(d)] for d in v.dims], dtype=np.int64)) * v.dtype.itemsize
        for v in ds.variables.values()
    )


def _plan(
    ds: xr.Dataset, chunks: Mapping[str, Any] | None, root: str, prefix: str, naming: Any
) -> ChunkPlan:
    split = resolve_chunks(ds, chunks)
    slices = chunk_slices(ds, chunks)
    # Coordinates name the files; slicing them alone reads no data variable.
    base = ds if callable(naming) else ds.drop_vars(list(ds.data_vars))
    pieces = [base.isel(s) if s else base for s in slices]
    paths = chunk_paths(pieces, prefix=prefix, root=root, naming=naming)
    dims = {str(d): int(n) for d, n in ds.sizes.items()}
    files = []
    for i, (s, path) in enumerate(zip(slices, paths)):
        bounds = {d: sl.indices(dims[d])[:2] for d, sl in s.items()}
        sizes = {d: (bounds[d][1] - bounds[d][0] if d in bounds else n) for d, n in dims.items()}
        files.append(PlannedFile(i, path, bounds, sizes, _file_bytes(ds, sizes)))
    return ChunkPlan(split, dims, files)


def _check_path(path: Any) -> str | None:
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or os.PathLike), got {path!r}")
    from matplotlib.figure import Figure

    path = os.fspath(path)
    formats = Figure().canvas.get_supported_filetypes()
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in formats:
        raise ValueError(
            f"path must end in an image format matplotlib writes "
            f"({', '.join('.' + f for f in sorted(formats))}), got {path!r}"
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"path={path!r} is a folder; give a file name")
    return path


def _mb(n: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale or unit == "kB":
            return f"{n / scale:.3g} {unit}"
    return ""  # pragma: no cover


def _fit(
    lines: list[str], width: float, height: float
) -> tuple[str, float, int, float, float] | None:
    """The most of ``lines`` that fits a ``width`` x ``height`` (points) box.

    Returns the text, font size, rotation and the width and height it takes (points).
    """
    for keep in (lines, [lines[0], lines[-1]], lines[:1]):
        for fs in (8.0, 6.5):
            w = max(len(t) for t in keep) * 0.62 * fs + 3
            h = len(keep) * 1.3 * fs + 2
            if w <= width and h <= height:
                return "\n".join(keep), fs, 0, w, h
            if h <= width and w <= height:
                return "\n".join(keep), fs, 90, h, w
    return None


def _inside(centre: float, half: float, lo: float, hi: float) -> float:
    """``centre`` moved so that ``centre +- half`` stays within ``lo..hi``."""
    return min(max(centre, lo + half), hi - half) if hi - lo > 2 * half else (lo + hi) / 2


def _pick(n: int, k: int) -> list[int]:
    """``k`` of ``0..n-1`` spread evenly: the middle of ``k`` equal runs (all when k >= n)."""
    k = max(1, min(n, k))
    return sorted({int((i + 0.5) * n / k) for i in range(k)})


def _draw(plan: ChunkPlan, ax: Any, max_labels: int) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    split = list(plan.split)
    xdim = split[-1] if split else None
    rowdims = split[:-1]
    ncols = len(plan.split[xdim]) if xdim else 1
    nfiles = len(plan.files)
    nrows = nfiles // ncols
    xedges = np.concatenate([[0], np.cumsum(plan.split[xdim])]) if xdim else np.array([0, 1])
    if len(rowdims) == 1:
        yedges = np.concatenate([[0], np.cumsum(plan.split[rowdims[0]])])
    else:
        yedges = np.arange(nrows + 1)
    rects, mbs = [], []
    for f in plan.files:
        r, c = divmod(f.index, ncols)
        rects.append(
            Rectangle((xedges[c], yedges[r]), xedges[c + 1] - xedges[c], yedges[r + 1] - yedges[r])
        )
        mbs.append(f.nbytes / 1e6)
    mbs_a = np.asarray(mbs)
    lo, hi = float(mbs_a.min()), float(mbs_a.max())
    many = nfiles > 400
    coll = PatchCollection(
        rects,
        cmap="viridis",
        edgecolor="white",
        linewidth=0.0 if many else 0.8,
        antialiased=not many,
    )
    coll.set_array(mbs_a)
    coll.set_clim(lo if hi > lo else 0.0, hi if hi > 0 else 1.0)
    ax.add_collection(coll)
    ax.set_xlim(xedges[0], xedges[-1])
    ax.set_ylim(yedges[-1], yedges[0])  # first row on top, as the files are numbered
    ax.figure.colorbar(coll, ax=ax, label="data MB per file", fraction=0.04, pad=0.02)
    _axis_labels(plan, ax, xdim, rowdims, ncols, nrows, yedges)
    whole = [f"{d} {n}" for d, n in plan.dims.items() if d not in plan.split]
    title = (
        f"{nfiles} file{'s' if nfiles != 1 else ''}, {_mb(plan.nbytes)} of data; "
        f"split along {', '.join(split) or 'nothing'}"
        + (f"; whole in every file: {', '.join(whole)}" if whole else "")
    )
    ax.set_title(title, fontsize=9)  # before the labels measure the laid-out axes
    labelled = _label_cells(plan, ax, rects, coll, xedges, yedges, ncols, max_labels)
    if labelled < nfiles:
        ax.set_title(f"{title}; {labelled} labelled (red outline)", fontsize=9)


def _label_cells(
    plan: ChunkPlan,
    ax: Any,
    rects: list[Any],
    coll: Any,
    xedges: np.ndarray,
    yedges: np.ndarray,
    ncols: int,
    max_labels: int,
) -> int:
    """Label an evenly spread subset of cells; each label may use the space up to its
    labelled neighbours.  Returns how many were labelled."""
    nfiles = len(plan.files)
    nrows = nfiles // ncols
    kc = min(ncols, max_labels, max(1, math.ceil(math.sqrt(max_labels * ncols / nrows))))
    kr = min(nrows, max(1, max_labels // kc))
    cols, rows = _pick(ncols, kc), _pick(nrows, kr)
    ax.figure.draw_without_rendering()  # settle the layout to measure the axes
    box = ax.get_window_extent()
    to_pt = 72.0 / ax.figure.dpi
    pt_x = box.width * to_pt / float(xedges[-1] - xedges[0])
    pt_y = box.height * to_pt / float(yedges[-1] - yedges[0])
    outline = nfiles > 1 and (len(cols) < ncols or len(rows) < nrows)
    labelled = 0
    for r in rows:
        for c in cols:
            f = plan.files[r * ncols + c]
            rect = rects[f.index]
            span_w = (
                rect.get_width()
                if len(cols) == ncols
                else max(rect.get_width(), (xedges[-1] - xedges[0]) / len(cols))
            )
            span_h = (
                rect.get_height()
                if len(rows) == nrows
                else max(rect.get_height(), (yedges[-1] - yedges[0]) / len(rows))
            )
            if _label_one(
                ax,
                f,
                rect,
                coll,
                (span_w * pt_x, span_h * pt_y),
                (pt_x, pt_y),
                xedges,
                yedges,
                outline,
            ):
                labelled += 1
    return labelled


def _label_one(
    ax: Any,
    f: Any,
    rect: Any,
    coll: Any,
    span_pt: tuple[float, float],
    pt: tuple[float, float],
    xedges: np.ndarray,
    yedges: np.ndarray,
    outline: bool,
) -> bool:
    """Write one file's label in the space ``span_pt`` (points) around its cell, with a
    red outline when only some cells are labelled; False when no font size fits."""
    from matplotlib.patches import Rectangle

    fit = _fit([f"#{f.index}", os.path.basename(f.path), _mb(f.nbytes)], *span_pt)
    if fit is None:
        return False
    text, fs, rot, w_pt, h_pt = fit
    shade = (f.nbytes / 1e6 - coll.norm.vmin) / max(coll.norm.vmax - coll.norm.vmin, 1e-12)
    x = _inside(
        rect.get_x() + rect.get_width() / 2,
        w_pt / 2 / pt[0],
        float(xedges[0]),
        float(xedges[-1]),
    )
    y = _inside(
        rect.get_y() + rect.get_height() / 2,
        h_pt / 2 / pt[1],
        float(yedges[0]),
        float(yedges[-1]),
    )
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=fs,
        rotation=rot,
        color="black" if shade > 0.6 else "white",
        clip_on=True,
    )
    if outline:
        ax.add_patch(
            Rectangle(
                rect.get_xy(),
                rect.get_width(),
                rect.get_height(),
                fill=False,
                edgecolor="red",
                linewidth=1.0,
            )
        )
    return True


def _axis_labels(
    plan: ChunkPlan,
    ax: Any,
    xdim: str | None,
    rowdims: list[str],
    ncols: int,
    nrows: int,
    yedges: np.ndarray,
) -> None:
    if xdim:
        ax.set_xlabel(f"{xdim} (index), {ncols} chunks")
    else:
        ax.set_xticks([])
    if len(rowdims) == 1:
        ax.set_ylabel(f"{rowdims[0]} (index), {nrows} chunks")
    elif rowdims:
        first = [plan.files[r * ncols] for r in range(nrows)]
        names = [
            ", ".join(f"{d}={f.slices[d][0]}:{f.slices[d][1]}" for d in rowdims) for f in first
        ]
        shown = _pick(nrows, 20)
        ax.set_yticks([yedges[r] + 0.5 for r in shown], [names[r] for r in shown], fontsize=7)
    else:
        ax.set_yticks([])


def plot_plan(
    ds: xr.Dataset,
    chunks: Mapping[str, Any] | None = None,
    *,
    root: str = ".",
    prefix: str = "filename",
    naming: str | Callable[[int, xr.Dataset], str] = "time",
    path: str | os.PathLike | None = None,
    ax: Any = None,
    max_labels: int = 24,
) -> ChunkPlan:
    """Draw the files ``save_chunks(ds, root, prefix, chunks, naming=naming)`` would write.

    Nothing is read or written but the picture: one cell per file on the grid of the
    split dimensions (the last split dimension across, the others down), labelled with
    the file's number, name and data size and coloured by that size.

    Parameters
    ----------
    ds : xarray.Dataset
        The Dataset to split (dask-backed, or numpy-backed with ``chunks``).
    chunks : dict, optional
        ``{dim: size}`` as for :func:`~fastiter.netcdf.save_chunks`.
    root, prefix, naming
        As for :func:`~fastiter.netcdf.save_chunks`, so the names drawn are the names
        it writes.
    path : str or os.PathLike, optional
        Save the picture there (the format follows the suffix: ``.png``, ``.svg``,
        ``.pdf``...); an existing picture of that name is replaced.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    max_labels : int
        Label at most about this many cells (every k-th file and the last).

    Returns
    -------
    ChunkPlan
        The split, the planned files (path, slices, sizes, bytes) in write order, and
        the matplotlib ``figure``.

    Examples
    --------
    >>> from fastiter.netcdf import make_rasm
    >>> plan = plot_plan(make_rasm(n_time=36, ny=4, nx=5), {"time": 12})
    >>> len(plan), plan.split, plan.files[0].slices, plan.files[0].nbytes
    (3, {'time': (12, 12, 12)}, {'time': (0, 12)}, 2336)
    """
    if not is_int(max_labels) or max_labels < 1:
        raise ValueError(f"max_labels must be an int >= 1, got {max_labels!r}")
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - matplotlib is in the extras
        raise ImportError(
            "plot_plan draws with matplotlib: pip install 'fastiter[diagnostics]'"
        ) from err
    path = _check_path(path)
    plan = _plan(ds, chunks, root, prefix, naming)
    if ax is None:
        rows = len(plan.files) // max(1, len(next(reversed(plan.split.values()), (1,))))
        height = 3.2 if len(plan.split) <= 1 else min(9.0, 3.0 + 0.35 * rows)
        fig = Figure(figsize=(11, height), layout="constrained")
        ax = fig.add_subplot()
    _draw(plan, ax, max_labels)
    plan.figure = ax.figure
    if path is not None:
        folder = os.path.dirname(os.path.abspath(path))
        tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}")
        fmt = os.path.splitext(path)[1].lower().lstrip(".")
        try:
            plan.figure.savefig(tmp, format=fmt, dpi=120)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
    return plan
