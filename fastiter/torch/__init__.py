"""PyTorch interop: the three loader shapes (see docs/pytorch.md).

- :class:`IterableDataset` serves a fastiter iterator's batches (a new shuffle every
  epoch, ``set_epoch``, sharding across ranks and workers, torchdata-compatible state);
- :class:`Dataset` is a map-style dataset over a DataSet's (or an indexable iterator's)
  examples, for torch's samplers, with :func:`collate_fn` on fastiter's batch kernels;
- :func:`worker_init_fn` sets fastiter's pool size in DataLoader workers (by default
  they use one thread each).

Importing this package needs torch (``pip install fastiter[torch]``).
"""

from fastiter.interop import batch_tensors
from fastiter.torch._iterable import IterableDataset
from fastiter.torch._mapstyle import Dataset, collate_fn
from fastiter.torch._workers import worker_init_fn

__all__ = ["IterableDataset", "Dataset", "collate_fn", "worker_init_fn", "batch_tensors"]
