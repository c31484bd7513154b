"""What fastiter's pytest fixtures do (the fixtures themselves: ``pytest_fastiter``).

The plugin is registered when fastiter is installed; its fixtures are

``fastiter_random_batches(shape, n, seed=0, dtype=float32)``
    ``n`` arrays from fastiter's counter-based generator (:func:`random_batches`).
``fastiter_warm(fn, *args, rounds=2)``
    Calls ``fn`` to JIT-compile and warm caches outside the timed region (:func:`warm`).
``fastiter_data``
    A :class:`DataFactory`: seeded DataSets and iterators of given shapes.
``fastiter_epoch(loader, rounds=5)``
    An :class:`EpochTimer`: whole epochs timed by pytest-benchmark, with batches/s and
    MB/s in the benchmark's ``extra_info``.

See docs/pytest.md for a worked example.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["random_batches", "warm", "DataFactory", "EpochTimer", "batch_nbytes"]


def random_batches(
    shape: tuple[int, ...], n: int, seed: Any = 0, dtype: Any = np.float32
) -> list[np.ndarray]:
    """``n`` arrays of ``shape``, deterministic, with non-zero payloads in (0, 1).

    Batch ``i`` is the Philox stream ``i`` of ``seed``, so it is the same whatever ``n``
    is and however many threads fill it.

    >>> a, b = random_batches((2, 3), 2, seed=7), random_batches((2, 3), 3, seed=7)
    >>> bool((a[1] == b[1]).all()), len(b)
    (True, 3)
    """
    from fastiter import kernels

    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return [kernels.random_uniform(tuple(shape), seed, dtype, stream=i) for i in range(n)]


def warm(fn: Callable[..., Any], *args: Any, rounds: int = 2, **kwargs: Any) -> Callable[..., Any]:
    """Call ``fn(*args, **kwargs)`` ``rounds`` times (compile, fill caches), return ``fn``.

    >>> calls = []
    >>> warm(calls.append, 5, rounds=3) is not None, calls
    (True, [5, 5, 5])
    """
    for _ in range(rounds):
        fn(*args, **kwargs)
    return fn


class DataFactory:
    """Seeded DataSets and iterators of given shapes, for benchmarking loaders.

    Features are uniform in (0, 1) from fastiter's counter-based generator, labels
    one-hot; the same arguments give the same bits on every machine.  With
    ``time_steps=T`` the examples are sequences ``[n, *feature_shape, T]`` of random
    lengths in ``[min_steps, T]``, zero past their end, with ``features_mask`` and
    ``labels_mask`` ``[n, T]`` marking the steps that exist.

    Examples
    --------
    >>> data = DataFactory()
    >>> ds = data.dataset(100, (8,), 3, time_steps=5, seed=1)
    >>> ds.features.shape, ds.labels.shape, ds.features_mask.shape
    ((100, 8, 5), (100, 3, 5), (100, 5))
    >>> it = data.iterator(100, (8,), 3, batch_size=32, shuffle=True, seed=1)
    >>> [len(b) for b in it]
    [32, 32, 32, 4]
    """

    def dataset(
        self,
        n: int,
        feature_shape: tuple[int, ...] = (64,),
        num_classes: int = 10,
        *,
        seed: Any = 0,
        dtype: Any = np.float32,
        time_steps: int | None = None,
        min_steps: int = 1,
    ) -> Any:
        """A DataSet of ``n`` examples (see the class docstring)."""
        from fastiter import DataSet, kernels
        from fastiter._validate import positive_int, seed_key

        n = positive_int("n", n)
        key = seed_key("seed", seed)
        shape = tuple(feature_shape) + (() if time_steps is None else (time_steps,))
        x = kernels.random_uniform((n, *shape), key, dtype, stream=0)
        classes = kernels.random_integers(n, 0, num_classes, key, np.int64, stream=1)
        if time_steps is None:
            y = np.eye(num_classes, dtype=dtype)[classes]
            return DataSet(x, y)
        t = positive_int("time_steps", time_steps)
        if not 1 <= min_steps <= t:
            raise ValueError(f"min_steps must be in [1, time_steps={t}], got {min_steps}")
        lengths = kernels.random_integers(n, min_steps, t + 1, key, np.int64, stream=2)
        mask = (np.arange(t)[None, :] < lengths[:, None]).astype(dtype)
        x *= mask.reshape(n, *([1] * len(feature_shape)), t)
        y = np.eye(num_classes, dtype=dtype)[classes][:, :, None] * mask[:, None, :]
        return DataSet(x, y, mask, mask.copy())

    def iterator(
        self,
        n: int,
        feature_shape: tuple[int, ...] = (64,),
        num_classes: int = 10,
        *,
        batch_size: int = 256,
        shuffle: bool = True,
        seed: Any = 0,
        dtype: Any = np.float32,
        time_steps: int | None = None,
        min_steps: int = 1,
    ) -> Any:
        """An :class:`~fastiter.ArrayDataSetIterator` over :meth:`dataset`'s examples,
        shuffled from the same seed."""
        from fastiter import ArrayDataSetIterator
        from fastiter._validate import seed_key

        key = seed_key("seed", seed)
        ds = self.dataset(
            n,
            feature_shape,
            num_classes,
            seed=key,
            dtype=dtype,
            time_steps=time_steps,
            min_steps=min_steps,
        )
        return ArrayDataSetIterator(
            ds.features,
            ds.labels,
            batch_size,
            shuffle=shuffle,
            seed=key,
            features_mask=ds.features_mask,
            labels_mask=ds.labels_mask,
        )


def batch_nbytes(batch: Any) -> int:
    """Bytes of every array in a batch: a DataSet, a dict, a list/tuple, an array or a
    tensor (anything with ``nbytes``).

    >>> batch_nbytes({"x": np.zeros((2, 3), np.float32), "y": [np.zeros(4, np.int8)]})
    28
    """
    from fastiter.interop import batch_arrays

    if hasattr(batch, "num_examples") and not isinstance(batch, dict):
        batch = batch_arrays(batch)
    if isinstance(batch, dict):
        return sum(batch_nbytes(v) for v in batch.values())
    if isinstance(batch, (list, tuple)):
        return sum(batch_nbytes(v) for v in batch)
    return int(getattr(batch, "nbytes", 0) or 0)


class EpochTimer:
    """``timer(loader, rounds=5, warmup_rounds=1, consume=None)``: time whole epochs.

    Each round is one ``for batch in loader`` (``consume(batch)`` is called on every
    batch, to stand for the training step), timed by pytest-benchmark's ``pedantic``
    with one iteration per round.  The benchmark's ``extra_info`` receives
    ``batches`` and ``bytes`` per epoch, ``epoch_s`` (the median epoch) and
    ``batches_per_s`` / ``mb_per_s`` at that median (MB = 10**6 bytes).  Returns that
    dict.  With ``--benchmark-disable`` the epoch runs once and is still counted.
    """

    def __init__(self, benchmark: Any) -> None:
        self.benchmark = benchmark

    def __call__(
        self,
        loader: Any,
        rounds: int = 5,
        warmup_rounds: int = 1,
        consume: Callable[[Any], Any] | None = None,
    ) -> dict[str, Any]:
        counts: list[tuple[int, int]] = []
        seconds: list[float] = []

        def epoch() -> None:
            t0 = time.perf_counter()
            batches = nbytes = 0
            for batch in loader:
                batches += 1
                nbytes += batch_nbytes(batch)
                if consume is not None:
                    consume(batch)
            seconds.append(time.perf_counter() - t0)
            counts.append((batches, nbytes))

        self.benchmark.pedantic(epoch, rounds=rounds, iterations=1, warmup_rounds=warmup_rounds)
        if len({c for c in counts}) > 1:
            raise AssertionError(f"the epochs differ in size: (batches, bytes) = {counts}")
        batches, nbytes = counts[-1]
        median = float(np.median(seconds[-rounds:] if len(seconds) > rounds else seconds))
        info = {
            "batches": batches,
            "bytes": nbytes,
            "epoch_s": median,
            "batches_per_s": batches / median if median > 0 else float("inf"),
            "mb_per_s": nbytes / 1e6 / median if median > 0 else float("inf"),
        }
        self.benchmark.extra_info.update(info)
        return info
