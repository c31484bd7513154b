"""DataSet's label helpers (outcome, counts, filtering, sorting) and conversions.

DL4J reads a class as the argmax of an example's one-hot labels ``[N, C]``; these
methods do the same and refuse other label ranks with an explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

__all__ = ["LabelOpsMixin"]


class LabelOpsMixin:
    """Class-label methods of :class:`fastiter.DataSet` (mixed in; needs its fields)."""

    __slots__ = ()
    features: np.ndarray | None
    labels: np.ndarray | None
    features_mask: np.ndarray | None
    labels_mask: np.ndarray | None
    example_metadata: list | None
    label_names: list[str] | None

    if TYPE_CHECKING:  # provided by DataSet and ExampleOpsMixin; a runtime stub here
        # would come first in DataSet's MRO and hide ExampleOpsMixin._assign_from
        def _select(self, index: Any) -> Any: ...

        def _assign_from(self, other: Any) -> None: ...

    def _one_hot_labels(self, what: str) -> np.ndarray:
        """The labels, refused unless they are rank-2 one-hot ones."""
        if self.labels is None:
            raise ValueError(f"{what} needs labels, but this DataSet has none")
        if self.labels.ndim != 2:
            raise ValueError(
                f"{what} needs one-hot labels of shape [N, C], got labels of "
                f"shape {self.labels.shape}"
            )
        return self.labels

    def _classes(self, what: str) -> np.ndarray:
        """The argmax class of every example, for rank-2 one-hot labels."""
        return np.argmax(self._one_hot_labels(what), axis=1)

    def _class_list(self, classes: Any, what: str) -> list[int]:
        values = np.atleast_1d(np.asarray(classes))
        if values.dtype.kind not in "iu":
            raise TypeError(
                f"{what} classes must be integer class indices, got dtype {values.dtype}"
            )
        c = self._one_hot_labels(what).shape[1]
        bad = values[(values < 0) | (values >= c)]
        if bad.size:
            raise ValueError(
                f"{what} class {int(bad[0])} is outside [0, {c}) for labels with {c} columns"
            )
        return [int(v) for v in values]

    def outcome(self) -> int:
        """The class (label argmax) of a single-example DataSet.

        >>> from fastiter import DataSet
        >>> DataSet(np.zeros((1, 2)), np.array([[0.0, 1.0, 0.0]])).outcome()
        1
        """
        classes = self._classes("outcome()")
        if classes.shape[0] != 1:
            raise ValueError(
                f"outcome() is defined for a DataSet of 1 example, this one "
                f"has {classes.shape[0]}; use label_counts() or index first"
            )
        return int(classes[0])

    def label_counts(self) -> dict[int, int]:
        """Examples per class (label argmax), for the classes that occur, in class order.

        >>> from fastiter import DataSet
        >>> DataSet(np.zeros((3, 1)), np.eye(3)[[2, 0, 2]]).label_counts()
        {0: 1, 2: 2}
        """
        classes, counts = np.unique(self._classes("label_counts()"), return_counts=True)
        return {int(k): int(v) for k, v in zip(classes, counts)}

    def filter_by(self, classes: Sequence[int]) -> Any:
        """A new DataSet of the examples whose class is among ``classes`` (order kept).

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.arange(4.0)[:, None], np.eye(3)[[0, 1, 2, 1]])
        >>> ds.filter_by([1]).features[:, 0].tolist()
        [1.0, 3.0]
        """
        keep = self._class_list(classes, "filter_by")
        return self._select(np.flatnonzero(np.isin(self._classes("filter_by"), keep)))

    def filter_and_strip(self, classes: Sequence[int]) -> None:
        """In place: keep the examples of ``classes`` and re-one-hot the labels over them.

        The new label column of a class is its position in ``classes``; label names
        follow.

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.arange(4.0)[:, None], np.eye(3)[[0, 1, 2, 1]])
        >>> ds.filter_and_strip([2, 1])
        >>> ds.labels.tolist()
        [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
        """
        from fastiter.kernels import one_hot

        keep = self._class_list(classes, "filter_and_strip")
        if len(set(keep)) != len(keep):
            raise ValueError(f"filter_and_strip classes must be distinct, got {keep}")
        kept = self.filter_by(keep)
        labels = kept._one_hot_labels("filter_and_strip")
        remap = np.full(labels.shape[1], -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        new_classes = remap[np.argmax(labels, axis=1)]
        dtype = labels.dtype
        out_dtype = (
            dtype
            if dtype in (np.float16, np.float32, np.float64, np.int32, np.uint8, np.bool_)
            else np.float32
        )
        kept.labels = one_hot(new_classes, len(keep), dtype=out_dtype).astype(dtype, copy=False)
        if kept.label_names is not None:
            kept.label_names = [kept.label_names[k] for k in keep]
        self._assign_from(kept)

    def sort_by_label(self) -> None:
        """In place: interleave the classes round-robin, then append the rest.

        While every class ``0..C-1`` still has examples, one example of each class is
        taken in class order; when a class runs out, the remaining examples follow
        grouped by class.  Within a class the original order is kept (DL4J's order).

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.arange(6.0)[:, None], np.eye(3)[[0, 0, 1, 2, 2, 2]])
        >>> ds.sort_by_label()
        >>> np.argmax(ds.labels, axis=1).tolist()
        [0, 1, 2, 0, 2, 2]
        """
        classes = self._classes("sort_by_label()")
        n, c = classes.shape[0], self._one_hot_labels("sort_by_label()").shape[1]
        counts = np.bincount(classes, minlength=c)
        rounds = int(counts.min()) if n else 0  # full rounds: every class has one
        stop = int(np.argmax(counts == rounds))  # the class that ends the last round
        # each example's rank within its class, in original order
        order = np.argsort(classes, kind="stable")
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
        key = np.where(
            rank < rounds,
            rank * c + classes,
            np.where(
                (rank == rounds) & (classes < stop),
                rounds * c + classes,
                (rounds + 1) * c + classes.astype(np.int64) * n + rank,
            ),
        )
        self._assign_from(self._select(np.argsort(key, kind="stable")))
