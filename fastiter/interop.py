"""Zero-copy hand-over of batches to PyTorch and JAX through DLPack.

Neither framework is a dependency: each is imported on first use, and a missing one
raises an ImportError that names the extra to install.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["require", "to_torch", "to_jax", "batch_arrays", "batch_tensors"]

_EXTRAS = {"torch": "torch", "jax": "jax"}


def require(module: str) -> Any:
    """Import an optional framework, or explain which extra provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _EXTRAS.get(module.split(".")[0], module)
        raise ImportError(f"{module} is needed for this; install it with "
                          f"`pip install fastiter[{extra}]`") from exc


def batch_arrays(batch: Any) -> dict[str, Any]:
    """The arrays of a DataSet (or MultiDataSet) by field name, None where absent."""
    names = ("features", "labels", "features_mask", "labels_mask")
    if hasattr(batch, "features_masks"):
        names = ("features", "labels", "features_masks", "labels_masks")
    return {n: getattr(batch, n) for n in names}


def _convert(value: Any, convert: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [_convert(v, convert) for v in value]
    arr = np.asarray(value)
    if not arr.flags.c_contiguous and not arr.flags.f_contiguous:
        arr = np.ascontiguousarray(arr)
    return convert(arr)


def to_torch(batch: Any) -> dict[str, Any]:
    """The batch's arrays as torch tensors sharing memory with them (DLPack).

    >>> from fastiter import DataSet
    >>> t = to_torch(DataSet(np.ones((2, 3), np.float32)))  # doctest: +SKIP
    >>> t["features"].shape  # doctest: +SKIP
    torch.Size([2, 3])
    """
    torch = require("torch")
    return {k: _convert(v, torch.from_dlpack) for k, v in batch_arrays(batch).items()}


def to_jax(batch: Any) -> dict[str, Any]:
    """The batch's arrays as JAX arrays through DLPack (zero-copy where JAX allows)."""
    jnp = require("jax.numpy")
    return {k: _convert(v, jnp.from_dlpack) for k, v in batch_arrays(batch).items()}


def _without_none(arrays: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in arrays.items():
        if v is None:
            continue
        if isinstance(v, list) and any(x is None for x in v):
            # a MultiDataSet's masks: keep the present ones, keyed by their array index
            v = {str(i): x for i, x in enumerate(v) if x is not None}
            if not v:
                continue
        out[k] = v
    return out


def batch_tensors(batch: Any) -> dict[str, Any]:
    """:func:`to_torch` without the absent arrays: no value is None, so that torch's
    ``default_collate`` (any DataLoader ``batch_size``) can stack the dicts.

    A MultiDataSet's mask list with gaps becomes a dict of the present masks keyed by
    array index (``"0"``, ``"1"``, ...).

    >>> from fastiter import DataSet
    >>> sorted(batch_tensors(DataSet(np.ones((2, 3), np.float32))))  # doctest: +SKIP
    ['features']
    """
    return _without_none(to_torch(batch))
