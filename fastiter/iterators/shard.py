"""Sharding: one rank's share of an iterator's batches, for multi-process training."""
from __future__ import annotations

from typing import Any

from fastiter._validate import positive_int
from fastiter.iterators._wrapping import PreProcessorOnBase
from fastiter.iterators.base import BaseIterator, DataSetIterator
from fastiter.errors import UnsupportedOperationError

__all__ = ["ShardedIterator", "shard_indices"]


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


class ShardedIterator(PreProcessorOnBase, DataSetIterator):
    """Batches ``rank, rank + world_size, ...`` of an indexable iterator.

    Built by ``it.shard(rank, world_size)``.  The base must be ``indexable`` (random
    access), so no shard reads batches it does not own.  ``reset()`` resets the base, so
    every rank sees the same epoch ordering (shuffles derive from ``(seed, epoch)``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter import ArrayDataSetIterator
    >>> base = ArrayDataSetIterator(np.arange(10.0)[:, None], batch_size=2)
    >>> [ds.features[0, 0].item() for ds in base.shard(1, 2)]
    [2.0, 6.0]
    """

    indexable = True

    def __init__(self, base: BaseIterator, rank: int, world_size: int) -> None:
        super().__init__()
        if not getattr(base, "indexable", False):
            raise UnsupportedOperationError(
                f"shard() needs an indexable iterator (random access to batch i); "
                f"{type(base).__name__} is not. Wrap the data in an indexable iterator "
                f"such as ArrayDataSetIterator, or shard the underlying files instead")
        self._base = base
        self._indices = shard_indices(base.num_batches(), rank, world_size)
        self.rank, self.world_size = rank, world_size

    def num_batches(self) -> int:
        return len(self._indices)

    def has_next(self) -> bool:
        return self._position < len(self._indices)

    def _batch_at(self, index: int) -> Any:
        return self._base._batch_at(self._indices[index])

    def _next_batch(self, num: int | None) -> Any:
        if num is not None:
            raise NotImplementedError("a sharded iterator cannot honour next(num)")
        return self._batch_at(self._position)

    def _skip(self, n: int) -> None:
        if n > self.num_batches():
            raise ValueError(f"cannot skip to batch {n}: this shard has {self.num_batches()}")

    def _restart(self) -> None:
        self._base._epoch = self._epoch
        self._base._position = 0
        self._base._restart()
        self._indices = shard_indices(self._base.num_batches(), self.rank, self.world_size)

    def reset_supported(self) -> bool:
        return self._base.reset_supported()

    def batch(self) -> int:
        return self._base.batch()

    def get_labels(self) -> list[str] | None:
        return self._base.get_labels()

    def _apply_pre_processor(self, batch: Any) -> None:
        self._base._apply_pre_processor(batch)
