"""Sharding: one rank's share of an iterator's batches, for multi-process training.

:func:`shard` is the API; ``it.shard(rank, world_size)`` on any iterator calls it (this
module installs itself behind that method, so that ``base.py`` never imports it).
"""

from __future__ import annotations

from typing import Any

from fastiter._validate import positive_int
from fastiter.errors import UnsupportedOperationError
from fastiter.iterators import base as _interfaces
from fastiter.iterators._wrapping import DataSetIteratorWrapper
from fastiter.iterators.base import BaseIterator

__all__ = ["ShardedIterator", "shard", "shard_indices"]


def shard_indices(num_batches: int, rank: int, world_size: int) -> range:
    """The batch indices shard ``rank`` of ``world_size`` owns: ``rank, rank + world, ...``.

    Round-robin striping keeps shards within one batch of each other in size, and the
    union over all ranks covers every batch exactly once.

    >>> list(shard_indices(7, 1, 3))
    [1, 4]
    """
    world_size = positive_int("world_size", world_size)
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size={world_size}), got {rank}")
    return range(rank, num_batches, world_size)


class ShardedIterator(DataSetIteratorWrapper):
    """Batches ``rank, rank + world_size, ...`` of an indexable iterator.

    Built by :func:`shard` (or ``it.shard(rank, world_size)``).  The base must be
    ``indexable`` (random access), so no shard reads batches it does not own.
    ``reset()`` resets the base, so every rank sees the same epoch ordering (shuffles
    derive from ``(seed, epoch)``).  The pre-processor is forwarded to the base.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(10.0)[:, None], batch_size=2)
    >>> [ds.features[0, 0].item() for ds in ShardedIterator(base, 1, 2)]
    [2.0, 6.0]
    """

    _base_type = BaseIterator  # as before: a MultiDataSetIterator can be sharded too
    forwards_index = True  # batch i is the base's batch rank + i * world_size
    forwards_paths = True  # the shard's indices are rebuilt for the new files' epoch

    def __init__(self, base: BaseIterator, rank: int, world_size: int) -> None:
        if not getattr(base, "indexable", False):
            raise UnsupportedOperationError(
                f"shard() needs an indexable iterator (random access to batch i); "
                f"{type(base).__name__} is not. Wrap the data in an indexable iterator "
                f"such as ArrayDataSetIterator, or shard the underlying files instead"
            )
        super().__init__(base)
        self._indices = shard_indices(base.num_batches(), rank, world_size)
        self.rank, self.world_size = rank, world_size

    def num_batches(self) -> int:
        return len(self._indices)

    def has_next(self) -> bool:
        return self.position < len(self._indices)

    def _batch_at(self, index: int) -> Any:
        return self.base.batch_at(self._indices[index])

    def _next_batch(self, num: int | None) -> Any:
        if num is not None:
            raise NotImplementedError("a sharded iterator cannot honour next(num)")
        return self._batch_at(self.position)

    def _skip(self, n: int) -> None:
        if n > self.num_batches():
            raise ValueError(f"cannot skip to batch {n}: this shard has {self.num_batches()}")

    def _reindex(self) -> None:
        # the base's epoch may have a different number of batches (e.g. resampled)
        self._indices = shard_indices(self.base.num_batches(), self.rank, self.world_size)

    def _restart(self) -> None:
        self._reset_base()
        self._reindex()

    def _load_own_state(self, state: dict[str, Any]) -> None:
        self._reindex()


def shard(iterator: BaseIterator, rank: int, world_size: int) -> ShardedIterator:
    """Batches ``rank, rank + world_size, ...`` of ``iterator`` (which needs random access).

    Every batch goes to exactly one of the ``world_size`` shards, so multi-process or
    multi-machine training needs no splitting code of its own.  ``it.shard(rank,
    world_size)`` is the same call.

    Parameters
    ----------
    iterator : BaseIterator
        An ``indexable`` iterator; every rank must build it with the same seed.
    rank, world_size : int
        This process's shard, ``0 <= rank < world_size``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(10.0)[:, None], batch_size=2)
    >>> [ds.features[0, 0].item() for ds in shard(base, 0, 2)]
    [0.0, 4.0, 8.0]
    """
    return ShardedIterator(iterator, rank, world_size)


_interfaces._set_sharder(shard)
