"""File names for the pieces of a split Dataset."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["chunk_paths", "format_date", "local_path"]

Naming = Callable[[int, xr.Dataset], str]
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def local_path(path: Any, what: str = "path") -> str:
    """``path`` as a local path: ``file://`` URLs are unwrapped, other schemes refused.

    Refusing here, before anything is created, keeps a URL from turning into a local
    folder named ``s3:``.

    >>> local_path("file:///tmp/out"), local_path("out/a.nc")
    ('/tmp/out', 'out/a.nc')
    >>> local_path("s3://bucket/out", "root")
    Traceback (most recent call last):
    ...
    ValueError: root 's3://bucket/out' is a URL with scheme 's3'; fastiter writes local
    paths and file:// URLs only, so nothing was created. Write to a local or mounted folder
    (e.g. s3fs, gcsfuse) or copy the files there afterwards.
    """
    path = os.fspath(path)
    m = _SCHEME.match(path)
    if m is None:
        return path
    scheme = m.group(1).lower()
    if scheme == "file":
        from urllib.parse import unquote, urlparse

        url = urlparse(path)
        if url.netloc not in ("", "localhost"):
            raise ValueError(
                f"{what} {path!r} names host {url.netloc!r}; a file:// URL "
                f"must be local (file:///path)"
            )
        return unquote(url.path)
    raise ValueError(
        f"{what} {path!r} is a URL with scheme {scheme!r}; fastiter writes "
        f"local paths and file:// URLs only, so nothing was created. Write to "
        f"a local or mounted folder (e.g. s3fs, gcsfuse) or copy the files "
        f"there afterwards."
    )


def format_date(value: Any, fmt: str = "%Y-%m-%d") -> str:
    """Format one time value, ``np.datetime64`` or any cftime calendar, with ``fmt``.

    >>> import cftime
    >>> format_date(cftime.Datetime360Day(2000, 2, 30))
    '2000-02-30'
    >>> format_date(np.datetime64("1999-12-31T18:00"))
    '1999-12-31'
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.datetime64):
        import pandas as pd

        return pd.Timestamp(value).strftime(fmt)
    if hasattr(value, "strftime"):
        return value.strftime(fmt)
    raise TypeError(
        f"naming='time' needs datetime values (np.datetime64 or cftime), "
        f"got {value!r} of type {type(value).__name__}"
    )


def _time_name(piece: xr.Dataset, prefix: str, dim: str) -> str:
    if dim not in piece.coords:
        raise ValueError(
            f"naming='time' needs a {dim!r} coordinate, and the pieces have "
            f"only {list(piece.coords)}; use naming='index' or a callable"
        )
    values = piece[dim].values
    if values.size == 0:
        raise ValueError(f"a piece has an empty {dim!r} coordinate; cannot name it by time")
    return f"{prefix}_{format_date(values[0])}_{format_date(values[-1])}.nc"


def chunk_paths(
    pieces: Sequence[xr.Dataset],
    prefix: str = "filename",
    root: str = ".",
    naming: str | Naming = "time",
    *,
    time_dim: str = "time",
) -> list[str]:
    """One path per piece, checked to be unique before anything is written.

    Parameters
    ----------
    pieces : sequence of xarray.Dataset
        As produced by :func:`split_by_chunks`.
    prefix : str
        The start of every file name.
    root : str
        The folder the files go in.
    naming : {'time', 'index'} or callable
        ``'time'``: ``{prefix}_{first}_{last}.nc`` from the first and last value of the
        time coordinate, as ``%Y-%m-%d`` (``np.datetime64`` and every cftime calendar).
        ``'index'``: ``{prefix}_{i}.nc`` with ``i`` zero-padded.  A callable receives
        ``(index, piece)`` and returns a file name relative to ``root``.
    time_dim : str
        The coordinate used by ``naming='time'``.

    Raises
    ------
    ValueError
        When two pieces would get the same name (for example daily data whose chunks
        start and end on the same dates, or a split along ``y`` named by time).

    Examples
    --------
    >>> from fastiter.netcdf import make_rasm, split_by_chunks
    >>> ds = make_rasm(n_time=24, ny=2, nx=2)
    >>> chunk_paths(list(split_by_chunks(ds, {"time": 12})), root="out")
    ['out/filename_1980-09-16_1981-08-17.nc', 'out/filename_1981-09-16_1982-08-17.nc']
    """
    if not isinstance(prefix, str) or not prefix or os.sep in prefix:
        raise ValueError(
            f"prefix must be a non-empty file-name stem without {os.sep!r}, got {prefix!r}"
        )
    pieces = list(pieces)
    if naming == "time":
        names = [_time_name(p, prefix, time_dim) for p in pieces]
    elif naming == "index":
        width = len(str(max(len(pieces) - 1, 0)))
        names = [f"{prefix}_{i:0{width}d}.nc" for i in range(len(pieces))]
    elif callable(naming):
        names = [os.fspath(naming(i, p)) for i, p in enumerate(pieces)]
    else:
        raise ValueError(
            f"naming must be 'time', 'index' or a callable (index, piece) -> name, got {naming!r}"
        )
    paths = [os.path.join(root, n) for n in names]
    dupes = sorted(n for n, c in Counter(os.path.normpath(p) for p in paths).items() if c > 1)
    if dupes:
        raise ValueError(
            f"{len(dupes)} file names would be used by more than one piece "
            f"(first: {dupes[0]}); split differently or pass naming='index' "
            f"or a callable"
        )
    return paths
