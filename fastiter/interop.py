"""Zero-copy hand-over of batches to PyTorch and JAX through DLPack.

Neither framework is a dependency: each is imported on first use, and a missing one
raises an ImportError that names the extra to install.
"""

from __future__ import annotations

from typing import Any

from fastiter._extras import import_extra as require
from fastiter.dataset.dlpack import batch_arrays, to_jax, to_torch

__all__ = ["require", "to_torch", "to_jax", "batch_arrays", "batch_tensors"]


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
    >>> import numpy as np
    >>> sorted(batch_tensors(DataSet(np.ones((2, 3), np.float32))))  # doctest: +SKIP
    ['features']
    """
    return _without_none(to_torch(batch))
