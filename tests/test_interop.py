"""Torch/JAX hand-over; skipped only where the framework cannot be installed."""

import numpy as np
import pytest

from fastiter import ArrayDataSetIterator, DataSet
from fastiter.interop import require

torch = pytest.importorskip("torch")


def test_to_torch_shares_memory():
    from fastiter.interop import to_torch

    ds = DataSet(np.arange(6, dtype=np.float32).reshape(2, 3), np.eye(2, dtype=np.float32))
    t = to_torch(ds)
    assert t["features_mask"] is None
    ds.features[0, 0] = 42.0
    assert t["features"][0, 0].item() == 42.0  # zero-copy through DLPack


def _rank_examples(rank, world, workers, x):
    from fastiter.torch import IterableDataset

    it = ArrayDataSetIterator(x, batch_size=4, shuffle=True, seed=11)
    loader = torch.utils.data.DataLoader(
        IterableDataset(it, rank=rank, world_size=world), batch_size=None, num_workers=workers
    )
    return [v for b in loader for v in b["features"][:, 0].tolist()]


def test_two_workers_two_ranks_cover_every_example_exactly_once():
    x = np.arange(50, dtype=np.float32)[:, None]
    seen = _rank_examples(0, 2, 2, x) + _rank_examples(1, 2, 2, x)
    assert sorted(seen) == x[:, 0].tolist()


def test_non_indexable_base_refuses_to_split():
    from fastiter.iterators.base import DataSetIterator
    from fastiter.torch import IterableDataset

    class Stream(DataSetIterator):
        def has_next(self):
            return False

        def _next_batch(self, num):
            raise AssertionError

    with pytest.raises(ValueError, match="not indexable"):
        list(IterableDataset(Stream(), rank=0, world_size=2))


def test_missing_framework_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "jax", None)  # makes `import jax` fail
    monkeypatch.setitem(sys.modules, "jax.numpy", None)
    with pytest.raises(ImportError, match=r"pip install fastiter\[jax\]"):
        require("jax.numpy")


def test_batch_methods_hand_over_and_name_the_missing_extra(monkeypatch):
    import sys

    ds = DataSet(np.arange(4, dtype=np.float32).reshape(2, 2))
    assert ds.to_torch()["features"].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    monkeypatch.setitem(sys.modules, "jax", None)
    monkeypatch.setitem(sys.modules, "jax.numpy", None)
    with pytest.raises(ImportError, match=r"fastiter\[jax\]"):
        ds.to_jax()
