"""RandomDataSetIterator / RandomMultiDataSetIterator: synthetic batches from the
counter-based (Philox) kernels, the workhorse of benchmarks.

Array ``j`` of batch ``i`` in epoch ``e`` is drawn from the kernel stream derived from
``(e, i, j)`` under the iterator's seed, so every batch is a pure function of its
index: the same seed gives the same batches whatever the thread count, batches can be
built in any order (the iterator is indexable), and resuming needs only the position.
"""

from __future__ import annotations

import enum
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from fastiter import kernels
from fastiter._validate import SeedLike, is_int, positive_int, seed_key
from fastiter.dataset import DataSet, MultiDataSet
from fastiter.dataset.order import batch_stream, require_seed
from fastiter.iterators._indexed import IndexedBatchesMixin
from fastiter.iterators.base import DataSetIterator, MultiDataSetIterator

__all__ = ["Values", "RandomDataSetIterator", "RandomMultiDataSetIterator", "generate"]


class Values(enum.Enum):
    """What a generated array holds (DL4J's ``RandomMultiDataSetIterator.Values``)."""

    RANDOM_UNIFORM = "RANDOM_UNIFORM"  #: uniform on [0, 1)
    RANDOM_NORMAL = "RANDOM_NORMAL"  #: standard normal
    ONE_HOT = "ONE_HOT"  #: one 1 along dimension 1 per other index
    ZEROS = "ZEROS"
    ONES = "ONES"
    BINARY = "BINARY"  #: 0 or 1 with p = 0.5
    INTEGER_0_10 = "INTEGER_0_10"  #: integers in [0, 10), as floats
    INTEGER_0_100 = "INTEGER_0_100"
    INTEGER_0_1000 = "INTEGER_0_1000"
    INTEGER_0_10000 = "INTEGER_0_10000"
    INTEGER_0_100000 = "INTEGER_0_100000"


def _values(name: str, v: Any) -> Values:
    try:
        return v if isinstance(v, Values) else Values(str(v).upper())
    except ValueError:
        raise ValueError(f"{name} must be one of {[x.value for x in Values]}, got {v!r}") from None


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    shp = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if not shp or any(not is_int(d) or d < 1 for d in shp):
        raise ValueError(
            f"{name} must be a non-empty tuple of ints >= 1 (dimension 0 is "
            f"the batch size), got {shape!r}"
        )
    return tuple(int(d) for d in shp)


def _order(name: str, order: Any) -> str:
    if order not in ("c", "f"):
        raise ValueError(f"{name} must be 'c' or 'f', got {order!r}")
    return order


