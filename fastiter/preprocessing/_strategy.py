"""Fitted statistics and the two normalizing strategies (DL4J's NormalizerStrategy).

A strategy knows how to build statistics from batches (``new_accumulator`` /
``build``), how to apply them in place along dimension 1 (``apply``) and how to undo
that (``revert``).  After either, the masked steps of rank-3 data are set to 0, as in DL4J.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter.dataset.stats import EPS, BoundsAccumulator, MomentAccumulator, zero_masked_steps

__all__ = [
    "EPS",
    "DistributionStats",
    "MinMaxStats",
    "StandardizeStrategy",
    "MinMaxStrategy",
    "strategy_from_dict",
    "stats_from_dict",
    "zero_masked_steps",
]


def _vector(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[0] == 1:
        arr = arr[0]  # DL4J keeps statistics as [1, F] row vectors
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D vector (one value per feature), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} contains NaN or infinity: {arr.tolist()}; the data it was "
            f"computed from must be finite"
        )
    return arr


def _broadcast(vec: np.ndarray, arr: np.ndarray, name: str) -> np.ndarray:
    """``vec`` shaped to broadcast along dimension 1 of ``arr``, in ``arr``'s dtype."""
    n = arr.shape[1] if arr.ndim > 1 else 1
    if n != vec.size:
        raise ValueError(
            f"{name} has {n} features (dimension 1 of shape {arr.shape}) but "
            f"the normalizer was fitted on {vec.size}"
        )
    shape = [1] * arr.ndim
    shape[min(1, arr.ndim - 1)] = -1
    return vec.astype(arr.dtype).reshape(shape)


