"""DataSet benchmarks: merging padded time series, and HDF5 save/load, each with its peers
and a copy ceiling in the same group."""
from __future__ import annotations

import numpy as np
import pytest

from fastiter import DataSet, ListDataSetIterator

N_SERIES, FEATURES, T_MAX = 256, 16, 64


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(7)
    lengths = rng.integers(T_MAX // 2, T_MAX + 1, N_SERIES)
    return [DataSet(rng.normal(1.0, 1.0, (1, FEATURES, t)).astype(np.float32),
                    rng.normal(1.0, 1.0, (1, 3, t)).astype(np.float32)) for t in lengths]


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


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(8)
    return DataSet(rng.normal(1.0, 1.0, (20_000, 128)).astype(np.float32),
                   np.eye(10, dtype=np.float32)[rng.integers(0, 10, 20_000)])


def test_save_load_fastiter_h5(benchmark, big, tmp_path):
    benchmark.group = "save+load 20000x128 float32"
    path = tmp_path / "ds.h5"

    def round_trip():
        big.save(path, overwrite=True)
        return DataSet.load(path)

    assert benchmark(round_trip) == big


def test_save_load_numpy_npz(benchmark, big, tmp_path):
    benchmark.group = "save+load 20000x128 float32"
    path = tmp_path / "ds.npz"

    def round_trip():
        np.savez(path, features=big.features, labels=big.labels)
        with np.load(path) as z:
            return z["features"], z["labels"]

    benchmark(round_trip)


def test_save_load_ceiling_raw_bytes(benchmark, big, tmp_path):
    benchmark.group = "save+load 20000x128 float32"
    path = tmp_path / "raw.bin"

    def round_trip():
        with open(path, "wb") as f:
            f.write(big.features.data)
            f.write(big.labels.data)
        return path.read_bytes()

    benchmark(round_trip)


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(9)
    return (rng.normal(1.0, 1.0, (100_000, 64)).astype(np.float32),
            np.eye(10, dtype=np.float32)[rng.integers(0, 10, 100_000)])


def test_shuffled_epoch_fastiter(benchmark, table):
    from fastiter import ArrayDataSetIterator

    benchmark.group = "shuffled epoch 100000x64, batch 1024"
    it = ArrayDataSetIterator(*table, batch_size=1024, shuffle=True, seed=1)
    benchmark(lambda: sum(len(b) for b in it))


def test_shuffled_epoch_numpy_fancy_index(benchmark, table):
    benchmark.group = "shuffled epoch 100000x64, batch 1024"
    x, y = table
    perm = np.random.default_rng(1).permutation(len(x))

    def epoch():
        return sum(len(x[perm[lo:lo + 1024]]) + 0 * len(y[perm[lo:lo + 1024]])
                   for lo in range(0, len(x), 1024))

    benchmark(epoch)


def test_shuffled_epoch_ceiling_copy(benchmark, table):
    benchmark.group = "shuffled epoch 100000x64, batch 1024"
    x, y = table
    dx, dy = np.empty_like(x), np.empty_like(y)
    benchmark(lambda: (np.copyto(dx, x), np.copyto(dy, y)))
