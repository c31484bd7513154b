"""Zero-copy hand-over of batches to PyTorch and JAX through DLPack.

Neither framework is a dependency: each is imported on first use, and a missing one
raises an ImportError that names the extra to install.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["require", "to_torch", "to_jax", "batch_arrays"]

_EXTRAS = {"torch": "torch", "jax": "jax"}


def require(module: str) -> Any:
    """Import an optional framework, or explain which extra provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        from fastiter._extras import missing_extra_message

        root = module.split(".")[0]
        raise ImportError(missing_extra_message("this", _EXTRAS.get(root, root), [root]),
                          name=root) from exc


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
