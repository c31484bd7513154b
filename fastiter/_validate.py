"""Argument checks shared by the facade: each error states the rule, the value and the fix."""
from __future__ import annotations

import numbers
from typing import Any, Union

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


#: Seeds are Philox / SeedSequence keys in [0, 2**64).
SEED_LIMIT = 1 << 64

#: What every ``seed=`` accepts (see :func:`seed_key`).
SeedLike = Union[int, None, np.random.SeedSequence, np.random.Generator]


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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int in [0, 2**64), None, a numpy.random."
                        f"SeedSequence or a numpy.random.Generator, got {value!r} of type "
                        f"{type(value).__name__}")
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be an int in [0, 2**64), got {value}")
    return int(value)


def optional_seed_key(name: str, value: Any) -> int | None:
    """:func:`seed_key` for a seed that only matters when given (None stays None)."""
    return None if value is None else seed_key(name, value)
