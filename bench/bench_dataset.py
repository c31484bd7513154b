"""DataSet benchmarks: merging padded time series, HDF5 save/load and a shuffled epoch,
each with its peers and a copy ceiling in the same group."""

from __future__ import annotations

import numpy as np
import pytest

from fastiter import DataSet, ListDataSetIterator

N_SERIES, FEATURES, T_MAX = 256, 16, 64


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(7)
    lengths = rng.integers(T_MAX // 2, T_MAX + 1, N_SERIES)
    return [
        DataSet(
            rng.normal(1.0, 1.0, (1, FEATURES, t)).astype(np.float32),
            rng.normal(1.0, 1.0, (1, 3, t)).astype(np.float32),
        )
        for t in lengths
    ]


def test_merge_fastiter(benchmark, series):
    benchmark.group = "merge 256 series [1,16,32..64]"
    out = benchmark(DataSet.merge, series)
    assert out.features.shape == (N_SERIES, FEATURES, T_MAX)


def test_merge_numpy_pad_loop(benchmark, series):
    benchmark.group = "merge 256 series [1,16,32..64]"

    def pad():  # the same output as merge: features, labels and both masks
        f = np.zeros((N_SERIES, FEATURES, T_MAX), np.float32)
        lab = np.zeros((N_SERIES, 3, T_MAX), np.float32)
        fm = np.zeros((N_SERIES, T_MAX), np.float32)
        lm = np.zeros((N_SERIES, T_MAX), np.float32)
        for i, d in enumerate(series):
            t = d.features.shape[2]
            f[i, :, :t] = d.features[0]
            lab[i, :, :t] = d.labels[0]
            fm[i, :t] = 1
            lm[i, :t] = 1
        return f, lab, fm, lm

    benchmark(pad)


def test_merge_torch_pad_sequence(benchmark, series):
    torch = pytest.importorskip("torch")
    benchmark.group = "merge 256 series [1,16,32..64]"
    tensors = [torch.from_numpy(d.features[0].T.copy()) for d in series]
    benchmark(torch.nn.utils.rnn.pad_sequence, tensors, batch_first=True)


def test_merge_ceiling_copy(benchmark, series):
    benchmark.group = "merge 256 series [1,16,32..64]"
    src = np.ones((N_SERIES, FEATURES, T_MAX), np.float32)
    dst = np.empty_like(src)
    benchmark(np.copyto, dst, src)


def test_list_iterator_epoch(benchmark, series):
    benchmark.group = "ListDataSetIterator epoch, 256 series, batch 32"
    it = ListDataSetIterator(series, 32)
    benchmark(lambda: sum(len(b) for b in it))


# The HDF5 save+load round trip and the shuffled epoch are registry cases
# (fastiter/bench/iterators.py), run here as in ``fastiter bench``.
FAMILIES = ["iterators"]


def test_case(run_registry):
    run_registry()
