"""Seeded, recomputable orderings: every shuffle is a pure function of (seed, epoch)."""
from __future__ import annotations

import secrets

import numpy as np


def fresh_seed() -> int:
    """A seed drawn from the OS, for callers that asked for a shuffle without one.

    The iterator records it (``state_dict()['seed']``) so the run can be reproduced.
    """
    return secrets.randbits(63)


def epoch_permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    """The permutation of ``range(n)`` used in ``epoch``; never touches global state.

    >>> bool((epoch_permutation(5, 1, 0) == epoch_permutation(5, 1, 0)).all())
    True
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, epoch])))
    return rng.permutation(n)


def batch_stream(epoch: int, batch: int, array: int = 0) -> int:
    """The 64-bit Philox stream (``fastiter.kernels.random_*(stream=...)``) of array
    ``array`` in batch ``batch`` of ``epoch``: a hash, so streams never overlap in practice.

    >>> batch_stream(0, 1) == batch_stream(0, 1) != batch_stream(1, 0)
    True
    """
    words = np.random.SeedSequence([epoch, batch, array]).generate_state(2, np.uint32)
    return int(words[0]) << 32 | int(words[1])
