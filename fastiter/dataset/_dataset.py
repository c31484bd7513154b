"""DataSet and MultiDataSet: DL4J's minibatch containers, holding numpy arrays.

Shapes follow DL4J: features ``[N, F]``, images ``[N, C, H, W]``, time series
``[N, F, T]`` with masks ``[N, T]`` (1 where a step is real, 0 where it is padding).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from fastiter._validate import numeric_array
from fastiter.dataset._examples import ExampleOpsMixin
from fastiter.dataset._labels import LabelOpsMixin
from fastiter.dataset._rows import (
    array_eq,
    check_count,
    check_mask,
    copy_or_none,
    example_index,
    range_index,
    rows,
)
from fastiter.dataset._transforms import TransformOpsMixin

__all__ = ["DataSet", "MultiDataSet"]


class DataSet(LabelOpsMixin, TransformOpsMixin, ExampleOpsMixin):
    """One minibatch (or a whole dataset): features, labels and their optional masks.

    Parameters
    ----------
    features, labels : array_like, optional
        Numeric arrays with examples along dimension 0.
    features_mask, labels_mask : array_like, optional
        ``[N, T]`` masks for time series (``[N]`` is also accepted for rank-2 data).
    example_metadata : list, optional
        One entry per example (for example a record's source and position).
    label_names : list of str, optional
        Class names, index-aligned with the label columns.

    Examples
    --------
    >>> ds = DataSet(np.zeros((4, 3), np.float32), np.eye(2, dtype=np.float32)[[0, 1, 1, 0]])
    >>> ds.num_examples(), ds.num_inputs(), ds.num_outcomes()
    (4, 3, 2)
    >>> len(ds[1:3])
    2
    """

    __slots__ = (
        "features",
        "labels",
        "features_mask",
        "labels_mask",
        "example_metadata",
        "label_names",
        "__weakref__",
    )

    def __init__(
        self,
        features: Any = None,
        labels: Any = None,
        features_mask: Any = None,
        labels_mask: Any = None,
        *,
        example_metadata: list | None = None,
        label_names: list[str] | None = None,
    ) -> None:
        self.features = numeric_array("features", features, allow_none=True)
        self.labels = numeric_array("labels", labels, allow_none=True)
        self.features_mask = numeric_array("features_mask", features_mask, allow_none=True)
        self.labels_mask = numeric_array("labels_mask", labels_mask, allow_none=True)
        check_count(
            ("features", "labels", "features_mask", "labels_mask"),
            (self.features, self.labels, self.features_mask, self.labels_mask),
        )
        check_mask("features_mask", self.features_mask, self.features, "features")
        check_mask("labels_mask", self.labels_mask, self.labels, "labels")
        if example_metadata is not None:
            example_metadata = list(example_metadata)
            if len(example_metadata) != self.num_examples():
                raise ValueError(
                    f"example_metadata must have one entry per example "
                    f"({self.num_examples()}), got {len(example_metadata)}"
                )
        self.example_metadata = example_metadata
        self.label_names = None if label_names is None else list(label_names)

    # --- size and shape -------------------------------------------------------------
    def num_examples(self) -> int:
        """Dimension 0 of the features (or of the labels), or 0 when both are None."""
        for a in (self.features, self.labels):
            if a is not None:
                return int(a.shape[0])
        return 0

    def __len__(self) -> int:
        return self.num_examples()

    def num_inputs(self) -> int:
        """Dimension 1 of the features (1 for rank-1 features)."""
        if self.features is None:
            return 0
        return int(self.features.shape[1]) if self.features.ndim > 1 else 1

    def num_outcomes(self) -> int:
        """Dimension 1 of the labels (1 for rank-1 labels)."""
        if self.labels is None:
            return 0
        return int(self.labels.shape[1]) if self.labels.ndim > 1 else 1

    def is_empty(self) -> bool:
        """True when all four arrays are None."""
        return all(
            a is None for a in (self.features, self.labels, self.features_mask, self.labels_mask)
        )

    @classmethod
    def _trusted(
        cls,
        features: np.ndarray | None,
        labels: np.ndarray | None = None,
        features_mask: np.ndarray | None = None,
        labels_mask: np.ndarray | None = None,
        example_metadata: list | None = None,
        label_names: list[str] | None = None,
    ) -> DataSet:
        """Wrap arrays the library just built and checked, skipping validation.

        Batch assembly calls this once per batch; the constructor's checks cost about as
        much as assembling a small batch.  Never for user-supplied arrays.
        """
        out = cls.__new__(cls)
        out.features, out.labels = features, labels
        out.features_mask, out.labels_mask = features_mask, labels_mask
        out.example_metadata, out.label_names = example_metadata, label_names
        return out

    # --- selecting examples ---------------------------------------------------------
    def _select(self, index: Any) -> DataSet:
        meta = self.example_metadata
        if meta is not None:
            idx = np.arange(len(meta))[index]
            meta = [meta[i] for i in np.atleast_1d(idx)]
        return DataSet._trusted(
            rows(self.features, index),
            rows(self.labels, index),
            rows(self.features_mask, index),
            rows(self.labels_mask, index),
            meta,
            self.label_names,
        )

    def __getitem__(self, index: Any) -> DataSet:
        """One example (kept as a batch of 1), a slice, integer indices or a boolean mask."""
        return self._select(example_index(index, self.num_examples(), "DataSet"))

    def get_range(self, start: int, end: int) -> DataSet:
        """Examples ``start`` (inclusive) to ``end`` (exclusive), masks included."""
        return self._select(range_index(start, end, self.num_examples()))

    # --- copying and comparing ------------------------------------------------------
    def copy(self) -> DataSet:
        """A deep copy, metadata and label names included."""
        out = self._select(slice(None))
        for name in ("features", "labels", "features_mask", "labels_mask"):
            setattr(out, name, copy_or_none(getattr(self, name)))
        out.example_metadata = (
            None if self.example_metadata is None else list(self.example_metadata)
        )
        out.label_names = None if self.label_names is None else list(self.label_names)
        return out

    def detach(self) -> DataSet:
        """A copy that owns its memory (the batch stays valid when its buffer is reused)."""
        return self.copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataSet):
            return NotImplemented
        return all(
            array_eq(getattr(self, n), getattr(other, n))
            for n in ("features", "labels", "features_mask", "labels_mask")
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (as list is)

    def __repr__(self) -> str:
        def shp(a: np.ndarray | None) -> str:
            return "None" if a is None else f"{a.dtype}{list(a.shape)}"

        return (
            f"DataSet(features={shp(self.features)}, labels={shp(self.labels)}, "
            f"features_mask={shp(self.features_mask)}, "
            f"labels_mask={shp(self.labels_mask)})"
        )

    # --- merging --------------------------------------------------------------------
    @staticmethod
    def merge(datasets: Iterable[DataSet]) -> DataSet:
        """Concatenate DataSets along examples, as DL4J's ``DataSet.merge``.

        Empty DataSets are skipped.  Time series (rank 3) of different lengths are padded
        at the end to the longest, and a ``[N, T]`` mask (0 on padding) is created
        whenever lengths differ or any input had a mask.

        >>> a = DataSet(np.ones((1, 2, 3)), np.ones((1, 1, 3)))
        >>> b = DataSet(np.ones((1, 2, 5)), np.ones((1, 1, 5)))
        >>> DataSet.merge([a, b]).features_mask
        array([[1., 1., 1., 0., 0.],
               [1., 1., 1., 1., 1.]])
        """
        from fastiter.dataset._merge import merge_arrays

        parts = [d for d in datasets if not d.is_empty()]
        if not parts:
            return DataSet()
        for name in ("features", "labels"):
            has = [getattr(d, name) is not None for d in parts]
            if any(has) and not all(has):
                raise ValueError(
                    f"cannot merge DataSets where some have {name} and others "
                    f"do not (the first without is #{has.index(False)})"
                )
        feats, fmask = merge_arrays(
            [d.features for d in parts], [d.features_mask for d in parts], "features"
        )
        labs, lmask = merge_arrays(
            [d.labels for d in parts], [d.labels_mask for d in parts], "labels"
        )
        metas = [d.example_metadata for d in parts]
        meta = None
        if all(m is not None and len(m) == d.num_examples() for m, d in zip(metas, parts)):
            meta = [x for m in metas if m is not None for x in m]
        out = DataSet(
            feats, labs, fmask, lmask, example_metadata=meta, label_names=parts[0].label_names
        )
        return out

    def to_multi_data_set(self) -> MultiDataSet:
        """This DataSet as a MultiDataSet of one input and one output (arrays shared).

        >>> from fastiter import DataSet
        >>> DataSet(np.zeros((2, 3)), np.ones((2, 1))).to_multi_data_set().num_features_arrays()
        1
        """

        def one(a: np.ndarray | None) -> list | None:
            return None if a is None else [a]

        return MultiDataSet(
            one(self.features),
            one(self.labels),
            one(self.features_mask),
            one(self.labels_mask),
            example_metadata=self.example_metadata,
        )


class MultiDataSet(ExampleOpsMixin):
    """DL4J's MultiDataSet: lists of feature and label arrays, for multi-input/output models.

    Examples
    --------
    >>> mds = MultiDataSet([np.zeros((2, 3)), np.zeros((2, 5))], [np.ones((2, 1))])
    >>> mds.num_features_arrays(), mds.num_labels_arrays(), mds.num_examples()
    (2, 1, 2)
    """

    __slots__ = (
        "features",
        "labels",
        "features_masks",
        "labels_masks",
        "example_metadata",
        "__weakref__",
    )

    def __init__(
        self,
        features: Sequence[Any] | None = None,
        labels: Sequence[Any] | None = None,
        features_masks: Sequence[Any] | None = None,
        labels_masks: Sequence[Any] | None = None,
        *,
        example_metadata: list | None = None,
    ) -> None:
        def arrays(name: str, xs: Sequence[Any] | None, masks: bool = False) -> list | None:
            if xs is None:
                return None
            if isinstance(xs, np.ndarray):
                xs = [xs]
            return [numeric_array(f"{name}[{i}]", x, allow_none=masks) for i, x in enumerate(xs)]

        self.features = arrays("features", features) or []
        self.labels = arrays("labels", labels) or []
        self.features_masks = arrays("features_masks", features_masks, True)
        self.labels_masks = arrays("labels_masks", labels_masks, True)
        for mname, masks, arrs, aname in (
            ("features_masks", self.features_masks, self.features, "features"),
            ("labels_masks", self.labels_masks, self.labels, "labels"),
        ):
            if masks is not None:
                if len(masks) != len(arrs):
                    raise ValueError(
                        f"{mname} must have one entry per {aname} array "
                        f"({len(arrs)}), got {len(masks)}"
                    )
                for i, (m, a) in enumerate(zip(masks, arrs)):
                    check_mask(f"{mname}[{i}]", m, a, f"{aname}[{i}]")
        allarr = list(self.features) + list(self.labels)
        names = [f"features[{i}]" for i in range(len(self.features))] + [
            f"labels[{i}]" for i in range(len(self.labels))
        ]
        check_count(names, allarr)
        if example_metadata is not None:
            example_metadata = list(example_metadata)
            if len(example_metadata) != self.num_examples():
                raise ValueError(
                    f"example_metadata must have one entry per example "
                    f"({self.num_examples()}), got {len(example_metadata)}"
                )
        self.example_metadata = example_metadata

    def num_examples(self) -> int:
        """Dimension 0 of the first features (or labels) array, or 0."""
        for a in list(self.features) + list(self.labels):
            return int(a.shape[0])
        return 0

    def __len__(self) -> int:
        return self.num_examples()

    def is_empty(self) -> bool:
        """True when there is no features and no labels array."""
        return not self.features and not self.labels

    def num_features_arrays(self) -> int:
        """How many features arrays (model inputs) there are."""
        return len(self.features)

    def num_labels_arrays(self) -> int:
        """How many labels arrays (model outputs) there are."""
        return len(self.labels)

    def _select(self, index: Any) -> MultiDataSet:
        def sel(xs: list) -> list:
            return [rows(x, index) for x in xs]

        def sel_masks(xs: list | None) -> list | None:
            return None if xs is None else sel(xs)

        meta = self.example_metadata
        if meta is not None:
            idx = np.arange(len(meta))[index]
            meta = [meta[i] for i in np.atleast_1d(idx)]
        out = MultiDataSet.__new__(MultiDataSet)
        out.features, out.labels = sel(self.features), sel(self.labels)
        out.features_masks = sel_masks(self.features_masks)
        out.labels_masks = sel_masks(self.labels_masks)
        out.example_metadata = meta
        return out

    def __getitem__(self, index: Any) -> MultiDataSet:
        """One example (kept as a batch of 1), a slice, integer indices or a boolean mask."""
        return self._select(example_index(index, self.num_examples(), "MultiDataSet"))

    def get_range(self, start: int, end: int) -> MultiDataSet:
        """Examples ``start`` (inclusive) to ``end`` (exclusive) of every array and mask."""
        return self._select(range_index(start, end, self.num_examples()))

    def copy(self) -> MultiDataSet:
        """A deep copy, metadata included."""

        def cp(xs: list) -> list:
            return [copy_or_none(x) for x in xs]

        def cp_masks(xs: list | None) -> list | None:
            return None if xs is None else cp(xs)

        out = MultiDataSet.__new__(MultiDataSet)
        out.features, out.labels = cp(self.features), cp(self.labels)
        out.features_masks = cp_masks(self.features_masks)
        out.labels_masks = cp_masks(self.labels_masks)
        out.example_metadata = (
            None if self.example_metadata is None else list(self.example_metadata)
        )
        return out

    def detach(self) -> MultiDataSet:
        """A copy that owns its memory (valid after its buffer slot is reused)."""
        return self.copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MultiDataSet):
            return NotImplemented

        def eq(a: list | None, b: list | None) -> bool:
            a = a or []
            b = b or []
            return len(a) == len(b) and all(array_eq(x, y) for x, y in zip(a, b))

        def masks_eq(a: list | None, b: list | None, n: int) -> bool:
            return eq(a if a is not None else [None] * n, b if b is not None else [None] * n)

        return (
            eq(self.features, other.features)
            and eq(self.labels, other.labels)
            and masks_eq(self.features_masks, other.features_masks, len(self.features))
            and masks_eq(self.labels_masks, other.labels_masks, len(self.labels))
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable (as list is)

    def __repr__(self) -> str:
        f = [list(x.shape) for x in self.features]
        lab = [list(x.shape) for x in self.labels]
        return f"MultiDataSet(features={f}, labels={lab})"

    @staticmethod
    def merge(datasets: Iterable[MultiDataSet]) -> MultiDataSet:
        """Concatenate along examples; each position is merged by the DataSet rules."""
        from fastiter.dataset._merge import merge_arrays

        parts = [p for p in datasets if not p.is_empty()]
        if not parts:
            return MultiDataSet()
        nf, nl = len(parts[0].features), len(parts[0].labels)
        for i, p in enumerate(parts):
            if len(p.features) != nf or len(p.labels) != nl:
                raise ValueError(
                    f"cannot merge MultiDataSets with different numbers of arrays: "
                    f"#0 has {nf} features/{nl} labels, #{i} has "
                    f"{len(p.features)}/{len(p.labels)}"
                )

        def column(attr: str, mattr: str, k: int) -> tuple:
            arrs = [getattr(p, attr)[k] for p in parts]
            masks = [None if getattr(p, mattr) is None else getattr(p, mattr)[k] for p in parts]
            return merge_arrays(arrs, masks, f"{attr}[{k}]")

        fs = [column("features", "features_masks", k) for k in range(nf)]
        ls = [column("labels", "labels_masks", k) for k in range(nl)]
        fm = [m for _, m in fs]
        lm = [m for _, m in ls]
        metas = [p.example_metadata for p in parts]
        meta = (
            [x for m in metas if m is not None for x in m]
            if all(m is not None for m in metas)
            else None
        )
        return MultiDataSet(
            [a for a, _ in fs],
            [a for a, _ in ls],
            fm if any(m is not None for m in fm) else None,
            lm if any(m is not None for m in lm) else None,
            example_metadata=meta,
        )
