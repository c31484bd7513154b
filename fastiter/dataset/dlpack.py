"""Zero-copy hand-over of a DataSet's arrays to PyTorch and JAX through DLPack.

It lives with the data objects so that ``DataSet.to_torch()`` / ``to_jax()`` need nothing
from above them; :mod:`fastiter.interop` is the public face of these functions.  Neither
framework is a dependency: each is imported on first use, and a missing one raises an
ImportError that names the extra to install.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter._extras import import_extra

__all__ = ["batch_arrays", "to_torch", "to_jax"]


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
    torch = import_extra("torch")
    return {k: _convert(v, torch.from_dlpack) for k, v in batch_arrays(batch).items()}


def to_jax(batch: Any) -> dict[str, Any]:
    """The batch's arrays as JAX arrays through DLPack (zero-copy where JAX allows)."""
    jnp = import_extra("jax.numpy")
    return {k: _convert(v, jnp.from_dlpack) for k, v in batch_arrays(batch).items()}
