"""Encode once: one CF encoding for the whole Dataset, applied identically to every file.

Left to itself, xarray encodes each file on its own: each gets ``days since <its own
first time>`` (xarray#2827), coordinates get ``_FillValue: NaN`` (#5448) and stale
``chunksizes`` from the source break the write (#1225).  :func:`plan_encoding` fixes
each variable's encoding once from the whole Dataset; :func:`encode_piece` then runs
xarray's own CF encoders (``encode_dataset_coordinates``, ``cf_encoder`` and the netCDF4
store's variable encoders) on one piece with that plan, so every file agrees and
``open_mfdataset`` recombines them exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from fastiter._validate import is_int
from fastiter.netcdf import _xarray_private as _xp  # the store's own encoders (private)
from fastiter.netcdf._xarray_private import encode_cf_datetime, encode_cf_timedelta
from fastiter.netcdf.blocks import block_of, optimise

__all__ = [
    "plan_encoding",
    "encode_piece",
    "encode_pieces",
    "check_encoded",
    "EncodedVariable",
    "EncodedPiece",
    "h5netcdf_kwargs",
]

_STALE = ("source", "original_shape", "chunksizes", "preferred_chunks", "contiguous")


def _compression_encoding(compression: Any) -> dict[str, Any]:
    """``compression`` as netCDF4 keywords: None, a zlib level 0-9, or a dict."""
    if compression is None or compression is False or compression == 0:
        return {}
    if is_int(compression):
        if not 1 <= compression <= 9:
            raise ValueError(f"compression must be a zlib level 1-9 (or None), got {compression}")
        # Shuffle + level 1 is both faster and smaller than level 1 alone on float fields.
        return {"zlib": True, "complevel": int(compression), "shuffle": True}
    if isinstance(compression, Mapping):
        return dict(compression)
    raise TypeError(
        f"compression must be None, a zlib level 1-9 or a dict of netCDF4 "
        f"encoding keywords, got {compression!r}"
    )


def _is_time_like(var: xr.Variable) -> str | None:
    if var.dtype.kind == "M":
        return "datetime"
    if var.dtype.kind == "m":
        return "timedelta"
    if var.dtype == object and var.size:
        first = np.asarray(var[(0,) * var.ndim].values).item()
        if hasattr(first, "calendar") and hasattr(first, "strftime"):
            return "datetime"
    return None


def _pin_time(name: str, var: xr.Variable, enc: dict[str, Any], kind: str) -> None:
    """Fix units, calendar and dtype once from the whole variable (xarray#2827).

    xarray's own encoder sees the whole variable, so it chooses what ``to_netcdf``
    would: units that hold every value of numpy data exactly, and for lazy data its
    fixed ``<unit> since 1970-01-01`` int64 (never a guess from one sample).
    """
    data = var.data if var.chunks is not None else np.asarray(var.values)
    try:
        if kind == "datetime":
            num, units, calendar = encode_cf_datetime(
                data, enc.get("units"), enc.get("calendar"), enc.get("dtype")
            )
            enc.setdefault("calendar", calendar)
        else:
            num, units = encode_cf_timedelta(data, enc.get("units"), enc.get("dtype"))
    except (ValueError, TypeError, OverflowError) as err:
        raise type(err)(f"variable {name!r} ({kind} values) cannot be encoded: {err}") from err
    enc.setdefault("units", units)
    enc.setdefault("dtype", num.dtype)


def plan_encoding(
    ds: xr.Dataset, encoding: Mapping[str, Mapping[str, Any]] | None = None, compression: Any = None
) -> dict[str, dict[str, Any]]:
    """Each variable's encoding, fixed once for every file written from ``ds``.

    Parameters
    ----------
    ds : xarray.Dataset
        The whole Dataset (before splitting).
    encoding : dict, optional
        Per-variable overrides, as in ``Dataset.to_netcdf(encoding=...)``.
    compression : int or dict, optional
        A zlib level (shuffle is switched on) or netCDF4 keywords, applied to every data
        variable that has no compression of its own.

    Examples
    --------
    >>> from fastiter.netcdf import make_rasm
    >>> plan = plan_encoding(make_rasm(n_time=3, ny=2, nx=2), compression=1)
    >>> plan["time"]["units"], plan["xc"]["_FillValue"], plan["Tair"]["complevel"]
    ('days since 0001-01-01', None, 1)
    """
    # looked up by ds.variables' names, which xarray types as Hashable
    overrides: dict[Any, Mapping[str, Any]] = dict(encoding or {})
    unknown = set(overrides) - set(ds.variables)
    if unknown:
        raise ValueError(
            f"encoding names variables {sorted(unknown)} that ds does not "
            f"have; its variables are {sorted(map(str, ds.variables))}"
        )
    comp = _compression_encoding(compression)
    plan: dict[str, dict[str, Any]] = {}
    for name, var in ds.variables.items():
        enc = {k: v for k, v in var.encoding.items() if k not in _STALE}
        user = dict(overrides.get(name, {}))
        enc.update(user)
        if "chunksizes" in user:
            enc["chunksizes"] = tuple(user["chunksizes"])
        if var.dtype.kind == "c":
            raise TypeError(
                f"variable {name!r} is complex ({var.dtype}); netCDF has no "
                f"complex type that xarray reads back by default, so nothing "
                f"was written. Store its .real and .imag as two variables."
            )
        kind = _is_time_like(var)
        if kind is not None:
            _pin_time(str(name), var, enc, kind)
        if name in ds.coords:
            enc.setdefault("_FillValue", None)  # no NaN fill on coordinates (#5448)
        elif comp and var.ndim > 0 and not _own_compression(var.encoding, user):
            enc.update(comp)
        plan[str(name)] = enc
    return plan


def _own_compression(source: Mapping[str, Any], user: Mapping[str, Any]) -> bool:
    """The variable's compression is decided already: by ``encoding=``, or on in its source.

    A source file's ``zlib: False`` only says that file was not compressed; it is no
    reason to ignore ``compression=`` (``fastiter split --compress 1`` of an uncompressed
    file wrote uncompressed files).
    """
    if any(k in user for k in ("zlib", "compression")):
        return True
    return bool(source.get("zlib")) or source.get("compression") not in (None, False)


@dataclass
class EncodedVariable:
    """One variable ready for ``createVariable``: everything but the (lazy) data."""

    name: str
    dims: tuple[str, ...]
    datatype: Any
    fill_value: Any
    create: dict[str, Any]
    attrs: dict[str, Any]
    data: Any


@dataclass
class EncodedPiece:
    """A piece encoded for writing: dimension sizes, variables and global attributes."""

    dims: dict[str, int]
    unlimited: set[str]
    variables: list[EncodedVariable] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


def _clamp_chunks(create: dict[str, Any], shape: tuple[int, ...], unlimited_dim: bool) -> None:
    """Chunk sizes never larger than this file's shape (#1440)."""
    sizes = create.get("chunksizes")
    if sizes is None:
        return
    if len(sizes) != len(shape):
        raise ValueError(
            f"chunksizes {tuple(sizes)} has {len(sizes)} entries for a "
            f"variable of rank {len(shape)}"
        )
    if 0 in shape and not unlimited_dim:
        del create["chunksizes"]
        return
    create["chunksizes"] = tuple(
        max(1, min(int(c), s)) if s else int(c) for c, s in zip(sizes, shape)
    )


def encode_piece(
    piece: xr.Dataset, plan: Mapping[str, Mapping[str, Any]], unlimited_dims: Any = None
) -> EncodedPiece:
    """Run xarray's CF encoding on one piece with the fixed ``plan``.

    The returned data may still be lazy (dask); the writer materialises one variable at
    a time, so memory stays near one chunk.
    """
    unlimited = set(unlimited_dims or piece.encoding.get("unlimited_dims", ()) or ())
    piece = piece.copy(deep=False)
    for name, var in piece.variables.items():
        var.encoding = dict(plan.get(str(name), {}))
    variables, attrs = _xp.encode_dataset_coordinates(piece)
    try:
        variables, attrs = _xp.cf_encoder(variables, attrs)
    except Exception as err:
        _name_the_variable(err, variables)
        raise
    out = EncodedPiece(
        dims={str(k): int(v) for k, v in piece.sizes.items()},
        unlimited={str(u) for u in unlimited},
        attrs=dict(attrs),
    )
    for name, var in variables.items():
        try:
            out.variables.append(_encode_nc4(str(name), var, unlimited))
        except (ValueError, TypeError) as err:
            raise type(err)(f"variable {name!r} cannot be written: {err}") from err
    return out


def _name_the_variable(err: Exception, variables: Mapping[Any, xr.Variable]) -> None:
    """Re-raise a CF encoding error with the name of the variable that caused it."""
    for name, var in variables.items():
        try:
            _xp.encode_cf_variable(var, name=name)
        except Exception:  # noqa: BLE001 - this is the variable; say so
            if isinstance(err, (ValueError, TypeError)):
                raise type(err)(f"variable {name!r} cannot be encoded: {err}") from err
            return


def _encode_nc4(name: str, var: xr.Variable, unlimited: set[str]) -> EncodedVariable:
    if var.dtype == object:
        # Variable-length strings: xarray infers the type from every value, loading a
        # lazy variable to do so (and warning); the values are needed here anyway.
        var = _xp.ensure_dtype_not_object(var.load() if var.chunks is not None else var, name)
    var = _xp.force_native_endianness(var)
    var = _xp.encode_nc4_variable(var, name=name)
    vattrs = dict(var.attrs)
    fill = vattrs.pop("_FillValue", None)
    datatype = _xp.nc4_dtype(var)
    create = _xp.extract_nc4_variable_encoding(
        var, raise_on_invalid=True, unlimited_dims=list(unlimited)
    )
    create.pop("_FillValue", None)
    out = EncodedVariable(name, tuple(map(str, var.dims)), datatype, fill, create, vattrs, var.data)
    _finish_create(out, var.shape, unlimited)
    return out


def check_encoded(enc: EncodedPiece, engine: str) -> None:
    """Refuse, before anything is written, what the worker's library would refuse."""
    for v in enc.variables:
        dt = v.datatype
        if dt is not str and not (isinstance(dt, np.dtype) and dt.kind in "biufS"):
            raise TypeError(
                f"variable {v.name!r} encodes to {dt!r}, which netCDF4 cannot "
                f"store; nothing was written"
            )
        if engine == "h5netcdf":
            h5netcdf_kwargs(v)


def h5netcdf_kwargs(v: EncodedVariable) -> dict[str, Any]:
    """``v``'s storage keywords as h5netcdf takes them; refuses what it cannot honour.

    Lives with the encoding (not the file job) because :func:`check_encoded` runs it
    before any work, and the worker runs it again to create the variable.
    """
    create = dict(v.create)
    kw: dict[str, Any] = {}
    comp = create.pop("compression", None)
    if comp == "zlib":
        kw["compression"] = "gzip"
        kw["compression_opts"] = create.pop("complevel", 4)
    elif comp is not None:
        raise ValueError(f"engine='h5netcdf' supports zlib compression only, got {comp!r}")
    create.pop("complevel", None)
    kw["shuffle"] = bool(create.pop("shuffle", False)) and comp is not None
    if create.pop("fletcher32", False):
        kw["fletcher32"] = True
    if create.get("chunksizes") is not None:
        kw["chunks"] = tuple(create.pop("chunksizes"))
    create.pop("chunksizes", None)
    create.pop("contiguous", None)
    if create:
        raise ValueError(
            f"engine='h5netcdf' cannot honour encoding {sorted(create)} of "
            f"variable {v.name!r}; use engine='netcdf4'"
        )
    return kw


def _finish_create(v: EncodedVariable, shape: tuple[int, ...], unlimited: set[str]) -> None:
    """Per-file storage choices: chunk sizes clamped to this shape, else contiguous."""
    create = v.create
    has_unlimited = any(d in unlimited for d in v.dims)
    _clamp_chunks(create, shape, has_unlimited)
    if (
        len(shape)
        and 0 not in shape
        and not has_unlimited
        and create.get("compression") is None
        and create.get("chunksizes") is None
        and not create.get("fletcher32")
        and v.datatype is not str
    ):
        # One contiguous extent: HDF5 writes it in one go, no chunk index.
        create.setdefault("contiguous", True)


#: numpy variables at least this big are encoded lazily (one dask chunk per piece), so
#: encoding the whole Dataset at once never copies it whole.
_LAZY_BYTES = 1 << 20


def _lazy_stand_in(
    ds: xr.Dataset, chunks: Mapping[Any, tuple[int, ...]]
) -> tuple[xr.Dataset, dict[str, tuple[Any, np.ndarray]]]:
    """``ds`` with its big numpy variables wrapped as dask arrays chunked like the split."""
    import uuid

    import dask.array as da
    from dask.array.core import slices_from_chunks

    originals: dict[str, tuple[Any, np.ndarray]] = {}
    out = ds.copy(deep=False)
    for name, var in ds.variables.items():
        if (
            name in ds.indexes
            or var.chunks is not None
            or var.nbytes < _LAZY_BYTES
            or var.dtype.kind not in "biufcmM"
        ):
            continue
        data = np.asarray(var.data)
        blocks = tuple(chunks.get(d, (n,)) for d, n in zip(var.dims, data.shape))
        # Built by hand: da.from_array copies the whole array and hashes it for a name.
        name_ = f"fastiter-src-{uuid.uuid4().hex}"
        keys = itertools.product([name_], *(range(len(b)) for b in blocks))
        graph = dict(zip(keys, (data[s] for s in slices_from_chunks(blocks))))
        wrapped = da.Array(graph, name_, chunks=blocks, dtype=data.dtype)
        # dask's Array is one of xarray's duck arrays; only the stubs disagree (the name
        # of __array_ufunc__'s first parameter, an __array_namespace__ it does not need)
        out[name] = var.copy(deep=False, data=wrapped)  # type: ignore[arg-type]  # see above
        out[name].encoding = dict(var.encoding)
        originals[str(name)] = (wrapped, data)
    return out, originals


def encode_pieces(
    ds: xr.Dataset,
    plan: Mapping[str, Mapping[str, Any]],
    slices: Sequence[Mapping[str, slice]],
    unlimited_dims: Any = None,
) -> list[EncodedPiece]:
    """:func:`encode_piece` for every ``ds.isel(s)``, running xarray's encoders only once.

    CF encoding is elementwise along the split dimensions, so encoding the whole
    Dataset and slicing the result gives each piece's encoding (tests check they agree)
    for the price of one call instead of one per piece (~1 ms each).  Big numpy
    variables that the encoders leave unchanged are sliced as zero-copy views; ones the
    encoders do change stay lazy, one dask chunk per piece, so nothing is copied whole.
    """
    chunks = {d: _block_sizes(slices, d, ds.sizes[d]) for d in (slices[0] if slices else {})}
    from dask.base import is_dask_collection

    stand_in, originals = _lazy_stand_in(ds, chunks)
    whole = encode_piece(stand_in, plan, unlimited_dims)
    optimised: dict[str, tuple[Any, dict[Any, Any]]] = {}
    for v in whole.variables:
        wrapped = originals.get(v.name)
        if wrapped is not None and v.data is wrapped[0]:
            v.data = wrapped[1]  # untouched by the encoders: write the source itself
        elif is_dask_collection(v.data) and np.ndim(v.data):
            if not set(v.dims) & set(chunks) and v.data.nbytes <= SHARED_MAX_BYTES:
                v.data = _compute_here(v.data)
            else:
                optimised[v.name] = optimise(v.data)
    return [_slice_encoded(whole, s, optimised) for s in (slices or [{}])]


#: A lazy variable without a split dimension up to this size is computed once, here.
SHARED_MAX_BYTES = 16 << 20


def _compute_here(data: Any) -> np.ndarray:
    """A lazy variable every file holds whole (a coordinate, a static field): computed
    once for the write instead of once per file by each worker, and its graph is not
    optimised either (~2 ms per variable at 17 MB).  Bigger ones stay lazy, so the
    parent never holds a large array for the whole run."""
    from dask.local import get_sync  # a callable: a name would look for a client

    return np.asarray(data.compute(scheduler=get_sync))


def _block_sizes(slices: Sequence[Mapping[str, slice]], dim: str, length: int) -> tuple[int, ...]:
    """The split along ``dim`` as dask chunk sizes (pieces tile each split dimension)."""
    bounds = sorted({s[dim].indices(length)[:2] for s in slices})
    return tuple(stop - start for start, stop in bounds)


def _slice_encoded(
    whole: EncodedPiece,
    slices: Mapping[str, slice],
    optimised: Mapping[str, tuple[Any, dict[Any, Any]]],
) -> EncodedPiece:
    dims = {
        d: (len(range(*slices[d].indices(n))) if d in slices else n) for d, n in whole.dims.items()
    }
    out = EncodedPiece(dims=dims, unlimited=set(whole.unlimited), attrs=dict(whole.attrs))
    for v in whole.variables:
        idx = tuple(slices.get(d, slice(None)) for d in v.dims)
        if v.name in optimised:
            data = block_of(*optimised[v.name], idx)
        else:
            data = v.data[idx] if any(d in slices for d in v.dims) else v.data
        # Re-finishing the whole's storage choices for this shape gives what encoding
        # the piece alone gives: min(min(c, whole), piece) == min(c, piece).
        create = dict(v.create)
        piece_var = EncodedVariable(
            v.name, v.dims, v.datatype, v.fill_value, create, dict(v.attrs), data
        )
        _finish_create(
            piece_var,
            tuple(dims.get(d, n) for d, n in zip(v.dims, np.shape(v.data))),
            whole.unlimited,
        )
        out.variables.append(piece_var)
    return out
