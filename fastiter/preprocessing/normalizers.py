"""DataSet normalizers: NormalizerStandardize and NormalizerMinMaxScaler (DL4J semantics).

Both fit per-feature statistics (dimension 1) in one streaming pass, apply them in place
as an iterator's ``pre_processor``, revert them, and save to / load from a JSON file.
Rank rules and mask handling are those of :mod:`fastiter.dataset.stats`.
"""

from __future__ import annotations

import os
from contextlib import closing
from typing import Any

import numpy as np

from fastiter.dataset import DataSet
from fastiter.preprocessing._inplace import batches_of, writable_float
from fastiter.preprocessing._io import load_as, load_normalizer, register, write_document
from fastiter.preprocessing._strategy import (
    DistributionStats,
    MinMaxStrategy,
    StandardizeStrategy,
    stats_from_dict,
    strategy_from_dict,
)

__all__ = ["NormalizerStandardize", "NormalizerMinMaxScaler", "load_normalizer"]


class _DataSetNormalizer:
    """Fit / transform / revert / save shared by the two DataSet normalizers."""

    def __init__(self, strategy: Any) -> None:
        self._strategy = strategy
        self._feature_stats: Any = None
        self._label_stats: Any = None
        self._fit_labels = False

    # --- fitting --------------------------------------------------------------------
    def fit_label(self, fit_labels: bool = True) -> None:
        """Also fit (and then transform) the labels on the next :meth:`fit`."""
        self._fit_labels = bool(fit_labels)

    def is_fit_label(self) -> bool:
        """Whether labels are fitted and transformed too."""
        return self._fit_labels

    def is_fit(self) -> bool:
        """Whether feature statistics exist (from :meth:`fit`, the constructor or load)."""
        return self._feature_stats is not None

    def fit(self, data: Any) -> None:
        """Fit on one DataSet, on a DataSet iterator (one pass) or on an iterable of them.

        An iterator that supports reset is reset before and after the pass.  Statistics
        are per feature (dimension 1); padded steps of masked time series never count.
        """
        feats = self._strategy.new_accumulator()
        labs = self._strategy.new_accumulator() if self._fit_labels else None
        # closing() restores the iterator's pre-processor even when a batch is rejected.
        with closing(batches_of(data, self, DataSet)) as batches:
            for i, ds in enumerate(batches):
                if ds.features is not None:
                    feats.add(ds.features, ds.features_mask, f"features of batch {i}")
                if labs is not None:
                    if ds.labels is None:
                        raise ValueError(f"fit_label(True) was set but batch {i} has no labels")
                    labs.add(ds.labels, ds.labels_mask, f"labels of batch {i}")
        feature_stats = self._strategy.build(feats, "features")
        self._label_stats = None if labs is None else self._strategy.build(labs, "labels")
        self._feature_stats = feature_stats

    # --- applying -------------------------------------------------------------------
    def _require_fit(self, labels: bool = False) -> None:
        if self._feature_stats is None:
            raise RuntimeError(
                f"{type(self).__name__} is not fitted: call fit(dataset) or "
                f"fit(iterator) before transform or revert"
            )
        if labels and self._label_stats is None:
            raise RuntimeError(
                f"{type(self).__name__} transforms labels (fit_label(True)) "
                f"but has no label statistics: call fit again"
            )

    def pre_process(self, ds: DataSet) -> None:
        """Normalize ``ds`` in place (features, and labels when fitted): DL4J's preProcess."""
        if not isinstance(ds, DataSet):
            raise TypeError(f"pre_process needs a DataSet, got {type(ds).__name__}")
        self._require_fit(self._fit_labels and ds.labels is not None)
        if ds.features is not None:
            ds.features = writable_float(ds.features, "features")
            self._strategy.apply(ds.features, ds.features_mask, self._feature_stats, "features")
        if self._fit_labels and ds.labels is not None:
            ds.labels = writable_float(ds.labels, "labels")
            self._strategy.apply(ds.labels, ds.labels_mask, self._label_stats, "labels")

    def transform(self, data: Any, mask: Any = None) -> Any:
        """Normalize a DataSet in place, or a features array (returned; in place when it
        is a writeable floating array)."""
        if isinstance(data, DataSet):
            self.pre_process(data)
            return data
        self._require_fit()
        arr = writable_float(data, "features")
        self._strategy.apply(arr, mask, self._feature_stats, "features")
        return arr

    def transform_label(self, labels: Any, mask: Any = None) -> Any:
        """Normalize a labels array (a no-op unless labels are fitted)."""
        if not self._fit_labels:
            return labels
        self._require_fit(True)
        arr = writable_float(labels, "labels")
        self._strategy.apply(arr, mask, self._label_stats, "labels")
        return arr

    def revert(self, ds: DataSet) -> None:
        """Undo :meth:`pre_process` on ``ds`` in place (masked steps become 0)."""
        if not isinstance(ds, DataSet):
            raise TypeError(f"revert needs a DataSet, got {type(ds).__name__}")
        if ds.features is not None:
            ds.features = self.revert_features(ds.features, ds.features_mask)
        if ds.labels is not None:
            ds.labels = self.revert_labels(ds.labels, ds.labels_mask)

    def revert_features(self, features: Any, mask: Any = None) -> np.ndarray:
        """Undo the features transform; returns the array (in place when possible)."""
        self._require_fit()
        arr = writable_float(features, "features")
        self._strategy.revert(arr, mask, self._feature_stats, "features")
        return arr

    def revert_labels(self, labels: Any, mask: Any = None) -> Any:
        """Undo the labels transform (a no-op unless labels are fitted)."""
        if not self._fit_labels:
            return labels
        self._require_fit(True)
        arr = writable_float(labels, "labels")
        self._strategy.revert(arr, mask, self._label_stats, "labels")
        return arr

    # --- saving ---------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        self._require_fit()
        return {
            "strategy": self._strategy.to_dict(),
            "fit_labels": self._fit_labels,
            "features": self._feature_stats.to_dict(),
            "labels": None if self._label_stats is None else self._label_stats.to_dict(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._fit_labels = bool(state["fit_labels"])
        self._feature_stats = stats_from_dict(state["features"])
        labels = state.get("labels")
        self._label_stats = None if labels is None else stats_from_dict(labels)
        if self._feature_stats.kind != self._strategy.kind:
            raise ValueError(
                f"statistics of kind {self._feature_stats.kind!r} do not "
                f"belong to a {type(self).__name__}"
            )

    def save(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        """Write the fitted statistics to a JSON file (atomically; no pickle).

        Refuses to replace an existing file unless ``overwrite=True``.
        """
        write_document(path, type(self).__name__, self._state(), overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Any:
        """Read a normalizer written by :meth:`save`.

        Raises :class:`~fastiter.errors.FormatError` for a foreign, truncated or
        mismatched file.
        """
        return load_as(cls, path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(fitted={self.is_fit()}, fit_labels={self._fit_labels})"


class NormalizerStandardize(_DataSetNormalizer):
    """Standardize each feature to zero mean and unit variance: ``(x - mean) / std``.

    The std is the population std, clamped to at least 1e-5 (DL4J's EPS), so a constant
    feature becomes 0 rather than NaN.  Rank 3 (time series) statistics skip padded steps
    and transformed padded steps are set to 0; rank 4 (images) is per channel.

    Parameters
    ----------
    mean, std : array_like, optional
        Known feature statistics (then no :meth:`fit` is needed).
    label_mean, label_std : array_like, optional
        Known label statistics; giving them turns label normalization on.

    Examples
    --------
    >>> from fastiter import ArrayDataSetIterator
    >>> x = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    >>> norm = NormalizerStandardize()
    >>> norm.fit(ArrayDataSetIterator(x, batch_size=2))
    >>> norm.get_mean().tolist(), norm.get_std().tolist()
    ([3.0, 10.0], [1.632993161855452, 1e-05])
    >>> ds = DataSet(x.copy()); norm.pre_process(ds); ds.features.round(3).tolist()
    [[-1.225, 0.0], [0.0, 0.0], [1.225, 0.0]]
    """

    def __init__(
        self, mean: Any = None, std: Any = None, label_mean: Any = None, label_std: Any = None
    ) -> None:
        super().__init__(StandardizeStrategy())
        if (mean is None) != (std is None) or (label_mean is None) != (label_std is None):
            raise ValueError("give mean and std together (and label_mean with label_std)")
        if label_mean is not None and mean is None:
            raise ValueError("label statistics need feature statistics (mean, std) too")
        if mean is not None:
            self._feature_stats = DistributionStats(mean, std)
        if label_mean is not None:
            self._label_stats = DistributionStats(label_mean, label_std)
            self._fit_labels = True

    def get_mean(self) -> np.ndarray:
        """Per-feature mean (float64, shape ``[F]``)."""
        self._require_fit()
        return self._feature_stats.mean.copy()

    def get_std(self) -> np.ndarray:
        """Per-feature population std, clamped to >= 1e-5 (float64, shape ``[F]``)."""
        self._require_fit()
        return self._feature_stats.std.copy()

    def get_label_mean(self) -> np.ndarray:
        """Per-label-column mean (needs ``fit_label(True)``)."""
        self._require_fit(True)
        return self._label_stats.mean.copy()

    def get_label_std(self) -> np.ndarray:
        """Per-label-column std, clamped to >= 1e-5 (needs ``fit_label(True)``)."""
        self._require_fit(True)
        return self._label_stats.std.copy()


class NormalizerMinMaxScaler(_DataSetNormalizer):
    """Scale each feature linearly so its fitted [min, max] maps to ``[min_range, max_range]``.

    A feature whose fitted range is below 1e-5 (DL4J's EPS; a constant feature) has its
    range widened to 1e-5, so it maps to ``min_range`` rather than NaN.

    Parameters
    ----------
    min_range, max_range : float
        The target range (default [0, 1]); ``min_range < max_range`` is required.

    Examples
    --------
    >>> norm = NormalizerMinMaxScaler(-1, 1)
    >>> norm.fit(DataSet(np.array([[0.0], [5.0], [10.0]])))
    >>> ds = DataSet(np.array([[0.0], [2.5], [10.0]])); norm.transform(ds)
    DataSet(features=float64[3, 1], labels=None, features_mask=None, labels_mask=None)
    >>> ds.features.ravel().tolist()
    [-1.0, -0.5, 1.0]
    """

    def __init__(self, min_range: float = 0.0, max_range: float = 1.0) -> None:
        super().__init__(MinMaxStrategy(min_range, max_range))

    @property
    def min_range(self) -> float:
        """The lower end of the target range."""
        return self._strategy.min

    @property
    def max_range(self) -> float:
        """The upper end of the target range."""
        return self._strategy.max

    def get_min(self) -> np.ndarray:
        """Per-feature fitted minimum (float64, shape ``[F]``)."""
        self._require_fit()
        return self._feature_stats.lower.copy()

    def get_max(self) -> np.ndarray:
        """Per-feature fitted maximum, after widening a range below 1e-5."""
        self._require_fit()
        return self._feature_stats.upper.copy()

    def get_label_min(self) -> np.ndarray:
        """Per-label-column fitted minimum (needs ``fit_label(True)``)."""
        self._require_fit(True)
        return self._label_stats.lower.copy()

    def get_label_max(self) -> np.ndarray:
        """Per-label-column fitted maximum (needs ``fit_label(True)``)."""
        self._require_fit(True)
        return self._label_stats.upper.copy()

    def _set_state(self, state: dict[str, Any]) -> None:
        self._strategy = strategy_from_dict(state["strategy"])
        super()._set_state(state)


register(NormalizerStandardize)
register(NormalizerMinMaxScaler)
