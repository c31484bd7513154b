"""The three sizes every case is built at: ``full`` (``fastiter bench``, ``make bench``),
``quick`` (``fastiter bench --quick``) and ``smoke`` (``pytest bench
--benchmark-disable``: every case once, on tiny inputs)."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["SIZES", "pick"]

SIZES = ("full", "quick", "smoke")
T = TypeVar("T")


def pick(size: str, full: T, quick: T, smoke: T) -> T:
    """The value for ``size``.

    >>> pick("quick", 1_000_000, 200_000, 2_000)
    200000
    """
    if size not in SIZES:
        raise ValueError(f"size={size!r}: expected one of {SIZES}")
    return {"full": full, "quick": quick, "smoke": smoke}[size]
