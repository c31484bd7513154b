"""CachingDataSetIterator: the first pass fills a cache (memory or folder), later passes
replay it without touching the base."""

from __future__ import annotations

import os
from typing import Any

from fastiter.dataset import DataSet
from fastiter.iterators._wrapping import DataSetIteratorWrapper, check_state_type
from fastiter.iterators.base import BaseIterator, DataSetIterator

__all__ = ["CachingDataSetIterator", "InMemoryDataSetCache", "InFileDataSetCache"]


class InMemoryDataSetCache:
    """Batches kept in a dict (copies in and out, so callers may change them in place).

    Examples
    --------
    >>> c = InMemoryDataSetCache()
    >>> c.put("ns-0", DataSet(np.ones((1, 1)))); c.contains("ns-0"), c.is_complete("ns")
    (True, False)
    """

    def __init__(self) -> None:
        self._store: dict[str, DataSet] = {}
        self._complete: set[str] = set()

    def is_complete(self, namespace: str) -> bool:
        """Whether a full pass of ``namespace`` is stored."""
        return namespace in self._complete

    def set_complete(self, namespace: str, value: bool) -> None:
        """Mark (or unmark) ``namespace`` as holding a full pass."""
        (self._complete.add if value else self._complete.discard)(namespace)

    def contains(self, key: str) -> bool:
        """Whether batch ``key`` is stored."""
        return key in self._store

    def get(self, key: str) -> DataSet:
        """A copy of batch ``key``."""
        return self._store[key].copy()

    def put(self, key: str, ds: DataSet) -> None:
        """Store a copy of ``ds`` as batch ``key``."""
        self._store[key] = ds.copy()


class InFileDataSetCache:
    """Batches saved with ``DataSet.save`` as ``folder/<key>.h5``; a ``<namespace>.complete``
    marker records a finished pass, so a later process can replay the cache.

    Examples
    --------
    >>> import tempfile
    >>> c = InFileDataSetCache(tempfile.mkdtemp())
    >>> c.put("ns-0", DataSet(np.ones((1, 1)))); c.contains("ns-0"), c.is_complete("ns")
    (True, False)
    """

    def __init__(self, folder: Any) -> None:
        self._folder = os.fspath(folder)
        os.makedirs(self._folder, exist_ok=True)

    def _path(self, key: str) -> str:
        return os.path.join(self._folder, f"{key}.h5")

    def _marker(self, namespace: str) -> str:
        return os.path.join(self._folder, f"{namespace}.complete")

    def is_complete(self, namespace: str) -> bool:
        """Whether the ``<namespace>.complete`` marker exists."""
        return os.path.exists(self._marker(namespace))

    def set_complete(self, namespace: str, value: bool) -> None:
        """Write the marker atomically (or remove it)."""
        marker = self._marker(namespace)
        if value:
            tmp = marker + ".tmp"
            with open(tmp, "w") as fh:
                fh.write("complete\n")
            os.replace(tmp, marker)
        elif os.path.exists(marker):
            os.remove(marker)

    def contains(self, key: str) -> bool:
        """Whether ``<key>.h5`` exists."""
        return os.path.exists(self._path(key))

    def get(self, key: str) -> DataSet:
        """``DataSet.load`` of ``<key>.h5``."""
        return DataSet.load(self._path(key))

    def put(self, key: str, ds: DataSet) -> None:
        """``ds.save`` to ``<key>.h5`` (atomic, replacing)."""
        ds.save(self._path(key), overwrite=True)


def _as_cache(cache: Any) -> Any:
    if cache is None:
        return InMemoryDataSetCache()
    if isinstance(cache, (str, os.PathLike)):
        return InFileDataSetCache(cache)
    for m in ("is_complete", "set_complete", "contains", "get", "put"):
        if not callable(getattr(cache, m, None)):
            raise TypeError(
                f"cache must be None (memory), a folder, or an object with "
                f"is_complete/set_complete/contains/get/put; it lacks {m}()"
            )
    return cache


