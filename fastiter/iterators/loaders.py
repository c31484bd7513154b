"""One DataSet per file through a loader: FileSplitDataSetIterator, DataSetLoaderIterator
and ExistingMiniBatchDataSetIterator (pre-saved ``dataset-%d`` minibatches)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from fastiter._validate import SeedLike, optional_seed_key, seed_key
from fastiter.dataset import DataSet
from fastiter.dataset.order import epoch_permutation, require_seed
from fastiter.iterators._indexed import IndexedBatchesMixin
from fastiter.iterators.base import DataSetIterator

__all__ = [
    "FileSplitDataSetIterator",
    "DataSetLoaderIterator",
    "ExistingMiniBatchDataSetIterator",
    "default_loader",
]


def default_loader(path: str) -> DataSet:
    """``DataSet.load(path)``: the format written by ``DataSet.save``."""
    return DataSet.load(path)


def _as_loader(loader: Any) -> Callable[[str], Any]:
    if callable(getattr(loader, "load", None)):
        return loader.load
    if callable(loader):
        return loader
    raise TypeError(
        f"loader must be a callable path -> DataSet (or have a load(path) "
        f"method), got {type(loader).__name__}"
    )


def _as_paths(paths: Any) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        raise TypeError("paths must be a list of files, got a single path; wrap it in a list")
    out = [os.fspath(p) for p in paths]
    if not out:
        raise ValueError("paths is empty: give at least one file")
    return out


class _PathsIterator(IndexedBatchesMixin, DataSetIterator):
    """Batch i is ``loader(paths[order[i]])``; indexable, so workers can load in parallel."""

    def _setup(self, paths: Sequence[Any], loader: Any, shuffle: bool, seed: SeedLike) -> None:
        self._paths = _as_paths(paths)
        self._loader = _as_loader(loader)
        self._shuffle = bool(shuffle)
        self._seed = seed_key("seed", seed) if shuffle else optional_seed_key("seed", seed)
        self._restart()

    def _restart(self) -> None:
        n = len(self._paths)
        self._order = (
            epoch_permutation(n, require_seed(self._seed, self), self._epoch)
            if self._shuffle
            else np.arange(n)
        )

    def _load(self, index: int) -> DataSet:
        path = self._paths[int(self._order[index])]
        ds = self._loader(path)
        if not isinstance(ds, DataSet):
            raise TypeError(
                f"the loader returned a {type(ds).__name__} for {path!r}; it must return a DataSet"
            )
        return ds

    def num_batches(self) -> int:
        return len(self._paths)

    def _batch_at(self, index: int) -> DataSet:
        return self._load(index)

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None:
            raise NotImplementedError(
                f"{type(self).__name__}.next(num) is not supported: each batch is one file"
            )
        return self._load(self._position)

    def async_supported(self) -> bool:
        return True


class FileSplitDataSetIterator(_PathsIterator):
    """One DataSet per file, in the given order, through ``loader(path)``.

    Examples
    --------
    >>> it = FileSplitDataSetIterator(["a", "b"], lambda p: DataSet(np.ones((2, 1))))
    >>> [len(ds) for ds in it]
    [2, 2]
    """

    def __init__(self, files: Sequence[Any], loader: Any) -> None:
        super().__init__()
        self._setup(files, loader, False, None)


class DataSetLoaderIterator(_PathsIterator):
    """One DataSet per path through ``loader``, optionally in a seeded shuffled order
    (a new permutation of ``(seed, epoch)`` each reset).

    ``loader`` is a callable ``path -> DataSet`` or an object with ``load(path)``.

    Examples
    --------
    >>> it = DataSetLoaderIterator(["0", "1", "2"], lambda p: DataSet(np.full((1, 1), int(p))),
    ...                            shuffle=True, seed=4)
    >>> sorted(float(ds.features[0, 0]) for ds in it)
    [0.0, 1.0, 2.0]
    """

    def __init__(
        self,
        paths: Sequence[Any],
        loader: Any = default_loader,
        shuffle: bool = False,
        seed: SeedLike = None,
    ) -> None:
        super().__init__()
        self._setup(paths, loader, shuffle, seed)


class ExistingMiniBatchDataSetIterator(_PathsIterator):
    """Pre-saved minibatches ``root/pattern % i`` for i = 0, 1, ... while the file exists.

    Parameters
    ----------
    root : path-like
        The folder.
    pattern : str
        A ``%d`` pattern (default ``"dataset-%d.h5"``).
    loader : callable, optional
        ``path -> DataSet``; defaults to ``DataSet.load``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     np.save(os.path.join(d, f"dataset-{i}.npy"), np.full((2, 1), i))
    >>> it = ExistingMiniBatchDataSetIterator(d, "dataset-%d.npy",
    ...                                       loader=lambda p: DataSet(np.load(p)))
    >>> [float(ds.features[0, 0]) for ds in it]
    [0.0, 1.0, 2.0]
    """

    def __init__(
        self, root: Any, pattern: str = "dataset-%d.h5", loader: Any = default_loader
    ) -> None:
        super().__init__()
        root = os.fspath(root)
        if not os.path.isdir(root):
            raise ValueError(f"root must be an existing folder, got {root!r}")
        try:
            pattern % 0
        except TypeError:
            raise ValueError(
                f"pattern must hold one %d for the batch index, got {pattern!r}"
            ) from None
        paths: list[str] = []
        while os.path.exists(os.path.join(root, pattern % len(paths))):
            paths.append(os.path.join(root, pattern % len(paths)))
        if not paths:
            raise ValueError(f"no minibatch files {pattern % 0!r}, ... in {root!r}")
        self._setup(paths, loader, False, None)
