"""Argument checks shared by the facade: each error states the rule, the value and the fix."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= 1, got {value!r} "
                        f"of type {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def int_in_range(name: str, value: Any, lo: int, hi: int) -> int:
    """Return ``value`` as an int if it is an integer in ``[lo, hi]``, else raise naming
    ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {value!r} "
                        f"of type {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
    return int(value)


def numeric_array(name: str, value: Any, *, allow_none: bool = False) -> np.ndarray | None:
    """Return ``value`` as a numeric (bool, int or float) ndarray, else raise naming ``name``."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} must be an array, got None")
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a numeric dtype (bool, int or float), "
                        f"got dtype {arr.dtype}")
    return arr