class CachingDataSetIterator(DataSetIteratorWrapper):
    """Reads ``base`` once into ``cache`` and replays the cache on later passes.

    A pass reads the cache when the cache holds a complete pass for ``namespace``;
    otherwise it reads the base (resetting it) and stores every batch.  The base's
    pre-processor runs before caching; this iterator's runs on every batch returned,
    cached or not, once.

    Parameters
    ----------
    base : DataSetIterator
        Should be deterministic: a cache replays the first pass's order.
    cache : None, path-like or cache object
        None keeps batches in memory; a folder keeps them on disk (reusable by a later
        process); or any object with ``is_complete/set_complete/contains/get/put``.
    namespace : str
        Key prefix, so several iterators can share one cache.
    allow_prefetching : bool
        What :meth:`async_supported` answers.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> it = CachingDataSetIterator(ArrayDataSetIterator(np.ones((4, 1)), None, 2))
    >>> [len(b) for b in it], [len(b) for b in it]
    ([2, 2], [2, 2])
    """

    def __init__(
        self,
        base: DataSetIterator,
        cache: Any = None,
        namespace: str = "default",
        allow_prefetching: bool = True,
    ) -> None:
        super().__init__(base)
        self._cache = _as_cache(cache)
        if not isinstance(namespace, str) or not namespace:
            raise ValueError(f"namespace must be a non-empty str, got {namespace!r}")
        self._namespace = namespace
        self._allow_prefetching = bool(allow_prefetching)
        self._begin_pass(fresh=True)

    forwards_pre_processor = False  # the base's runs before caching, ours on every batch

    def _begin_pass(self, fresh: bool = False) -> None:
        self._from_cache = self._cache.is_complete(self._namespace)
        self._filled_from_start = not self._from_cache
        if not self._from_cache and not fresh:
            self.base.reset()

    def _key(self, index: int) -> str:
        return f"{self._namespace}-{index}"

    def _restart(self) -> None:
        self._begin_pass()

    def has_next(self) -> bool:
        if self._from_cache:
            return self._cache.contains(self._key(self._position))
        if self.base.has_next():
            return True
        if self._filled_from_start:
            self._cache.set_complete(self._namespace, True)
        return False

    def _next_batch(self, num: int | None) -> DataSet:
        if num is not None:
            raise NotImplementedError(
                "CachingDataSetIterator.next(num) is not supported: "
                "cached batches have the base's size"
            )
        if self._from_cache:
            return self._cache.get(self._key(self._position))
        ds = self.base.next()
        self._cache.put(self._key(self._position), ds)
        return ds

    def num_batches(self) -> int:
        # not the base's: a cache filled by another process may hold another count
        return BaseIterator.num_batches(self)

    def reset_supported(self) -> bool:
        return True

    def async_supported(self) -> bool:
        return self._allow_prefetching

    def state_dict(self) -> dict[str, Any]:
        state = BaseIterator.state_dict(self)
        state.update(
            from_cache=self._from_cache,
            filled_from_start=self._filled_from_start,
            base=self.base.state_dict(),
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_state_type(
            self, state, ("epoch", "position", "from_cache", "filled_from_start", "base")
        )
        self.base.load_state_dict(state["base"])
        self._epoch, self._position = int(state["epoch"]), int(state["position"])
        self._from_cache = bool(state["from_cache"])
        # a fill can only complete the cache if the batches before the resume point are in it
        self._filled_from_start = bool(state["filled_from_start"]) and all(
            self._cache.contains(self._key(i)) for i in range(self._position)
        )
        if self._from_cache and not self._cache.is_complete(self._namespace):
            # a memory cache does not outlive its process: re-read this pass from the base
            self._from_cache = self._filled_from_start = False
            self.base.reset()
            self.base.skip(self._position)
