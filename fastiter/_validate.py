"""Argument checks shared by all of fastiter: each error states the rule, the value and the fix.

This module is on the bottom floor (it imports nothing from fastiter), so every layer,
the data objects and the kernels included, can use it.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer and not a bool: the test behind every integer
    argument (Python and numpy integers pass; ``True`` and ``numpy.True_`` do not, though
    both are ``numbers.Integral`` to Python).

    >>> is_int(3), is_int(np.int16(3)), is_int(True), is_int(np.bool_(True)), is_int(3.0)
    (True, True, False, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _bounds(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"in [{lo}, {hi}]"
    if lo is not None:
        return f">= {lo}"
    return "" if hi is None else f"<= {hi}"


def check_int(name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer (not a bool) in ``[lo, hi]``
    (``None``: no bound), else raise naming ``name``, the value and what was expected.

    >>> check_int("batch", 4, 1)
    4
    >>> check_int("batch", True, 1)
    Traceback (most recent call last):
    ...
    TypeError: batch must be an integer >= 1, got True of type bool
    >>> check_int("level", 12, 0, 9)
    Traceback (most recent call last):
    ...
    ValueError: level must be in [0, 9], got 12
    """
    bounds = _bounds(lo, hi)
    if not is_int(value):
        raise TypeError(
            f"{name} must be an integer{' ' + bounds if bounds else ''}, got "
            f"{value!r} of type {type(value).__name__}"
        )
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{name} must be {bounds}, got {v}")
    return v


def positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise naming ``name``."""
    return check_int(name, value, 1)


def int_in_range(name: str, value: Any, lo: int, hi: int) -> int:
    """Return ``value`` as an int if it is an integer in ``[lo, hi]``, else raise naming
    ``name``."""
    return check_int(name, value, lo, hi)


def numeric_array(name: str, value: Any, *, allow_none: bool = False) -> np.ndarray | None:
    """Return ``value`` as a numeric (bool, int or float) ndarray, else raise naming ``name``."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{name} must be an array, got None")
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must have a numeric dtype (bool, int or float), got dtype {arr.dtype}"
        )
    return arr


#: Seeds are Philox / SeedSequence keys in [0, 2**64).
SEED_LIMIT = 1 << 64

#: What every ``seed=`` accepts (see :func:`seed_key`).
SeedLike = int | None | np.random.SeedSequence | np.random.Generator


def seed_key(name: str, value: Any) -> int:
    """The integer key a ``seed=`` argument stands for (the one mapping every API uses).

    - ``int`` in ``[0, 2**64)``: itself;
    - ``None``: 63 fresh bits from the OS (the caller records the key it got, e.g. in
      ``state_dict()['seed']``, so the run can be repeated);
    - ``numpy.random.SeedSequence``: its first 64-bit word (``generate_state(1,
      uint64)``), so the same sequence always gives the same key;
    - ``numpy.random.Generator``: one 64-bit draw from it, which advances it (a fixed
      Generator passed to several objects gives each its own key, reproducibly).

    >>> import numpy as np
    >>> seed_key("seed", 7)
    7
    >>> seed_key("seed", np.random.SeedSequence(7)) == seed_key("seed", np.random.SeedSequence(7))
    True
    >>> a, b = np.random.default_rng(1), np.random.default_rng(1)
    >>> seed_key("seed", a) == seed_key("seed", b) != seed_key("seed", a)
    True
    """
    if value is None:
        import secrets

        return secrets.randbits(63)
    if isinstance(value, np.random.SeedSequence):
        return int(value.generate_state(1, np.uint64)[0])
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, SEED_LIMIT, dtype=np.uint64))
    if not is_int(value):
        raise TypeError(
            f"{name} must be an int in [0, 2**64), None, a numpy.random."
            f"SeedSequence or a numpy.random.Generator, got {value!r} of type "
            f"{type(value).__name__}"
        )
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be an int in [0, 2**64), got {value}")
    return int(value)


def optional_seed_key(name: str, value: Any) -> int | None:
    """:func:`seed_key` for a seed that only matters when given (None stays None)."""
    return None if value is None else seed_key(name, value)
