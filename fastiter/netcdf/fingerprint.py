"""The source fingerprint a manifest keeps, so that resume never mixes two sources.

It names every part of what was written: the dimensions, each variable (dims, shape,
dtype, attributes, the encoding planned for it), the global attributes, the chunk plan
and the engine.  For lazy (dask) data it adds the dask token of each variable; for
in-memory data a token would mean hashing everything up front, so instead each file's
record holds the digest of every variable's data as it was written
(:mod:`fastiter.netcdf.integrity`), and resume re-hashes the source pieces it would keep
(:func:`fastiter.netcdf.resume.check_content`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import xarray as xr

__all__ = ["source_fingerprint", "differences"]


def _short(value: Any) -> str:
    from fastiter.netcdf.layout import _canon

    return hashlib.sha256(repr(_canon(value)).encode()).hexdigest()[:16]


def _runs(sizes: Sequence[int]) -> str:
    """``6x4`` for four pieces of 6; ``12x2+6`` for uneven ones."""
    out: list[list[int]] = []
    for s in sizes:
        if out and out[-1][0] == s:
            out[-1][1] += 1
        else:
            out.append([s, 1])
    return "+".join(f"{s}x{n}" if n > 1 else str(s) for s, n in out)


def _plan_text(slices: Sequence[Mapping[str, slice]], sizes: Mapping[Hashable, int]) -> str:
    dims: dict[str, list[tuple[int, int]]] = {}
    for s in slices:
        for d, sl in s.items():
            start, stop, _ = sl.indices(sizes[d])
            bounds = dims.setdefault(d, [])
            if (start, stop) not in bounds:
                bounds.append((start, stop))
    return (
        ", ".join(f"{d}: {_runs([b - a for a, b in sorted(v)])}" for d, v in dims.items())
        or "one file"
    )


def source_fingerprint(
    ds: xr.Dataset,
    plan: Mapping[str, Mapping[str, Any]],
    slices: Sequence[Mapping[str, slice]],
    engine: str,
) -> dict[str, str]:
    """``{part: value}`` for every part of ``ds`` that shapes the files written from it."""
    fp = {
        "engine": engine,
        "dimensions": ", ".join(f"{d}={n}" for d, n in ds.sizes.items()),
        "chunk plan": _plan_text(slices, ds.sizes),
        "global attributes": _short(ds.attrs),
    }
    for name, var in ds.variables.items():
        kind = "coordinate" if name in ds.coords else "variable"
        fp[f"{kind} {name!r}"] = (
            f"({', '.join(map(str, var.dims))}) {var.dtype} "
            f"attrs {_short(var.attrs)} "
            f"encoding {_short(plan.get(str(name), {}))}"
        )
        if var.chunks is not None:
            from dask.base import tokenize

            fp[f"data of {kind} {name!r}"] = f"dask token {tokenize(var.data)}"
    return fp


def differences(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """What differs between two fingerprints, one line per part, for people."""
    out = []
    for key in old:
        if key not in new:
            out.append(f"{key} was written before but is not in this source")
        elif old[key] != new[key]:
            out.append(f"{key} differs: was {old[key]}, now {new[key]}")
    out += [f"{key} is new in this source" for key in new if key not in old]
    return out
