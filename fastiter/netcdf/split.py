"""Splitting a Dataset into one sub-Dataset per chunk."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import xarray as xr

from fastiter._validate import is_int

__all__ = ["split_by_chunks", "chunk_slices", "resolve_chunks"]


def _sizes_from_spec(dim: str, length: int, spec: Any) -> tuple[int, ...]:
    """One dimension's chunk sizes from an int (regular, last may be short) or a tuple."""
    if is_int(spec):
        if spec < 1:
            raise ValueError(f"chunks[{dim!r}] must be >= 1, got {spec}")
        return tuple(min(int(spec), length - lo) for lo in range(0, length, int(spec))) or (0,)
    if isinstance(spec, (tuple, list)):
        sizes = tuple(int(s) for s in spec)
        if any(s < 0 for s in sizes) or sum(sizes) != length:
            raise ValueError(
                f"chunks[{dim!r}] must be sizes >= 0 summing to the dimension "
                f"length {length}, got {spec!r}"
            )
        return sizes
    raise TypeError(
        f"chunks[{dim!r}] must be an int or a tuple of ints, "
        f"got {spec!r} of type {type(spec).__name__}"
    )


def resolve_chunks(
    ds: xr.Dataset, chunks: Mapping[str, Any] | None = None
) -> dict[str, tuple[int, ...]]:
    """The chunk sizes to split ``ds`` along: ``chunks`` if given, else the dask chunks.

    Only dimensions split into more than one piece are returned.

    >>> import numpy as np
    >>> ds = xr.Dataset({"a": (("t", "y"), np.zeros((5, 2)))})
    >>> resolve_chunks(ds, {"t": 2})
    {'t': (2, 2, 1)}
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    if chunks is None:
        try:
            found: dict[Any, tuple[int, ...]] = dict(ds.chunks)  # xarray: Hashable dims
        except ValueError as err:
            raise ValueError(
                f"ds has inconsistent dask chunks across variables ({err}); "
                f"pass chunks={{dim: size}} or call ds.unify_chunks()"
            ) from err
        if not found:
            raise ValueError(
                "ds is not dask-backed, so it has no chunks to split by; "
                "pass chunks={'time': 12} (a size per dimension)"
            )
    else:
        if not isinstance(chunks, Mapping):
            raise TypeError(f"chunks must be a dict of dimension -> size, got {chunks!r}")
        unknown = [d for d in chunks if d not in ds.dims]
        if unknown:
            raise ValueError(
                f"chunks names dimensions {unknown} that ds does not have; "
                f"its dimensions are {list(ds.dims)}"
            )
        found = {d: _sizes_from_spec(d, ds.sizes[d], s) for d, s in chunks.items()}
    return {d: tuple(s) for d, s in found.items() if len(s) > 1}


def chunk_slices(ds: xr.Dataset, chunks: Mapping[str, Any] | None = None) -> list[dict[str, slice]]:
    """One ``{dim: slice}`` per piece, in C order over the split dimensions.

    >>> import numpy as np
    >>> ds = xr.Dataset({"a": (("t",), np.zeros(5))})
    >>> chunk_slices(ds, {"t": 3})
    [{'t': slice(0, 3, None)}, {'t': slice(3, 5, None)}]
    """
    sizes = resolve_chunks(ds, chunks)
    if not sizes:
        return [{}]
    per_dim = []
    for dim, lengths in sizes.items():
        starts = list(itertools.accumulate((0,) + lengths[:-1]))
        per_dim.append([(dim, slice(lo, lo + n)) for lo, n in zip(starts, lengths)])
    return [dict(combo) for combo in itertools.product(*per_dim)]


def split_by_chunks(
    ds: xr.Dataset, chunks: Mapping[str, Any] | None = None
) -> Iterator[xr.Dataset]:
    """Yield one sub-Dataset per chunk, along every chunked dimension.

    The pieces are lazy views (``ds.isel``): dask-backed data stays lazy, and the
    variables' attributes and encodings, the global attributes and the non-dimension
    coordinates (2-D ``xc``/``yc`` included, sliced when they share a split dimension)
    travel with every piece.  The last chunk along a dimension may be shorter.

    Parameters
    ----------
    ds : xarray.Dataset
        Dask-backed (split by its chunks) or numpy-backed (then ``chunks`` is required).
    chunks : dict, optional
        ``{dim: size}`` or ``{dim: (size, size, ...)}``; overrides the dask chunks.

    Examples
    --------
    >>> import numpy as np
    >>> ds = xr.Dataset({"a": (("time", "y"), np.arange(10.0).reshape(5, 2))})
    >>> [p.sizes["time"] for p in split_by_chunks(ds, {"time": 2})]
    [2, 2, 1]
    """
    for slices in chunk_slices(ds, chunks):
        yield ds.isel(slices) if slices else ds


def describe_slices(slices: Mapping[str, slice]) -> str:
    """``time=12:24, y=0:10`` for messages."""
    return ", ".join(f"{d}={s.start}:{s.stop}" for d, s in slices.items()) or "whole dataset"
