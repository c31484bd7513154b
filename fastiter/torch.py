"""PyTorch interop: an IterableDataset that splits batches across workers and ranks.

Importing this module needs torch (``pip install fastiter[torch]``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from fastiter.interop import require, to_torch
from fastiter.iterators.shard import shard_indices

_torch = require("torch")

__all__ = ["IterableDataset"]


class IterableDataset(_torch.utils.data.IterableDataset):
    """Serve a fastiter iterator's batches to ``torch.utils.data.DataLoader``.

    Every ``(rank, DataLoader worker)`` pair takes the batch indices
    ``shard, shard + S, ...`` with ``S = world_size * num_workers``, so across all ranks
    and workers each batch is produced exactly once.  Use ``DataLoader(ds,
    batch_size=None)``: fastiter already batches.  Tensors share memory with the numpy
    batch (DLPack), so nothing is copied on the way.

    Parameters
    ----------
    iterator : fastiter iterator
        Must be ``indexable`` (random access) when there is more than one shard;
        otherwise each shard would read every batch.
    rank, world_size : int, optional
        This process's place among distributed ranks; default from
        ``torch.distributed`` when it is initialised, else ``0`` and ``1``.
    convert : callable, optional
        Turns a batch into what the loader yields (default: a dict of tensors).

    Examples
    --------
    >>> import numpy as np, fastiter, torch                  # doctest: +SKIP
    >>> it = fastiter.ArrayDataSetIterator(np.ones((8, 2)), batch_size=2)  # doctest: +SKIP
    >>> loader = torch.utils.data.DataLoader(IterableDataset(it), batch_size=None,
    ...                                      num_workers=2)  # doctest: +SKIP
    """

    def __init__(self, iterator: Any, rank: int | None = None, world_size: int | None = None,
                 convert: Callable[[Any], Any] = to_torch) -> None:
        super().__init__()
        dist = _torch.distributed
        initialised = dist.is_available() and dist.is_initialized()
        self.rank = rank if rank is not None else (dist.get_rank() if initialised else 0)
        self.world_size = world_size if world_size is not None else (
            dist.get_world_size() if initialised else 1)
        shard_indices(0, self.rank, self.world_size)  # validates rank/world_size early
        self.iterator = iterator
        self.convert = convert

    def _shard(self) -> tuple[int, int]:
        info = _torch.utils.data.get_worker_info()
        workers, worker = (1, 0) if info is None else (info.num_workers, info.id)
        return self.rank * workers + worker, self.world_size * workers

    def __iter__(self) -> Iterator[Any]:
        shard, total = self._shard()
        it = self.iterator
        if getattr(it, "indexable", False):
            for i in shard_indices(it.num_batches(), shard, total):
                yield self.convert(it.batch_at(i))
            return
        if total > 1:
            raise ValueError(f"{type(it).__name__} is not indexable, so it cannot be split "
                             f"across {total} workers/ranks without every shard reading "
                             f"everything; use num_workers=0 and world_size=1, or an "
                             f"indexable iterator")
        if it.reset_supported() and it.position > 0:
            it.reset()
        while it.has_next():
            yield self.convert(it.next())
