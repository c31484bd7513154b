"""A map-style Dataset over examples, and a collate_fn on fastiter's batch kernels.

torch's samplers (``RandomSampler``, ``DistributedSampler``, ``BatchSampler``) and
``Subset`` pick example indices; :class:`Dataset` answers them.  A DataLoader with
``batch_size`` asks ``dataset.__getitems__(indices)`` for a whole batch at once (torch
>= 2.0, and ``Subset`` forwards it), so one ``gather`` kernel call per array builds the
batch; :func:`collate_fn` then hands those arrays to torch without copying them again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fastiter import kernels
from fastiter._validate import is_int
from fastiter.dataset import DataSet
from fastiter.interop import require
from fastiter.iterators.base import DataSetIterator
from fastiter.torch._workers import configure_worker_threads

_torch = require("torch")

__all__ = ["Dataset", "collate_fn"]

_FIELDS = ("features", "labels", "features_mask", "labels_mask")


class _Batch(Sequence):
    """The examples of one ``__getitems__`` call, already gathered into batch arrays.

    :func:`collate_fn` takes the arrays as they are; any other collate (torch's
    ``default_collate``) sees an ordinary sequence of per-example dicts.
    """

    __slots__ = ("arrays", "_n")

    def __init__(self, arrays: dict[str, np.ndarray], n: int) -> None:
        self.arrays, self._n = arrays, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        return {k: v[i] for k, v in self.arrays.items()}


def _index_array(name: str, indices: Any, n: int) -> np.ndarray:
    idx = np.asarray(indices.numpy() if isinstance(indices, _torch.Tensor) else indices)
    if idx.dtype.kind not in "iu" and idx.size:
        raise TypeError(f"{name} must be integers, got dtype {idx.dtype}")
    idx = idx.astype(np.int64, copy=False).reshape(-1)
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"{name} holds {bad}, out of range for {n} examples")
    return np.where(idx < 0, idx + n, idx)


# a name mypy can take as a base class (torch comes in through require(), typed Any)
_TorchDataset: Any = _torch.utils.data.Dataset


class Dataset(_TorchDataset):
    """Map-style access to the examples of a :class:`~fastiter.DataSet` or of an
    indexable fastiter iterator, for torch's samplers.

    ``ds[i]`` is example ``i`` as a dict of numpy rows (``features``, ``labels`` and the
    masks that exist: never None); ``ds[[i, j, ...]]`` (what a ``BatchSampler`` used as
    ``sampler=`` asks) and ``ds.__getitems__`` gather a batch with fastiter's ``gather``
    kernel.  Pair it with :func:`collate_fn`.

    Parameters
    ----------
    source : DataSet or indexable iterator
        A DataSet's examples, or an indexable iterator's examples in its current epoch
        order (example ``i`` is row ``i % B`` of batch ``i // B``, ``B = batch()``; give
        it ``shuffle=False``: the sampler shuffles).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from fastiter import DataSet
    >>> from fastiter.torch import Dataset, collate_fn
    >>> ds = Dataset(DataSet(np.arange(12.0).reshape(6, 2), np.eye(6)))
    >>> len(ds), ds[4]["features"].tolist()
    (6, [8.0, 9.0])
    >>> loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True,
    ...                                      collate_fn=collate_fn)
    >>> [tuple(b["features"].shape) for b in loader]
    [(4, 2), (2, 2)]
    """

    def __init__(self, source: Any) -> None:
        super().__init__()
        self._data: DataSet | None = None
        self._iter: Any = None
        if isinstance(source, DataSet):
            self._data = source
            self._n = source.num_examples()
        elif isinstance(source, DataSetIterator) and getattr(source, "indexable", False):
            self._iter = source
            self._b = int(source.batch())
            nb = source.num_batches()
            self._n = 0 if nb == 0 else (nb - 1) * self._b + len(source.batch_at(nb - 1))
            self._cached: tuple[int, Any] | None = None
        else:
            raise TypeError(
                f"source must be a DataSet or an indexable DataSetIterator "
                f"(random access to its batches), got {type(source).__name__}"
            )

    def __len__(self) -> int:
        return self._n

    def _gather(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        if self._data is not None:
            data = self._data
            return {
                f: kernels.gather(getattr(data, f), idx)
                for f in _FIELDS
                if getattr(data, f) is not None
            }
        rows: dict[str, list[np.ndarray]] = {}
        for i in idx.tolist():
            b, r = divmod(i, self._b)
            if self._cached is None or self._cached[0] != b:
                self._cached = (b, self._iter.batch_at(b))
            batch = self._cached[1]
            for f in _FIELDS:
                a = getattr(batch, f)
                if a is not None:
                    rows.setdefault(f, []).append(a[r])
        return {f: kernels.collate(v) for f, v in rows.items()}

    def __getitem__(self, index: Any) -> dict[str, np.ndarray]:
        configure_worker_threads()
        if is_int(index):
            idx = _index_array("index", [index], self._n)
            return {k: v[0] for k, v in self._gather(idx).items()}
        if isinstance(index, (list, tuple, np.ndarray, _torch.Tensor)):
            return self._gather(_index_array("index", index, self._n))
        raise TypeError(f"index must be an int or a sequence of ints, got {type(index).__name__}")

    def __getitems__(self, indices: Sequence[int]) -> _Batch:
        """The batch of ``indices``, gathered in one kernel call per array."""
        configure_worker_threads()
        idx = _index_array("indices", indices, self._n)
        return _Batch(self._gather(idx), len(idx))


def _tensor(a: Any) -> Any:
    if isinstance(a, np.ndarray):
        return _torch.from_numpy(a if a.flags.writeable else a.copy())
    return a


def collate_fn(batch: Any) -> Any:
    """Collate what :class:`Dataset` (or any map-style dataset of numpy examples) gives.

    - a batch :class:`Dataset` gathered (``__getitems__``, a list index): its arrays as
      tensors, sharing memory (no second copy);
    - a list of per-example dicts, tuples or arrays: each field stacked by fastiter's
      ``collate`` kernel into one array, then handed over without a copy;
    - anything else: torch's ``default_collate``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiter.torch import collate_fn
    >>> out = collate_fn([{"x": np.ones(3, np.float32)}, {"x": np.zeros(3, np.float32)}])
    >>> out["x"].shape, out["x"].dtype
    (torch.Size([2, 3]), torch.float32)
    """
    configure_worker_threads()
    if isinstance(batch, _Batch):
        return {k: _tensor(v) for k, v in batch.arrays.items()}
    if isinstance(batch, Mapping):
        return {k: _tensor(v) for k, v in batch.items()}
    if isinstance(batch, Sequence) and batch and not isinstance(batch, (str, bytes)):
        first = batch[0]
        if isinstance(first, Mapping):
            return {k: collate_fn([ex[k] for ex in batch]) for k in first}
        if isinstance(first, tuple):
            return tuple(collate_fn(list(col)) for col in zip(*batch))
        if isinstance(first, np.ndarray):
            return _torch.from_numpy(kernels.collate(batch))
    return _torch.utils.data.default_collate(batch)
