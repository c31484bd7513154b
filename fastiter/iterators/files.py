"""FileDataSetIterator / FileMultiDataSetIterator: a folder tree of saved (Multi)DataSets,
optionally shuffled by file and re-batched to any batch size."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from fastiter._validate import SeedLike, optional_seed_key, positive_int, seed_key
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.dataset.order import epoch_permutation, require_seed
from fastiter.iterators._wrapping import check_state_type
from fastiter.iterators.base import BaseIterator, DataSetIterator, MultiDataSetIterator

__all__ = ["FileDataSetIterator", "FileMultiDataSetIterator", "list_files"]


def _norm_ext(ext: str) -> str:
    return ext.lower() if ext.startswith(".") else "." + ext.lower()


def list_files(
    root: Any, extensions: Sequence[str] | str | None = None, recursive: bool = True
) -> list[str]:
    """Files under ``root`` (sorted, so the unshuffled order is reproducible), filtered by
    extension (case-insensitive, with or without the dot).  An empty result raises."""
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise ValueError(f"root must be an existing folder, got {root!r}")
    exts = None
    if extensions is not None:
        exts = {_norm_ext(e) for e in ([extensions] if isinstance(extensions, str) else extensions)}
    out = []
    for here, dirs, files in os.walk(root):
        dirs.sort()
        if not recursive:
            dirs.clear()
        out += [
            os.path.join(here, f)
            for f in sorted(files)
            if exts is None or os.path.splitext(f)[1].lower() in exts
        ]
    if not out:
        raise ValueError(
            f"no files found under {root!r}" + (f" with extensions {sorted(exts)}" if exts else "")
        )
    return out


class _FileBatches:
    """The file walk and re-batching shared by both interfaces."""

    _kind: type[DataSet] | type[MultiDataSet]

    def _setup(
        self,
        root: Any,
        batch_size: int | None,
        shuffle: bool,
        seed: SeedLike,
        extensions: Any,
        recursive: bool,
        loader: Any,
    ) -> None:
        roots = root if isinstance(root, (list, tuple)) else [root]
        self._files = [f for r in roots for f in list_files(r, extensions, recursive)]
        self._batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
        self._shuffle = bool(shuffle)
        self._seed = seed_key("seed", seed) if shuffle else optional_seed_key("seed", seed)
        if loader is None:
            loader = self._kind.load
        if not callable(loader):
            raise TypeError(
                f"loader must be a callable path -> {self._kind.__name__}, "
                f"got {type(loader).__name__}"
            )
        self._loader = loader
        self._restart()

    def _restart(self) -> None:
        n = len(self._files)
        self._order = (
            epoch_permutation(n, require_seed(self._seed, self), self._epoch)
            if self._shuffle
            else np.arange(n)
        )
        self._next_file = 0
        self._pending: tuple[int, int] | None = None  # (file position, first unused example)
        self._pending_data: Any = None

    def _load(self, file_pos: int) -> Any:
        path = self._files[int(self._order[file_pos])]
        obj = self._loader(path)
        if not isinstance(obj, self._kind):
            raise TypeError(
                f"{path!r} loaded as a {type(obj).__name__}, expected a {self._kind.__name__}"
            )
        return obj

    def _fill_pending(self) -> bool:
        """Make the next unused examples pending, skipping empty files; False at the end."""
        while self._pending is None and self._next_file < len(self._files):
            data = self._load(self._next_file)
            self._next_file += 1
            if len(data):
                self._pending, self._pending_data = (self._next_file - 1, 0), data
        return self._pending is not None

    def has_next(self) -> bool:
        return self._fill_pending()

    def _take_pending(self) -> tuple[int, int, Any]:
        assert self._pending is not None
        fp, off = self._pending
        if self._pending_data is None:  # after load_state_dict: re-read that file's tail
            whole = self._load(fp)
            self._pending_data = whole.get_range(off, len(whole))
        data, self._pending, self._pending_data = self._pending_data, None, None
        return fp, off, data

    def _next_batch(self, num: int | None) -> Any:
        if num is not None:
            raise NotImplementedError(
                f"{type(self).__name__}.next(num) is not supported; set batch_size instead"
            )
        if self._batch_size is None:
            return self._take_pending()[2]
        parts = [self._take_pending()]
        count = len(parts[0][2])
        while count < self._batch_size and self._fill_pending():
            parts.append(self._take_pending())
            count += len(parts[-1][2])
        need, take = self._batch_size, []
        for fp, off, data in parts:  # only the last part can overflow the batch
            if len(data) <= need:
                take.append(data)
                need -= len(data)
            else:
                take.append(data.get_range(0, need))
                self._pending = (fp, off + need)
                self._pending_data = data.get_range(need, len(data))
                need = 0
        return take[0] if len(take) == 1 else self._kind.merge(take)

    def batch(self) -> int:
        if self._batch_size is None:
            raise NotImplementedError("no batch_size was set: each batch is one file")
        return self._batch_size

    def reset_supported(self) -> bool:
        return True

    def async_supported(self) -> bool:
        return True

    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)  # type: ignore[arg-type]  # mixin on a BaseIterator
        state.update(
            next_file=self._next_file,
            pending=None if self._pending is None else list(self._pending),
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(self, state, ("epoch", "position", "next_file", "pending"))
        if self._shuffle and state.get("seed") is None:
            raise ValueError("state of a shuffling iterator must hold its seed")
        self._epoch, self._seed = int(state["epoch"]), state.get("seed")
        self._restart()
        self._position = int(state["position"])
        self._next_file = int(state["next_file"])
        self._pending = None if state["pending"] is None else tuple(state["pending"])


class FileDataSetIterator(_FileBatches, DataSetIterator):
    """DataSets saved with ``DataSet.save`` under ``root`` (recursively), one file per
    batch or re-batched to ``batch_size``.

    Re-batching merges small files and splits big ones, carrying the leftover examples
    into the next batch; the last batch may be smaller.  Empty files are skipped.  With
    ``shuffle=True`` the file order is the permutation of ``(seed, epoch)``, new at every
    reset.  The pre-processor is applied once to every batch on every path (DL4J skips
    it when ``batch_size`` is unset).  Differs from DL4J: the examples of a split file
    are not shuffled.

    Parameters
    ----------
    root : path-like or list of them
    batch_size : int, optional
    shuffle : bool
    seed : int, optional
    extensions : str or list of str, optional
        Keep only files with these extensions.
    recursive : bool
    loader : callable, optional
        ``path -> DataSet``, defaulting to ``DataSet.load``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     np.save(os.path.join(d, f"{i}.npy"), np.full((4, 1), i))
    >>> it = FileDataSetIterator(d, batch_size=3, loader=lambda p: DataSet(np.load(p)))
    >>> [len(ds) for ds in it]
    [3, 3, 3, 3]
    """

    _kind = DataSet

    def __init__(
        self,
        root: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        seed: SeedLike = None,
        extensions: Any = None,
        recursive: bool = True,
        loader: Any = None,
    ) -> None:
        DataSetIterator.__init__(self)
        self._setup(root, batch_size, shuffle, seed, extensions, recursive, loader)

    def _peek(self) -> DataSet:
        return self._load(0)

    def get_labels(self) -> list[str] | None:
        return self._peek().label_names


class FileMultiDataSetIterator(_FileBatches, MultiDataSetIterator):
    """:class:`FileDataSetIterator` for MultiDataSets saved with ``MultiDataSet.save``.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> np.save(os.path.join(d, "a.npy"), np.ones((5, 2)))
    >>> it = FileMultiDataSetIterator(d, 2, loader=lambda p: MultiDataSet([np.load(p)]))
    >>> [len(m) for m in it]
    [2, 2, 1]
    """

    _kind = MultiDataSet

    def __init__(
        self,
        root: Any,
        batch_size: int | None = None,
        shuffle: bool = False,
        seed: SeedLike = None,
        extensions: Any = None,
        recursive: bool = True,
        loader: Any = None,
    ) -> None:
        MultiDataSetIterator.__init__(self)
        self._setup(root, batch_size, shuffle, seed, extensions, recursive, loader)
