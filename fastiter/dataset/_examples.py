"""Example-level operations shared by DataSet and MultiDataSet: shuffle, split, batch, sample.

Both classes provide ``num_examples()``, ``_select(index)`` (rows as a new object, masks
and metadata included) and ``__slots__``; this mixin builds DL4J's selection methods on
those three alone.
"""

from __future__ import annotations

import numbers
import os
from fractions import Fraction
from typing import Any, NamedTuple, TypeVar

import numpy as np

from fastiter._validate import SeedLike, positive_int, seed_key

__all__ = ["SplitTestAndTrain", "ExampleOpsMixin"]

S = TypeVar("S", bound="ExampleOpsMixin")


class SplitTestAndTrain(NamedTuple):
    """The two parts of :meth:`DataSet.split_test_and_train`; unpacks as ``(train, test)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import DataSet
    >>> train, test = DataSet(np.arange(5.0)[:, None]).split_test_and_train(3)
    >>> len(train), len(test)
    (3, 2)
    """

    train: Any
    test: Any

    def get_train(self) -> Any:
        """DL4J's getter spelling of :attr:`train`."""
        return self.train

    def get_test(self) -> Any:
        """DL4J's getter spelling of :attr:`test`."""
        return self.test


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


def _check_seed(seed: Any) -> int:
    return seed_key("seed", seed)


def _train_count(n_or_fraction: Any, n: int) -> int:
    """How many examples go to train, by DL4J's rules (count, or an exact fraction)."""
    if n <= 1:
        raise ValueError(f"split_test_and_train needs at least 2 examples, got {n}")
    if isinstance(n_or_fraction, (bool, np.bool_)):
        raise TypeError(
            f"n_or_fraction must be an int count or a float fraction, got {n_or_fraction!r}"
        )
    if isinstance(n_or_fraction, numbers.Integral):
        k = int(n_or_fraction)
        if not 1 <= k < n:
            raise ValueError(
                f"n_or_fraction (a train count) must be in [1, {n - 1}] for {n} examples, got {k}"
            )
        return k
    if isinstance(n_or_fraction, numbers.Real):
        f = float(n_or_fraction)
        if not 0.0 < f < 1.0:
            raise ValueError(f"n_or_fraction (a train fraction) must be in (0, 1), got {f}")
        # the decimal the caller wrote, not its binary approximation: 0.29 * 100 is 29
        # f < 1 and n >= 2, so 1 <= k < n: test is never empty
        return max(1, int(Fraction(repr(f)) * n))
    raise TypeError(
        f"n_or_fraction must be an int count or a float fraction, "
        f"got {type(n_or_fraction).__name__}"
    )