class DistributionStats:
    """Per-feature mean and population std; the std is clamped to at least :data:`EPS`.

    The clamp is DL4J's: a constant feature (std 0) is divided by 1e-5 instead of 0, so it
    maps to 0 and never to NaN.
    """

    kind = "standardize"

    def __init__(self, mean: Any, std: Any) -> None:
        self.mean = _vector("mean", mean)
        self.std = np.maximum(_vector("std", std), EPS)
        if self.mean.shape != self.std.shape:
            raise ValueError(
                f"mean and std must have the same length, got {self.mean.size} and {self.std.size}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of this object (see ``save``)."""
        return {"kind": self.kind, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DistributionStats:
        """Rebuild from :meth:`to_dict` output."""
        return cls(d["mean"], d["std"])


class MinMaxStats:
    """Per-feature lower and upper bounds; a range below :data:`EPS` is widened to EPS."""

    kind = "minmax"

    def __init__(self, lower: Any, upper: Any) -> None:
        self.lower = _vector("lower", lower)
        upper = _vector("upper", upper)
        if self.lower.shape != upper.shape:
            raise ValueError(
                f"lower and upper must have the same length, got {self.lower.size} and {upper.size}"
            )
        # Only a too-narrow range is touched, so fitted maxima stay exact.
        self.upper = np.where(upper - self.lower < EPS, self.lower + EPS, upper)

    @property
    def range(self) -> np.ndarray:
        """Per-feature ``upper - lower`` (at least 1e-5)."""
        return self.upper - self.lower

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of this object (see ``save``)."""
        return {"kind": self.kind, "lower": self.lower.tolist(), "upper": self.upper.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MinMaxStats:
        """Rebuild from :meth:`to_dict` output."""
        return cls(d["lower"], d["upper"])


def _no_value_features(count_or_bound: np.ndarray, empty: np.ndarray, name: str) -> None:
    if np.any(empty):
        raise ValueError(
            f"{name}: features {np.flatnonzero(empty).tolist()} have no "
            f"unmasked value, so no statistics can be computed for them"
        )


class StandardizeStrategy:
    """(x - mean) / std, per feature."""

    kind = "standardize"

    def new_accumulator(self) -> MomentAccumulator:
        """An empty accumulator of the statistics this strategy needs."""
        return MomentAccumulator()

    def build(self, acc: MomentAccumulator, name: str) -> DistributionStats:
        """Fitted statistics from a filled accumulator; raises when it is empty."""
        count = acc.count
        if acc.is_empty() or count is None:
            raise ValueError(
                f"{name}: no data was added (every batch was empty or fully "
                f"masked), so no statistics can be computed"
            )
        _no_value_features(count, count == 0, name)
        return DistributionStats(acc.mean(), acc.std())

    def apply(self, arr: np.ndarray, mask: Any, stats: DistributionStats, name: str) -> None:
        """Normalize ``arr`` in place along dimension 1."""
        arr -= _broadcast(stats.mean, arr, name)
        arr /= _broadcast(stats.std, arr, name)
        zero_masked_steps(arr, mask)

    def revert(self, arr: np.ndarray, mask: Any, stats: DistributionStats, name: str) -> None:
        """Undo :meth:`apply` in place."""
        arr *= _broadcast(stats.std, arr, name)
        arr += _broadcast(stats.mean, arr, name)
        zero_masked_steps(arr, mask)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of this object (see ``save``)."""
        return {"kind": self.kind}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StandardizeStrategy)


class MinMaxStrategy:
    """(x - lower) / range * (max - min) + min, per feature."""

    kind = "minmax"

    def __init__(self, min: float = 0.0, max: float = 1.0) -> None:
        lo, hi = float(min), float(max)
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            raise ValueError(
                f"the target range needs finite min < max, got min={min!r}, max={max!r}"
            )
        self.min, self.max = lo, hi

    def new_accumulator(self) -> BoundsAccumulator:
        """An empty accumulator of the statistics this strategy needs."""
        return BoundsAccumulator()

    def build(self, acc: BoundsAccumulator, name: str) -> MinMaxStats:
        """Fitted statistics from a filled accumulator; raises when it is empty."""
        lower, upper = acc.lower, acc.upper
        if acc.is_empty() or lower is None or upper is None:
            raise ValueError(
                f"{name}: no data was added (every batch was empty or fully "
                f"masked), so no statistics can be computed"
            )
        _no_value_features(lower, ~np.isfinite(lower), name)
        return MinMaxStats(lower, upper)

    def apply(self, arr: np.ndarray, mask: Any, stats: MinMaxStats, name: str) -> None:
        """Normalize ``arr`` in place along dimension 1."""
        arr -= _broadcast(stats.lower, arr, name)
        arr /= _broadcast(stats.range, arr, name)
        arr *= self.max - self.min
        arr += self.min
        zero_masked_steps(arr, mask)

    def revert(self, arr: np.ndarray, mask: Any, stats: MinMaxStats, name: str) -> None:
        """Undo :meth:`apply` in place."""
        arr -= self.min
        arr /= self.max - self.min
        arr *= _broadcast(stats.range, arr, name)
        arr += _broadcast(stats.lower, arr, name)
        zero_masked_steps(arr, mask)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of this object (see ``save``)."""
        return {"kind": self.kind, "min": self.min, "max": self.max}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MinMaxStrategy) and self.min == other.min and self.max == other.max


def strategy_from_dict(d: dict[str, Any]) -> StandardizeStrategy | MinMaxStrategy:
    """Rebuild a strategy from :meth:`to_dict` output (used by ``load``)."""
    if d.get("kind") == "standardize":
        return StandardizeStrategy()
    if d.get("kind") == "minmax":
        return MinMaxStrategy(d["min"], d["max"])
    raise ValueError(f"unknown normalizing strategy {d.get('kind')!r}")


def stats_from_dict(d: dict[str, Any]) -> DistributionStats | MinMaxStats:
    """Rebuild fitted statistics from their ``to_dict`` output plus a ``kind`` key."""
    if d.get("kind") == "standardize":
        return DistributionStats.from_dict(d)
    if d.get("kind") == "minmax":
        return MinMaxStats.from_dict(d)
    raise ValueError(f"unknown statistics kind {d.get('kind')!r}")
