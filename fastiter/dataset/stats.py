"""Streaming per-feature statistics for the normalizers: moments (Chan) and bounds.

Both accumulators take one batch at a time through ``add(data, mask)`` and reduce it
**per feature, along dimension 1**, with DL4J's rank rules:

- rank 1 ``[N]`` is one feature; rank 2 ``[N, F]`` is F features;
- rank 3 ``[N, F, T]`` becomes ``[N*T, F]`` with the masked steps (mask == 0) removed;
  a batch whose steps are all masked adds nothing;
- rank 4 ``[N, C, H, W]`` gives one statistic per channel C;
- rank 5 and above are refused.

A ``[N]`` mask drops whole examples (any rank); a rank-2 ``[N, F]`` mask drops single
values, so each feature keeps its own count.  Padded values never count (the bug of
nd4j#607 and DL4J #2508).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "EPS",
    "MomentAccumulator",
    "BoundsAccumulator",
    "rows_for_stats",
    "standardize_stats",
    "zero_masked_steps",
    "float_dtype_for",
]

#: DL4J's ``Nd4j.EPS_THRESHOLD``: the smallest std and the smallest min-max range used.
EPS = 1e-5


def _check_rank(data: np.ndarray, name: str) -> None:
    if data.ndim == 0 or data.ndim > 4:
        raise ValueError(
            f"{name} of rank {data.ndim} (shape {data.shape}) cannot be "
            f"normalized; ranks 1 to 4 are supported"
        )
    if data.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric to be normalized, got dtype {data.dtype}")


def rows_for_stats(
    data: np.ndarray, mask: np.ndarray | None, name: str = "data"
) -> tuple[np.ndarray, np.ndarray | None]:
    """Reshape a batch to ``[rows, F]`` for per-feature statistics, dropping padding.

    Returns the rows and, for a rank-2 ``[N, F]`` mask only, the boolean keep-array of the
    same shape (otherwise None).  Rank 4 moves the channel axis last, so each row is one
    pixel of one image.

    >>> x = np.arange(12.0).reshape(2, 2, 3)            # [N=2, F=2, T=3]
    >>> rows, _ = rows_for_stats(x, np.array([[1, 1, 0], [1, 0, 0]]))
    >>> rows.tolist()
    [[0.0, 3.0], [1.0, 4.0], [6.0, 9.0]]
    """
    data = np.asarray(data)
    _check_rank(data, name)
    keep = None
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim == 1 and mask.shape == data.shape[:1]:
            data = data[mask != 0]
        elif data.ndim == 3 and mask.shape == (data.shape[0], data.shape[2]):
            return np.moveaxis(data, 1, 2)[mask != 0], None
        elif data.ndim == 2 and mask.shape == data.shape:
            keep = mask != 0
        else:
            raise ValueError(
                f"a mask of shape {mask.shape} does not fit {name} of shape "
                f"{data.shape}; expected [N] (or [N, T] for rank 3, [N, F] "
                f"for rank 2)"
            )
    if data.ndim == 1:
        return data.reshape(-1, 1), None if keep is None else keep.reshape(-1, 1)
    if data.ndim == 3:
        return np.moveaxis(data, 1, 2).reshape(-1, data.shape[1]), None
    if data.ndim == 4:
        return np.moveaxis(data, 1, 3).reshape(-1, data.shape[1]), None
    return data, keep


class MomentAccumulator:
    """Running per-feature count, mean and sum of squared deviations (M2).

    Each batch is reduced on its own in float64 (two-pass: mean, then squared deviations
    from that mean), and the batch results are combined with Chan, Golub and LeVeque's
    parallel update, which stays accurate for data with a large offset (``1e4 + noise``
    in float32), where the textbook ``E[x^2] - E[x]^2`` loses every digit.

    >>> acc = MomentAccumulator()
    >>> for part in np.array_split(np.arange(10.0).reshape(5, 2), 3):
    ...     acc.add(part)
    >>> acc.mean().tolist(), acc.std().round(6).tolist()
    ([4.0, 5.0], [2.828427, 2.828427])
    """

    def __init__(self) -> None:
        self.count: np.ndarray | None = None
        self._mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None

    def add(self, data: Any, mask: Any = None, name: str = "data") -> None:
        """Fold one batch into the running statistics."""
        rows, keep = rows_for_stats(np.asarray(data), mask, name)
        if rows.shape[0] == 0:
            return
        if keep is None:
            x = rows.astype(np.float64)
            n_b = np.full(x.shape[1], float(x.shape[0]))
            mean_b = x.mean(axis=0)
            x -= mean_b
            m2_b = np.einsum("ij,ij->j", x, x)
        else:
            n_b = keep.sum(axis=0).astype(np.float64)
            x = np.where(keep, rows, 0).astype(np.float64)
            mean_b = np.divide(x.sum(axis=0), n_b, out=np.zeros_like(n_b), where=n_b > 0)
            x -= mean_b
            x *= keep
            m2_b = np.einsum("ij,ij->j", x, x)
        self._merge(n_b, mean_b, m2_b, name)

    def _merge(self, n_b: np.ndarray, mean_b: np.ndarray, m2_b: np.ndarray, name: str) -> None:
        if self.count is None:
            self.count, self._mean, self._m2 = n_b, mean_b, m2_b
            return
        if n_b.shape != self.count.shape:
            raise ValueError(
                f"{name} has {n_b.shape[0]} features but earlier batches had "
                f"{self.count.shape[0]}; every batch must have the same "
                f"dimension 1"
            )
        n = self.count + n_b
        # A feature with no value yet in either part keeps mean 0 and M2 0.
        frac = np.divide(n_b, n, out=np.zeros_like(n), where=n > 0)
        delta = mean_b - self._mean
        self._mean = self._mean + delta * frac
        self._m2 = self._m2 + m2_b + delta * delta * self.count * frac
        self.count = n

    def is_empty(self) -> bool:
        """True while no value has been added (every batch so far was empty or masked)."""
        return self.count is None or not bool(np.any(self.count > 0))

    def mean(self) -> np.ndarray:
        """The per-feature mean (float64)."""
        _, mean, _ = self._require()
        return mean.copy()

    def std(self) -> np.ndarray:
        """The per-feature population standard deviation (float64, not clamped)."""
        count, _, m2 = self._require()
        var = np.divide(m2, count, out=np.zeros_like(m2), where=count > 0)
        return np.sqrt(np.maximum(var, 0.0))

    def _require(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(count, mean, M2)``, or the ValueError while nothing was added."""
        if self.is_empty() or self.count is None or self._mean is None or self._m2 is None:
            raise ValueError(
                "no data was added: every batch was empty or fully masked, "
                "so no statistics can be computed"
            )
        return self.count, self._mean, self._m2


