"""Seeded, recomputable orderings: every shuffle is a pure function of (seed, epoch).

Shared by the iterators, the dataset loaders and the netCDF reader, so it lives on the
bottom floor with the data objects.
"""

from __future__ import annotations

import numpy as np

__all__ = ["epoch_permutation", "batch_stream", "require_seed"]


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The permutation of ``range(n)`` used in ``epoch``; never touches global state.

    >>> bool((epoch_permutation(5, 1, 0) == epoch_permutation(5, 1, 0)).all())
    True
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, epoch])))
    return rng.permutation(n)


def require_seed(seed: int | None, owner: object) -> int:
    """``seed``, for an iterator whose order or data come from it; None (a loaded state
    without a seed) is refused with a message that says so, never used.

    >>> require_seed(7, object())
    7
    """
    if seed is None:
        raise ValueError(
            f"{type(owner).__name__} needs a seed (its order or data come "
            f"from it); the state loaded has seed=None (take it from this "
            f"iterator's state_dict())"
        )
    return seed


_M64 = (1 << 64) - 1


def _mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijection on 64-bit ints that scatters nearby inputs."""
    z = (z + 0x9E3779B97F4A7C15) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def batch_stream(epoch: int, batch: int, array: int = 0) -> int:
    """The 64-bit Philox stream (``fastiter.kernels.random_*(stream=...)``) of array
    ``array`` in batch ``batch`` of ``epoch``: a hash, so streams never overlap in
    practice, and cheap (a few integer operations; it runs once per array per batch).

    >>> batch_stream(0, 1) == batch_stream(0, 1) != batch_stream(1, 0)
    True
    """
    return _mix64(_mix64(_mix64(epoch & _M64) ^ (batch & _M64)) ^ (array & _M64))