class ExampleOpsMixin:
    """Selection methods built on ``num_examples()`` and ``_select(index)``."""

    __slots__: tuple[str, ...] = ()

    def num_examples(self) -> int:  # pragma: no cover - provided by the data class
        raise NotImplementedError

    def _select(self: S, index: Any) -> S:  # pragma: no cover - provided by the data class
        raise NotImplementedError

    def to_torch(self) -> dict[str, Any]:
        """The arrays as torch tensors sharing this batch's memory (DLPack), by field name.

        Needs ``pip install fastiter[torch]``; see :func:`fastiter.interop.to_torch`.
        """
        from fastiter.dataset.dlpack import to_torch

        return to_torch(self)

    def to_jax(self) -> dict[str, Any]:
        """The arrays as JAX arrays through DLPack, by field name.

        Needs ``pip install fastiter[jax]``; see :func:`fastiter.interop.to_jax`.
        """
        from fastiter.dataset.dlpack import to_jax

        return to_jax(self)

    def _assign_from(self, other: Any) -> None:
        for name in type(self).__slots__:
            if name != "__weakref__":
                setattr(self, name, getattr(other, name))

    def shuffle(self, seed: SeedLike = None) -> int:
        """Reorder the examples in place: arrays, masks and metadata together.

        Parameters
        ----------
        seed : int, optional
            The permutation is a pure function of the seed.  Without one, a seed is
            drawn from the OS; it is returned either way so the order can be reproduced.

        Returns
        -------
        int
            The seed used.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiter import DataSet
        >>> a, b = DataSet(np.arange(4.0)[:, None]), DataSet(np.arange(4.0)[:, None])
        >>> a.shuffle(7) == b.shuffle(7) and a == b
        True
        """
        used = _check_seed(seed)
        perm = _rng(used).permutation(self.num_examples())
        self._assign_from(self._select(perm))
        return used

    def split_test_and_train(
        self: S, n_or_fraction: int | float, seed: SeedLike = None
    ) -> SplitTestAndTrain:
        """Split into train (the first part) and test (the rest), as DL4J does.

        Parameters
        ----------
        n_or_fraction : int or float
            An int ``n`` puts the first ``n`` examples in train (``1 <= n < N``).  A float
            ``f`` in (0, 1) puts ``max(1, floor(f * N))`` there, computed exactly.
        seed : int, optional
            When given, the examples are shuffled (seeded) before splitting.  This object
            itself is left unchanged.

        Returns
        -------
        SplitTestAndTrain
            With ``.train`` and ``.test``; unpacks as ``(train, test)``.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiter import DataSet
        >>> s = DataSet(np.arange(10.0)[:, None]).split_test_and_train(0.7)
        >>> s.train.features[:, 0].tolist(), s.test.features[:, 0].tolist()
        ([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [7.0, 8.0, 9.0])
        """
        n = self.num_examples()
        k = _train_count(n_or_fraction, n)
        if seed is None:
            order: Any = np.arange(n)
        else:
            order = _rng(_check_seed(seed)).permutation(n)
        return SplitTestAndTrain(self._select(order[:k]), self._select(order[k:]))

    def batch_by(self: S, n: int) -> list[S]:
        """Consecutive chunks of ``n`` examples; the last may be smaller.

        >>> import numpy as np
        >>> from fastiter import DataSet
        >>> [len(b) for b in DataSet(np.zeros((5, 2))).batch_by(2)]
        [2, 2, 1]
        """
        n = positive_int("n", n)
        total = self.num_examples()
        return [self._select(slice(lo, min(lo + n, total))) for lo in range(0, total, n)]

    def as_list(self: S) -> list[S]:
        """One object per example (each a batch of 1).

        >>> import numpy as np
        >>> from fastiter import DataSet
        >>> [d.features.shape for d in DataSet(np.zeros((2, 3))).as_list()]
        [(1, 3), (1, 3)]
        """
        return [self._select(slice(i, i + 1)) for i in range(self.num_examples())]

    def sample(self: S, n: int, seed: SeedLike = None, with_replacement: bool = False) -> S:
        """``n`` randomly chosen examples, as a new object.

        Without replacement, sampling stops once every example has been used, so the
        result holds ``min(n, N)`` examples.  Without a seed, one is drawn from the OS.

        >>> import numpy as np
        >>> from fastiter import DataSet
        >>> len(DataSet(np.zeros((3, 1))).sample(5, seed=1))
        3
        >>> len(DataSet(np.zeros((3, 1))).sample(5, seed=1, with_replacement=True))
        5
        """
        n = positive_int("n", n)
        total = self.num_examples()
        if total == 0:
            raise ValueError("cannot sample from an empty data set (0 examples)")
        rng = _rng(_check_seed(seed))
        if with_replacement:
            idx = rng.integers(0, total, size=n)
        else:
            idx = rng.permutation(total)[: min(n, total)]
        return self._select(idx)

    def get(self: S, index: Any) -> S:
        """DL4J's ``get``: one example, or the examples at a list of indices."""
        return self[index]  # type: ignore[index]  # the host (DataSet...) defines __getitem__

    def memory_footprint(self) -> int:
        """Bytes of the arrays and masks (a view counts its own elements, not its base).

        >>> import numpy as np
        >>> from fastiter import DataSet
        >>> DataSet(np.zeros((2, 3), np.float32), np.zeros((2, 1), np.int8)).memory_footprint()
        26
        """
        total = 0
        for name in type(self).__slots__:
            value = getattr(self, name, None)
            values = value if isinstance(value, list) else [value]
            total += sum(v.nbytes for v in values if isinstance(v, np.ndarray))
        return total

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        """Write to an HDF5 file (fastiter's format, versioned; no pickle).

        The write is atomic: a temporary file in the same folder is renamed into place.
        An existing ``path`` raises :class:`FileExistsError` unless ``overwrite=True``.
        Metadata and label names must be JSON-serialisable.
        """
        from fastiter.dataset._h5io import save

        save(self, path, overwrite=overwrite)

    @classmethod
    def load(cls: type[S], path: str | os.PathLike) -> S:
        """Read an object written by :meth:`save`.

        Raises :class:`fastiter.FormatError` for a truncated or foreign file, or one of
        another kind or a newer format version.
        """
        from fastiter.dataset._h5io import load

        return load(cls, path)