class BoundsAccumulator:
    """Running per-feature minimum and maximum, with the same rank and mask rules.

    >>> acc = BoundsAccumulator()
    >>> acc.add(np.array([[1.0, 5.0], [3.0, -2.0]]))
    >>> acc.add(np.array([[0.0, 4.0]]))
    >>> acc.lower.tolist(), acc.upper.tolist()
    ([0.0, -2.0], [3.0, 5.0])
    """

    def __init__(self) -> None:
        self.lower: np.ndarray | None = None
        self.upper: np.ndarray | None = None

    def add(self, data: Any, mask: Any = None, name: str = "data") -> None:
        """Fold one batch into the running bounds."""
        rows, keep = rows_for_stats(np.asarray(data), mask, name)
        if rows.shape[0] == 0:
            return
        rows = rows.astype(np.float64, copy=False)
        if keep is None:
            lo, hi = rows.min(axis=0), rows.max(axis=0)
        else:
            lo = np.where(keep, rows, np.inf).min(axis=0)
            hi = np.where(keep, rows, -np.inf).max(axis=0)
        if self.lower is None or self.upper is None:  # both are set together
            self.lower, self.upper = lo, hi
            return
        if lo.shape != self.lower.shape:
            raise ValueError(
                f"{name} has {lo.shape[0]} features but earlier batches had "
                f"{self.lower.shape[0]}; every batch must have the same "
                f"dimension 1"
            )
        np.minimum(self.lower, lo, out=self.lower)
        np.maximum(self.upper, hi, out=self.upper)

    def is_empty(self) -> bool:
        """True while no value has been added."""
        return self.lower is None or not bool(np.any(np.isfinite(self.lower)))


def zero_masked_steps(arr: np.ndarray, mask: Any) -> None:
    """Set the padded steps (mask == 0) of rank-3 ``[N, F, T]`` data to 0, in place."""
    if mask is None or arr.ndim != 3:
        return
    mask = np.asarray(mask)
    if mask.shape != (arr.shape[0], arr.shape[2]):
        raise ValueError(
            f"mask of shape {mask.shape} does not fit data of shape "
            f"{arr.shape}; expected {(arr.shape[0], arr.shape[2])}"
        )
    # Assign rather than multiply: padding may hold inf or NaN, and 0 * inf is NaN.
    np.copyto(arr, 0, where=(mask == 0)[:, None, :])


def standardize_stats(
    data: Any, mask: Any = None, name: str = "features"
) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and population std of one array, the std clamped to :data:`EPS`:
    the statistics ``NormalizerStandardize`` fits on one batch (same rank and mask rules).

    >>> m, s = standardize_stats(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> m.tolist(), s.tolist()
    ([2.0, 5.0], [1.0, 1e-05])
    """
    acc = MomentAccumulator()
    acc.add(data, mask, name)
    if acc.count is not None and bool(np.any(acc.count == 0)):
        raise ValueError(
            f"{name}: feature(s) {np.flatnonzero(acc.count == 0).tolist()} "
            f"have no unmasked value, so no statistics can be computed"
        )
    return acc.mean(), np.maximum(acc.std(), EPS)


def float_dtype_for(dtype: np.dtype) -> np.dtype:
    """The floating dtype that holds ``dtype`` values: itself, float32, or float64 for
    integers wider than 16 bits."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return dtype
    if dtype.kind in "iu" and dtype.itemsize > 2:
        return np.dtype(np.float64)
    return np.dtype(np.float32)
