"""fastiter as a PyTorch loader against torch's own, in the same run (issue 16).

One epoch of 1M x 64 float32 examples at batch 256, shuffled, with a light consumer
(a sum over each batch), through ``torch.utils.data.DataLoader``:

- iterable: ``DataLoader(fastiter.torch.IterableDataset(ArrayDataSetIterator(...)),
  batch_size=None)`` against ``DataLoader(TensorDataset(x), batch_size=256,
  shuffle=True)`` (the issue's target: >= 3x at ``num_workers=0``);
- map-style: ``DataLoader(fastiter.torch.Dataset(DataSet(x)), batch_size=256,
  shuffle=True, collate_fn=fastiter.torch.collate_fn)`` against the same Dataset with
  torch's ``default_collate``, and against a plain numpy Dataset with
  ``default_collate`` (target >= 3x over the same Dataset with ``default_collate``);
- each also with ``num_workers=2`` (workers started per epoch, torch's default).

Every epoch time is for the same data and batch count; ``extra_info`` carries the
batches and examples/s.  The machine is shared: read ratios, not absolute times.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

import torch

import fastiter
from fastiter.torch import Dataset, IterableDataset, collate_fn

ROWS, COLS, BATCH = 1_000_000, 64, 256
GROUP = "torch epoch: 1M x 64 f32, batch 256, shuffled"


@pytest.fixture(scope="module")
def features(scale):
    x = fastiter.kernels.random_uniform((scale(ROWS), COLS), 2026)  # non-zero payload
    return x


def _epoch(loader, pick):
    def run():
        total, batches, rows = 0.0, 0, 0
        for b in loader:
            t = pick(b)
            total += float(t.sum())  # the light consumer
            batches += 1
            rows += len(t)
        return batches, rows

    return run


def _time(benchmark, group, loader, pick, n):
    benchmark.group = group
    run = _epoch(loader, pick)
    result = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    batches, rows = result if result is not None else run()
    assert rows == n and batches == -(-n // BATCH)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:
        benchmark.extra_info["examples_per_s"] = n / stats.stats.median
    benchmark.extra_info["batches"] = batches


class NumpyDataset(torch.utils.data.Dataset):
    """What a PyTorch user writes over a numpy array."""

    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"features": self.x[i]}


WORKERS = [0, 2]


@pytest.mark.parametrize("workers", WORKERS)
def test_iterable_fastiter(benchmark, features, workers):
    it = fastiter.ArrayDataSetIterator(features, batch_size=BATCH, shuffle=True, seed=1)
    loader = torch.utils.data.DataLoader(IterableDataset(it), batch_size=None, num_workers=workers)
    _time(
        benchmark,
        f"{GROUP}, iterable, num_workers={workers}",
        loader,
        lambda b: b["features"],
        len(features),
    )


@pytest.mark.parametrize("workers", WORKERS)
def test_iterable_tensordataset(benchmark, features, workers):
    ds = torch.utils.data.TensorDataset(torch.from_numpy(features))
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=BATCH,
        shuffle=True,
        num_workers=workers,
        generator=torch.Generator().manual_seed(1),
    )
    _time(
        benchmark,
        f"{GROUP}, iterable, num_workers={workers}",
        loader,
        lambda b: b[0],
        len(features),
    )


@pytest.mark.parametrize("workers", WORKERS)
def test_mapstyle_fastiter_collate(benchmark, features, workers):
    loader = torch.utils.data.DataLoader(
        Dataset(fastiter.DataSet(features)),
        batch_size=BATCH,
        shuffle=True,
        collate_fn=collate_fn,
        num_workers=workers,
        generator=torch.Generator().manual_seed(1),
    )
    _time(
        benchmark,
        f"{GROUP}, map-style, num_workers={workers}",
        loader,
        lambda b: b["features"],
        len(features),
    )


@pytest.mark.parametrize("workers", WORKERS)
def test_mapstyle_same_dataset_default_collate(benchmark, features, workers):
    loader = torch.utils.data.DataLoader(
        Dataset(fastiter.DataSet(features)),
        batch_size=BATCH,
        shuffle=True,
        num_workers=workers,
        generator=torch.Generator().manual_seed(1),
    )
    _time(
        benchmark,
        f"{GROUP}, map-style, num_workers={workers}",
        loader,
        lambda b: b["features"],
        len(features),
    )


@pytest.mark.parametrize("workers", WORKERS)
def test_mapstyle_numpy_dataset_default_collate(benchmark, features, workers):
    loader = torch.utils.data.DataLoader(
        NumpyDataset(features),
        batch_size=BATCH,
        shuffle=True,
        num_workers=workers,
        generator=torch.Generator().manual_seed(1),
    )
    _time(
        benchmark,
        f"{GROUP}, map-style, num_workers={workers}",
        loader,
        lambda b: b["features"],
        len(features),
    )
