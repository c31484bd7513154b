"""Iterator-family benchmarks: one epoch of each fastiter iterator, grouped with a peer
that does the same work and a memcpy ceiling of the same bytes, measured in one run."""

from __future__ import annotations

import numpy as np
import pytest

from fastiter import DataSet, FileDataSetIterator, SamplingDataSetIterator

N, F, BATCH, BATCHES = 100_000, 128, 256, 100


@pytest.fixture(scope="module")
def dataset():
    rng = np.random.default_rng(2026)
    x = rng.random((N, F), dtype=np.float32) + 1  # non-zero payload
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, N)]
    return DataSet(x, y)


def _epoch(it):
    rows = 0
    for ds in it:
        rows += ds.num_examples()
    return rows


def test_sampling_fastiter(benchmark, dataset):
    benchmark.group = "sampling epoch 100 x 256 of 100k x 128 f32"
    it = SamplingDataSetIterator(dataset, BATCH, total_batches=BATCHES, replace=True, seed=1)
    assert benchmark(_epoch, it) == BATCH * BATCHES


def test_sampling_numpy_peer(benchmark, dataset):
    benchmark.group = "sampling epoch 100 x 256 of 100k x 128 f32"
    rng = np.random.default_rng(1)

    def epoch():
        rows = 0
        for _ in range(BATCHES):
            idx = rng.choice(N, BATCH, replace=True)
            xb, yb = dataset.features[idx], dataset.labels[idx]
            rows += xb.shape[0] + 0 * yb.shape[0]
        return rows

    assert benchmark(epoch) == BATCH * BATCHES


def test_sampling_torch_peer(benchmark, dataset):
    torch = pytest.importorskip("torch")
    benchmark.group = "sampling epoch 100 x 256 of 100k x 128 f32"
    x, y = torch.from_numpy(dataset.features), torch.from_numpy(dataset.labels)
    gen = torch.Generator().manual_seed(1)

    def epoch():
        rows = 0
        for _ in range(BATCHES):
            idx = torch.randint(0, N, (BATCH,), generator=gen)
            rows += x.index_select(0, idx).shape[0] + 0 * y.index_select(0, idx).shape[0]
        return rows

    assert benchmark(epoch) == BATCH * BATCHES


def test_sampling_ceiling_memcpy(benchmark, dataset):
    benchmark.group = "sampling epoch 100 x 256 of 100k x 128 f32"
    src_x, src_y = dataset.features[:BATCH], dataset.labels[:BATCH]
    dst_x, dst_y = np.empty_like(src_x), np.empty_like(src_y)

    def epoch():
        for _ in range(BATCHES):
            np.copyto(dst_x, src_x)
            np.copyto(dst_y, src_y)
        return BATCH * BATCHES

    assert benchmark(epoch) == BATCH * BATCHES


@pytest.fixture(scope="module")
def npy_folder(tmp_path_factory, dataset):
    """64 files of 1,000 examples each, re-batched to 256."""
    folder = tmp_path_factory.mktemp("files")
    for i in range(64):
        np.save(folder / f"{i:03d}.npy", dataset.features[i * 1000 : (i + 1) * 1000])
    return folder


def _load_npy(path):
    return DataSet(np.load(path))


def test_files_rebatch_fastiter(benchmark, npy_folder):
    benchmark.group = "files 64 x 1000 rows re-batched to 256"
    it = FileDataSetIterator(npy_folder, BATCH, shuffle=True, seed=3, loader=_load_npy)
    assert benchmark(_epoch, it) == 64_000


def test_files_rebatch_numpy_peer(benchmark, npy_folder):
    benchmark.group = "files 64 x 1000 rows re-batched to 256"
    paths = sorted(npy_folder.iterdir())
    rng = np.random.default_rng(3)

    def epoch():
        rows, carry = 0, None
        for i in rng.permutation(len(paths)):
            x = np.load(paths[i])
            x = x if carry is None else np.concatenate([carry, x])
            full = x.shape[0] // BATCH * BATCH
            for lo in range(0, full, BATCH):
                rows += x[lo : lo + BATCH].shape[0]
            carry = x[full:]
        return rows + carry.shape[0]

    assert benchmark(epoch) == 64_000


RB, RF, RC, RBATCHES = 1024, 784, 10, 32
RANDOM_GROUP = "random epoch 32 x (1024x784 uniform + 1024x10 one-hot) f32"


def test_random_fastiter(benchmark):
    from fastiter import RandomDataSetIterator

    benchmark.group = RANDOM_GROUP
    it = RandomDataSetIterator(RBATCHES, (RB, RF), (RB, RC), "RANDOM_UNIFORM", "ONE_HOT", seed=7)
    assert benchmark(_epoch, it) == RB * RBATCHES


def test_random_numpy_peer(benchmark):
    benchmark.group = RANDOM_GROUP
    rng = np.random.default_rng(7)
    eye = np.eye(RC, dtype=np.float32)

    def epoch():
        rows = 0
        for _ in range(RBATCHES):
            x = rng.random((RB, RF), dtype=np.float32)
            y = eye[rng.integers(0, RC, RB)]
            rows += x.shape[0] + 0 * y.shape[0]
        return rows

    assert benchmark(epoch) == RB * RBATCHES


def test_random_torch_peer(benchmark):
    torch = pytest.importorskip("torch")
    benchmark.group = RANDOM_GROUP
    gen = torch.Generator().manual_seed(7)

    def epoch():
        rows = 0
        for _ in range(RBATCHES):
            x = torch.rand((RB, RF), generator=gen)
            y = torch.nn.functional.one_hot(torch.randint(0, RC, (RB,), generator=gen), RC).float()
            rows += x.shape[0] + 0 * y.shape[0]
        return rows

    assert benchmark(epoch) == RB * RBATCHES


def test_random_ceiling_memcpy(benchmark):
    benchmark.group = RANDOM_GROUP
    src_x = np.full((RB, RF), 0.5, np.float32)
    src_y = np.full((RB, RC), 0.5, np.float32)

    def epoch():
        for _ in range(RBATCHES):  # fresh outputs, as every generator above allocates
            np.copyto(np.empty_like(src_x), src_x)
            np.copyto(np.empty_like(src_y), src_y)
        return RB * RBATCHES

    assert benchmark(epoch) == RB * RBATCHES
