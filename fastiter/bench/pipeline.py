"""Async prefetch cases beyond the hand-off (bench/bench_async.py runs them):

- overhead per batch: 5000 tiny in-memory batches, prefetched (queue_size 8) against the
  same epoch without prefetch; the figure is (async - direct) / 5000;
- overlap: a gather producer P (shuffled ``ArrayDataSetIterator`` batches of 4096 x 128)
  and a consumer C ~ 2P (ufunc passes releasing the GIL), prefetched with ``workers=1``
  against a serial loop, a plain thread + ``Queue(8)`` and torch's ``DataLoader``
  (``num_workers`` 0 and 2, persistent workers); limit: max(P alone, C alone) over the same epoch;
- scaling, producer-bound (no consumer work): ``workers=2`` against ``workers=1``;
  ceiling: the same ``batch_at`` calls split over two plain threads, no ring.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from fastiter.bench._sizes import pick
from fastiter.bench.async_ import _calibrate, _consume, _consume_epoch, thread_queue
from fastiter.bench.core import Case, format_seconds, optional, together

__all__ = ["cases"]


def _overhead_case(size: str) -> Case:
    from fastiter import AsyncDataSetIterator, DataSet, ExistingDataSetIterator

    rng = np.random.default_rng(2026)
    n = pick(size, 5000, 5000, 500)
    batches = [DataSet(rng.random((4, 3)) + 1, rng.random((4, 2)) + 1) for _ in range(n)]

    def direct() -> None:
        assert sum(1 for _ in ExistingDataSetIterator(batches)) == n

    def prefetched(q: int) -> Callable[[], None]:
        def run() -> None:
            with AsyncDataSetIterator(ExistingDataSetIterator(batches), q) as it:
                assert sum(1 for _ in it) == n

        return run

    def summary(row: dict[str, Any]) -> str:
        extra = (row["fastiter_s"] - row["peers"]["no prefetch"]["seconds"]) / n
        return f"{format_seconds(max(extra, 0.0))} a batch over no prefetch"

    return Case(
        f"async overhead, {n} in-memory batches, queue_size=8",
        prefetched(8),
        {"no prefetch": direct, "fastiter queue_size=64": prefetched(64)},
        sum(b.memory_footprint() for b in batches),
        key="async overhead",
        summary=summary,
        rounds=5,
        notes=["the overhead a batch is (async - no prefetch) / batches"],
    )


def _pipeline(size: str) -> dict[str, Any]:
    from fastiter import ArrayDataSetIterator

    cols, batch = 128, 4096
    rows = batch * pick(size, 24, 12, 4)
    rng = np.random.default_rng(2026)
    x = rng.random((rows, cols), dtype=np.float32) + np.float32(0.5)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, rows)]
    return {
        "x": x,
        "y": y,
        "batch": batch,
        "cols": cols,
        "base": lambda: ArrayDataSetIterator(x, y, batch, shuffle=True, seed=5),
    }


def _overlap_case(size: str, p: dict[str, Any]) -> Case:
    from fastiter import AsyncDataSetIterator, DataSet

    torch = optional("torch")
    probe = p["base"]()
    nb = probe.num_batches()
    held = [probe.batch_at(i) for i in range(nb)]
    tmp = np.empty_like(held[0].features)
    # C = 2P over the whole epoch, as the consumer-bound async case sizes it: one warm
    # build (batch_at(3), its rows cached) took a fraction of an epoch's average build,
    # so sizing from it gave C ~ 0.4P
    _, _, passes = _calibrate(p["base"], tmp, nb)

    def producer_alone() -> None:
        for i in range(nb):
            probe.batch_at(i)

    def epoch(batches: Any) -> None:
        _consume_epoch(batches, tmp, passes, nb)

    w1 = AsyncDataSetIterator(p["base"](), 8)
    serial, plain = p["base"](), p["base"]()

    def consumer_alone() -> None:
        for ds in held:
            _consume(ds.features, tmp, passes)

    loaders: list[Any] = []

    def loader(workers: int) -> Callable[[], None] | None:
        if torch is None:
            return None
        import torch.utils.data as tud

        class Batches(tud.Dataset):  # whole batches: DataLoader(batch_size=None)
            def __len__(self) -> int:
                return nb

            def __getitem__(self, i: int) -> Any:
                ds = probe.batch_at(i)
                return ds.features, ds.labels

        # Persistent workers, forked once (at the warm-up call): a fork write-protects
        # the parent's pages, so workers forked each epoch made the role timed next pay
        # a copy-on-write fault on every page of its reused buffers (an async epoch: 15
        # ms alone, 33 ms after a fork, 90 ms while the child lived).  A tuned torch
        # loop keeps its workers too.
        dl = tud.DataLoader(
            Batches(), batch_size=None, num_workers=workers, persistent_workers=workers > 0
        )
        loaders.append(dl)
        return lambda: epoch(DataSet(a.numpy(), b.numpy()) for a, b in dl)

    def close() -> None:  # ends the persistent workers
        for dl in loaders:
            # torch keeps the persistent workers' iterator here and offers no public
            # shutdown; without one the workers would outlive the case
            it = getattr(dl, "_iterator", None)
            if it is not None and hasattr(it, "_shutdown_workers"):
                it._shutdown_workers()
                dl._iterator = None
        loaders.clear()

    def summary(row: dict[str, Any]) -> str:
        parts = row.get("ceiling_parts", {})
        if "producer alone" not in parts:
            return ""
        return f"C/P = {parts['consumer alone'] / parts['producer alone']:.2f} in this run"

    return Case(
        f"async overlap, gather producer P, consumer C~2P, {nb} batches "
        f"{p['batch']}x{p['cols']} f32, workers=1",
        lambda: epoch(w1),
        {
            "serial loop": lambda: epoch(serial),
            "threading+Queue(8)": lambda: epoch(thread_queue(plain)),
            "torch DataLoader(num_workers=0)": loader(0),
            "torch DataLoader(num_workers=2)": loader(2),
        },
        nb * p["batch"] * p["cols"] * 4,
        ceiling={"producer alone": producer_alone, "consumer alone": consumer_alone},
        key="async overlap",
        rounds=5,
        close=close,
        summary=summary,
        notes=[
            "limit = max(P alone, C alone) over the epoch's batches; "
            f"consumer: {passes:.2f} ufunc passes a batch"
        ],
    )


def _scaling_case(size: str, p: dict[str, Any]) -> Case:
    from fastiter import AsyncDataSetIterator

    probe = p["base"]()
    nb = probe.num_batches()
    its = {w: AsyncDataSetIterator(p["base"](), 8, workers=w) for w in (1, 2)}

    def epoch(w: int) -> Callable[[], None]:
        def run() -> None:
            assert sum(1 for ds in its[w] if ds.features[0, 0] > 0) == nb

        return run

    def half(k: int) -> None:
        for i in range(k, nb, 2):
            probe.batch_at(i)

    two_threads = together(partial(half, 0), partial(half, 1))

    return Case(
        f"async scaling, producer-bound, {nb} batches, workers=2",
        epoch(2),
        {"fastiter workers=1": epoch(1)},
        nb * p["batch"] * p["cols"] * 4,
        ceiling={"2 plain threads, no ring": two_threads},
        key="async scaling",
        rounds=5,
        threads=1,
        notes=["fastiter's kernel pool at 1 thread: the producers are what scales"],
    )


def cases(size: str = "full") -> list[Case]:
    """Per-batch overhead, overlap (C ~ 2P) and producer-bound scaling.

    >>> [c.key for c in cases("smoke")]
    ['async overhead', 'async overlap', 'async scaling']
    """
    p = _pipeline(size)
    return [_overhead_case(size), _overlap_case(size, p), _scaling_case(size, p)]
