"""DataSet's in-place feature transforms and per-example statistics (DL4J's).

"In place" means the DataSet object changes: its ``features`` attribute is replaced by
the transformed array, so the caller's original array is never written through.
Integer and bool features are promoted to a floating type where the result needs one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fastiter.dataset.stats import float_dtype_for, standardize_stats, zero_masked_steps

__all__ = ["TransformOpsMixin"]


def _float_dtype(a: np.ndarray) -> np.dtype:
    return a.dtype if a.dtype.kind == "f" else np.result_type(a.dtype, np.float32)


def _finite(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


class TransformOpsMixin:
    """Feature transforms of :class:`fastiter.DataSet` (mixed in; needs its fields)."""

    if not TYPE_CHECKING:  # mypy would check `self.features = ...` against these empty
        __slots__ = ()  # slots; the slot is DataSet's, which mixes this class in
    features: np.ndarray | None

    def _feats(self, what: str) -> np.ndarray:
        if self.features is None:
            raise ValueError(f"{what} needs features, but this DataSet has none")
        return self.features

    def normalize(self) -> None:
        """Standardize the features in place with statistics fitted on this DataSet alone.

        Per feature (dimension 1): ``(x - mean) / std`` with the population std clamped to
        at least 1e-5, padded steps (mask 0) left out of the statistics and set to 0: the
        numbers :class:`fastiter.preprocessing.NormalizerStandardize` gives after
        ``fit(ds)``, computed here so that the data objects need no normalizer.

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.array([[1.0], [3.0]]))
        >>> ds.normalize(); ds.features.ravel().tolist()
        [-1.0, 1.0]
        """
        feats = self._feats("normalize()")
        mask = getattr(self, "features_mask", None)
        mean, std = standardize_stats(feats, mask, "features")
        out = feats.astype(float_dtype_for(feats.dtype))  # a copy: the source stays as is
        shape = [1] * out.ndim
        shape[min(1, out.ndim - 1)] = -1
        out -= mean.astype(out.dtype).reshape(shape)
        out /= std.astype(out.dtype).reshape(shape)
        zero_masked_steps(out, mask)
        self.features = out

    def scale_min_and_max(self, min: float = 0.0, max: float = 1.0) -> None:
        """Rescale every feature (dimension 1) linearly so it spans ``[min, max]``.

        A feature whose values are all equal maps to ``min`` (DL4J divides by zero).

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]]))
        >>> ds.scale_min_and_max(-1, 1)
        >>> ds.features.tolist()
        [[-1.0, -1.0], [0.0, -1.0], [1.0, -1.0]]
        """
        lo, hi = _finite("min", min), _finite("max", max)
        if lo > hi:
            raise ValueError(f"min must be <= max, got min={lo}, max={hi}")
        feats = self._feats("scale_min_and_max")
        x = feats.astype(_float_dtype(feats), copy=True)
        axes = tuple(i for i in range(x.ndim) if i != 1) if x.ndim > 1 else (0,)
        if x.size == 0:
            self.features = x
            return
        fmin = x.min(axis=axes, keepdims=True)
        span = x.max(axis=axes, keepdims=True) - fmin
        safe = np.where(span == 0, 1, span)
        x -= fmin
        x /= safe
        x *= hi - lo
        x += lo
        self.features = x

    def squish_to_range(self, min: float, max: float) -> None:
        """Clamp every feature value into ``[min, max]``.

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.array([[-3.0, 0.5, 9.0]]))
        >>> ds.squish_to_range(0, 1)
        >>> ds.features.tolist()
        [[0.0, 0.5, 1.0]]
        """
        lo, hi = _finite("min", min), _finite("max", max)
        if lo > hi:
            raise ValueError(f"min must be <= max, got min={lo}, max={hi}")
        x = self._feats("squish_to_range")
        self.features = np.clip(x.astype(_float_dtype(x), copy=False), lo, hi)

    def binarize(self, cutoff: float = 0.0) -> None:
        """Features above ``cutoff`` become 1, the rest 0 (dtype kept).

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.array([[-1.0, 0.0, 0.2]]))
        >>> ds.binarize()
        >>> ds.features.tolist()
        [[0.0, 0.0, 1.0]]
        """
        c = _finite("cutoff", cutoff)
        x = self._feats("binarize")
        self.features = (x > c).astype(x.dtype)

    def multiply_by(self, factor: float) -> None:
        """Multiply every feature value by ``factor``.

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.array([[1, 2]]))
        >>> ds.multiply_by(0.5)
        >>> ds.features.tolist()
        [[0.5, 1.0]]
        """
        f = _finite("factor", factor)
        x = self._feats("multiply_by")
        self.features = x.astype(_float_dtype(x)) * np.asarray(f, dtype=_float_dtype(x))

    def divide_by(self, divisor: float) -> None:
        """Divide every feature value by ``divisor`` (which must not be 0).

        >>> from fastiter import DataSet
        >>> ds = DataSet(np.array([[255.0, 51.0]]))
        >>> ds.divide_by(255)
        >>> ds.features.tolist()
        [[1.0, 0.2]]
        """
        d = _finite("divisor", divisor)
        if d == 0:
            raise ValueError("divisor must be non-zero, got 0")
        x = self._feats("divide_by")
        self.features = x.astype(_float_dtype(x)) / np.asarray(d, dtype=_float_dtype(x))

    def _per_example(self, what: str, reduce: Any) -> np.ndarray:
        x = self._feats(what)
        if x.ndim == 1:
            return x.copy()
        return reduce(x, axis=tuple(range(1, x.ndim)))

    def example_sums(self) -> np.ndarray:
        """The sum of each example's feature values, shape ``[N]``.

        >>> from fastiter import DataSet
        >>> DataSet(np.array([[1.0, 2.0], [3.0, 4.0]])).example_sums().tolist()
        [3.0, 7.0]
        """
        return self._per_example("example_sums", np.sum)

    def example_maxs(self) -> np.ndarray:
        """The largest feature value of each example, shape ``[N]``."""
        return self._per_example("example_maxs", np.max)

    def example_means(self) -> np.ndarray:
        """The mean feature value of each example, shape ``[N]``."""
        return self._per_example("example_means", np.mean)
