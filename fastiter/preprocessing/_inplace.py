"""Helpers that let pre-processors work in place on any batch they are given.

DL4J's pre-processors change their argument in place.  A numpy batch cannot always be
changed in place: integer pixels cannot hold scaled values and a read-only view cannot be
written.  Such an array is replaced, on the DataSet, by a floating copy; everything else
is changed where it lies.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from typing import Any

import numpy as np

from fastiter.dataset.stats import float_dtype_for

__all__ = ["float_dtype_for", "writable_float", "batches_of"]


def writable_float(arr: Any, name: str) -> np.ndarray:
    """``arr`` itself when it is a writeable floating ndarray, else a floating copy."""
    if not isinstance(arr, np.ndarray):
        arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and arr.flags.writeable:
        return arr
    return arr.astype(float_dtype_for(arr.dtype))


def batches_of(source: Any, owner: Any, kind: type) -> Generator[Any, None, None]:
    """Yield the batches of ``source`` for one fitting pass, as DL4J's ``fit`` does.

    ``source`` is one ``kind`` object (yielded once), a DL4J-style iterator (reset before
    and after the pass when it supports reset) or any iterable of ``kind`` objects.  If
    the iterator's own pre-processor is ``owner`` it is switched off for the pass, so an
    unfitted normalizer does not run on the batches it is fitting on.
    """
    if isinstance(source, kind):
        yield source
        return
    if callable(getattr(source, "has_next", None)) and callable(getattr(source, "next", None)):
        yield from _iterator_pass(source, owner, kind)
        return
    if isinstance(source, Iterable) and not isinstance(source, (str, bytes, np.ndarray)):
        for i, item in enumerate(source):
            yield _checked(item, kind, i)
        return
    raise TypeError(
        f"fit needs a {kind.__name__}, an iterator of them or an iterable of "
        f"them, got {type(source).__name__}"
    )


def _checked(item: Any, kind: type, i: int) -> Any:
    if not isinstance(item, kind):
        raise TypeError(f"batch {i} is a {type(item).__name__}, expected a {kind.__name__}")
    return item


def _iterator_pass(it: Any, owner: Any, kind: type) -> Iterator[Any]:
    resettable = bool(getattr(it, "reset_supported", lambda: False)())
    own = getattr(it, "pre_processor", None) is owner
    if own:
        it.pre_processor = None
    try:
        if resettable:
            it.reset()
        i = 0
        while it.has_next():
            yield _checked(it.next(), kind, i)
            i += 1
        if resettable:
            it.reset()
    finally:
        if own:
            it.pre_processor = owner