def generate(
    shape: tuple[int, ...],
    order: str,
    values: Values,
    seed: int,
    stream: int,
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """One array of ``values`` from the ``(seed, stream)`` Philox sequence.

    >>> generate((2, 3), "c", Values.ONE_HOT, seed=1, stream=0).sum(axis=1).tolist()
    [1.0, 1.0]
    """
    dt = np.dtype(dtype)
    if values is Values.ZEROS:
        out = np.zeros(shape, dt)
    elif values is Values.ONES:
        out = np.ones(shape, dt)
    elif values is Values.RANDOM_UNIFORM:
        out = kernels.random_uniform(shape, seed, dt, stream=stream)
    elif values is Values.RANDOM_NORMAL:
        out = kernels.random_normal(shape, seed, dt, stream=stream)
    elif values is Values.BINARY:
        out = kernels.random_binary(shape, 0.5, seed, dt, stream=stream)
    elif values is Values.ONE_HOT:
        out = _one_hot(shape, seed, stream, dt)
    else:
        high = int(values.value.rsplit("_", 1)[1])
        out = kernels.random_integers(shape, 0, high, seed, np.int32, stream=stream).astype(dt)
    return np.asfortranarray(out) if order == "f" else out


def _one_hot(shape: tuple[int, ...], seed: int, stream: int, dt: np.dtype) -> np.ndarray:
    if len(shape) > 5:
        raise ValueError(f"ONE_HOT supports ranks 1 to 5, got shape {shape}")
    if len(shape) == 1:  # a single 1 in the whole vector
        return kernels.random_one_hot((1,), shape[0], seed, dt, stream=stream)[0]
    rows = (shape[0],) + shape[2:]
    out = kernels.random_one_hot(rows, shape[1], seed, dt, stream=stream)
    return out if len(shape) == 2 else np.ascontiguousarray(np.moveaxis(out, -1, 1))


class _RandomBase(IndexedBatchesMixin):
    """``num_minibatches`` indexable batches per epoch; ``next(num)`` takes only the
    batch size the shapes fix."""

    _seed: int | None  # the host iterator's (BaseIterator); _setup sets it
    _epoch: int

    def _setup(self, num_minibatches: int, seed: SeedLike, dtype: DTypeLike) -> None:
        self._n = positive_int("num_minibatches", num_minibatches)
        self._seed = seed_key("seed", seed)
        self._dtype = np.dtype(dtype)
        if self._dtype.kind != "f":
            raise TypeError(f"dtype must be a float dtype, got {self._dtype}")

    def _arrays(self, specs: Sequence[tuple], index: int, first: int = 0) -> list[np.ndarray]:
        seed = require_seed(self._seed, self)
        return [
            generate(
                shape, order, values, seed, batch_stream(self._epoch, index, first + j), self._dtype
            )
            for j, (shape, order, values) in enumerate(specs)
        ]

    def _restart(self) -> None:
        # a loaded state without a seed would generate other data than the saved run's
        require_seed(self._seed, self)
        super()._restart()

    def num_batches(self) -> int:
        return self._n

    def async_supported(self) -> bool:
        return True


class RandomMultiDataSetIterator(_RandomBase, MultiDataSetIterator):
    """``num_minibatches`` MultiDataSets of generated arrays; build with :class:`Builder`.

    Examples
    --------
    >>> it = (RandomMultiDataSetIterator.Builder(3, seed=7)
    ...       .add_features((4, 5), "c", Values.RANDOM_NORMAL)
    ...       .add_labels((4, 2), Values.ONE_HOT).build())
    >>> [m.features[0].shape for m in it]
    [(4, 5), (4, 5), (4, 5)]
    """

    def __init__(
        self,
        num_minibatches: int,
        features: Sequence[tuple],
        labels: Sequence[tuple],
        seed: SeedLike = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self._setup(num_minibatches, seed, dtype)
        self._features = [self._spec("features", f) for f in features]
        self._labels = [self._spec("labels", x) for x in labels]
        if not self._features and not self._labels:
            raise ValueError("add at least one features or labels array")
        self._batch_size = (self._features or self._labels)[0][0][0]

    @staticmethod
    def _spec(name: str, spec: tuple) -> tuple:
        shape, order, values = spec
        return (
            _shape(f"{name} shape", shape),
            _order(f"{name} order", order),
            _values(f"{name} values", values),
        )

    def _batch_at(self, index: int) -> MultiDataSet:
        feats = self._arrays(self._features, index)
        labels = self._arrays(self._labels, index, first=len(self._features))
        return MultiDataSet(feats, labels)

    class Builder:
        """Collects array specs: ``add_features(shape, order='c', values)``, ``add_labels``.

        ``shape`` includes the batch dimension; ``order`` may be omitted
        (``add_features(shape, values)``).
        """

        def __init__(
            self, num_minibatches: int, seed: SeedLike = None, dtype: DTypeLike = np.float32
        ) -> None:
            self._n, self._seed, self._dtype = num_minibatches, seed, dtype
            self._features: list[tuple] = []
            self._labels: list[tuple] = []

        @staticmethod
        def _spec(shape: Any, order: Any, values: Any) -> tuple:
            if values is None:
                order, values = "c", order
            return shape, order, values

        def add_features(
            self, shape: Any, order: Any = "c", values: Any = None
        ) -> RandomMultiDataSetIterator.Builder:
            """Add a features array: shape (batch first), order 'c'/'f', Values."""
            self._features.append(self._spec(shape, order, values))
            return self

        def add_labels(
            self, shape: Any, order: Any = "c", values: Any = None
        ) -> RandomMultiDataSetIterator.Builder:
            """Add a labels array: shape (batch first), order 'c'/'f', Values."""
            self._labels.append(self._spec(shape, order, values))
            return self

        def build(self) -> RandomMultiDataSetIterator:
            """The iterator over the arrays added so far."""
            return RandomMultiDataSetIterator(
                self._n, self._features, self._labels, self._seed, self._dtype
            )


class RandomDataSetIterator(_RandomBase, DataSetIterator):
    """``num_minibatches`` DataSets of generated features and labels.

    Parameters
    ----------
    num_minibatches : int
    features_shape, labels_shape : tuple of int
        Including the batch dimension.
    feature_values, label_values : Values or str
    features_order, labels_order : {'c', 'f'}
        Memory layout; the values do not depend on it.
    seed : int, optional
        Drawn from the OS and recorded when omitted.
    dtype : float dtype

    Examples
    --------
    >>> it = RandomDataSetIterator(2, (8, 3), (8, 4), "RANDOM_UNIFORM", "ONE_HOT", seed=1)
    >>> ds = it.next()
    >>> ds.features.shape, ds.labels.sum(axis=1).tolist() == [1.0] * 8
    ((8, 3), True)
    """

    Values = Values

    def __init__(
        self,
        num_minibatches: int,
        features_shape: Any,
        labels_shape: Any,
        feature_values: Any,
        label_values: Any,
        features_order: str = "c",
        labels_order: str = "c",
        seed: SeedLike = None,
        dtype: DTypeLike = np.float32,
    ) -> None:
        super().__init__()
        self._setup(num_minibatches, seed, dtype)
        spec = RandomMultiDataSetIterator._spec
        self._specs = [
            spec("features", (features_shape, features_order, feature_values)),
            spec("labels", (labels_shape, labels_order, label_values)),
        ]
        if self._specs[0][0][0] != self._specs[1][0][0]:
            raise ValueError(
                f"features and labels must share the batch dimension, got "
                f"{self._specs[0][0]} and {self._specs[1][0]}"
            )
        self._batch_size = self._specs[0][0][0]

    def _batch_at(self, index: int) -> DataSet:
        feats, labels = self._arrays(self._specs, index)
        return DataSet(feats, labels)

    def batch(self) -> int:
        return self._batch_size

    def input_columns(self) -> int:
        shp = self._specs[0][0]
        return shp[1] if len(shp) > 1 else 1

    def total_outcomes(self) -> int:
        shp = self._specs[1][0]
        return shp[1] if len(shp) > 1 else 1
