"""Chaining pre-processors: Combined/Composite (DataSet and MultiDataSet) and Dummy."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CompositeDataSetPreProcessor",
    "CombinedPreProcessor",
    "CompositeMultiDataSetPreProcessor",
    "DummyPreProcessor",
]


def _check_all(pre_processors: tuple[Any, ...], who: str) -> list[Any]:
    for i, p in enumerate(pre_processors):
        if not callable(getattr(p, "pre_process", None)):
            raise TypeError(
                f"{who}: pre-processor #{i} must have a pre_process(ds) method, "
                f"got {type(p).__name__}"
            )
    return list(pre_processors)


class CompositeDataSetPreProcessor:
    """Run several pre-processors in order on the same DataSet.

    With ``stop_on_empty=True`` the chain stops as soon as the DataSet is empty (all of
    its arrays are None), before the next pre-processor sees it, as DL4J's
    ``stopOnEmptyDataSet``.

    Examples
    --------
    >>> from fastiter import DataSet
    >>> from fastiter.preprocessing import (ImagePreProcessingScaler,
    ...                                     ImageFlatteningDataSetPreProcessor)
    >>> chain = CompositeDataSetPreProcessor(ImagePreProcessingScaler(),
    ...                                      ImageFlatteningDataSetPreProcessor())
    >>> ds = DataSet(np.full((1, 1, 2, 2), 255, np.uint8)); chain.pre_process(ds)
    >>> ds.features.tolist()
    [[1.0, 1.0, 1.0, 1.0]]
    """

    def __init__(self, *pre_processors: Any, stop_on_empty: bool = False) -> None:
        self.pre_processors = _check_all(pre_processors, type(self).__name__)
        self.stop_on_empty = bool(stop_on_empty)

    def pre_process(self, ds: Any) -> None:
        """Run each pre-processor in order on the batch, in place."""
        if ds is None:
            raise TypeError(f"{type(self).__name__}.pre_process got None instead of a batch")
        if self.stop_on_empty and ds.is_empty():
            return
        for p in self.pre_processors:
            p.pre_process(ds)
            if self.stop_on_empty and ds.is_empty():
                return

    def __repr__(self) -> str:
        inner = ", ".join(type(p).__name__ for p in self.pre_processors)
        return f"{type(self).__name__}({inner}, stop_on_empty={self.stop_on_empty})"


class CombinedPreProcessor(CompositeDataSetPreProcessor):
    """DL4J's CombinedPreProcessor: the same chain, built with :meth:`add` if preferred.

    >>> chain = CombinedPreProcessor().add(DummyPreProcessor()).add(DummyPreProcessor())
    >>> len(chain.pre_processors)
    2
    """

    def add(self, pre_processor: Any, index: int | None = None) -> CombinedPreProcessor:
        """Append ``pre_processor`` (or insert it at ``index``); returns ``self``."""
        (checked,) = _check_all((pre_processor,), type(self).__name__)
        if index is None:
            self.pre_processors.append(checked)
        else:
            self.pre_processors.insert(int(index), checked)
        return self


class CompositeMultiDataSetPreProcessor:
    """Run several MultiDataSet pre-processors in order on the same MultiDataSet.

    >>> from fastiter import MultiDataSet
    >>> chain = CompositeMultiDataSetPreProcessor(DummyPreProcessor())
    >>> mds = MultiDataSet([np.ones((1, 2))]); chain.pre_process(mds); mds.features[0].tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, *pre_processors: Any) -> None:
        self.pre_processors = _check_all(pre_processors, type(self).__name__)

    def pre_process(self, mds: Any) -> None:
        """Run each pre-processor in order on the batch, in place."""
        if mds is None:
            raise TypeError(f"{type(self).__name__}.pre_process got None instead of a batch")
        for p in self.pre_processors:
            p.pre_process(mds)


class DummyPreProcessor:
    """A pre-processor that leaves every batch (DataSet or MultiDataSet) unchanged.

    Examples
    --------
    >>> ds = DataSet(np.ones((2, 2)))
    >>> DummyPreProcessor().pre_process(ds)
    >>> ds.features.tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    def pre_process(self, ds: Any) -> None:
        """Do nothing."""

    def __repr__(self) -> str:
        return "DummyPreProcessor()"
