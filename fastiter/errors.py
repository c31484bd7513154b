"""Exception classes.  Each subclasses the builtin a caller would naturally catch."""

from __future__ import annotations

__all__ = [
    "NoSuchElementError",
    "UnsupportedOperationError",
    "ZeroLengthSequenceError",
    "StaleBatchError",
    "FormatError",
]


class NoSuchElementError(StopIteration):
    """``next()`` was called on an iterator with no batch left (DL4J's NoSuchElementException).

    It subclasses :class:`StopIteration`, so code written for Python iteration sees
    ordinary exhaustion.
    """


class UnsupportedOperationError(NotImplementedError):
    """The iterator does not support this call (for example ``reset()`` on a one-shot stream)."""


class ZeroLengthSequenceError(ValueError):
    """A sequence record had no time steps, which no alignment mode can place."""


class StaleBatchError(RuntimeError):
    """A batch from a recycled buffer slot was used after the slot was reused."""


class FormatError(ValueError):
    """A file is truncated, foreign or of an unsupported format version."""
