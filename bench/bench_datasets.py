"""MNIST from IDX files to batches: fastiter's iterator against a plain numpy reader.

The data is 60,000 random 28x28 images (pixels 1..255, so no all-zero pages) and labels
written as real (uncompressed) IDX files.  "open" is everything from the file names to
the first batch: fastiter memory-maps the pixel file, the numpy reader ``np.fromfile``-s it.

The numpy peer's time depends on the process's malloc state: its two 400 KB float
temporaries per batch can make glibc return and re-fault the heap top every batch
(measured 3x slower, ~190 page faults per batch).  Compare minima, which are its good
state.  Both sides produce, for every batch of a shuffled epoch,
float32 features scaled to [0, 1] and float32 one-hot labels.  The ceiling copies the
same number of float32 feature bytes, batch by batch, into a preallocated buffer.
"""

from __future__ import annotations

import numpy as np
import pytest

from fastiter import kernels
from fastiter.bench.datasets import numpy_epoch as _numpy_epoch
from fastiter.bench.datasets import numpy_reader as _numpy_reader
from fastiter.datasets import MnistDataSetIterator, pixels_to_float, write_idx

N, BATCH, SEED = 60_000, 128, 123


@pytest.fixture(scope="module")
def mnist_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(2026)
    write_idx(folder / "train-images-idx3-ubyte", rng.integers(1, 256, (N, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte", rng.integers(0, 10, N).astype(np.uint8))
    return folder


def numpy_reader(folder):
    return _numpy_reader(folder, N)


def numpy_epoch(x, y, epoch):
    return _numpy_epoch(x, y, epoch)


def fastiter_epoch(it):
    total = 0.0
    for ds in it:  # a new epoch (reshuffled) each time
        total += ds.features[0, 0] + ds.labels[0, 0]
    return total


# The epoch against numpy and the copy ceiling is a registry case
# (fastiter/bench/datasets.py), run here as in ``fastiter bench``.
FAMILIES = ["mnist"]


def test_case(run_registry):
    run_registry()


def test_mnist_open_and_epoch_fastiter(benchmark, mnist_files):
    benchmark.group = "mnist open + epoch"
    benchmark(
        lambda: fastiter_epoch(
            MnistDataSetIterator(BATCH, train=True, seed=SEED, data_dir=mnist_files)
        )
    )


def test_mnist_open_and_epoch_numpy(benchmark, mnist_files):
    benchmark.group = "mnist open + epoch"
    benchmark(lambda: numpy_epoch(*numpy_reader(mnist_files), 0))


def test_mnist_open_fastiter(benchmark, mnist_files):
    benchmark.group = "mnist open only"
    benchmark(MnistDataSetIterator, BATCH, train=True, seed=SEED, data_dir=mnist_files)


def test_mnist_open_numpy(benchmark, mnist_files):
    benchmark.group = "mnist open only"
    benchmark(numpy_reader, mnist_files)


# --- where one batch's time goes (evidence for the bound, one stage per case) ----------
@pytest.fixture(scope="module")
def stage_inputs():
    rng = np.random.default_rng(7)
    pixels = rng.integers(1, 256, (N, 784), dtype=np.uint8)
    one_hot = kernels.one_hot(rng.integers(0, 10, N), 10)
    idx = rng.permutation(N)[:BATCH]
    return pixels, one_hot, idx, pixels[idx]


def test_stage_gather_pixels_kernel(benchmark, stage_inputs):
    benchmark.group = "mnist batch stages, batch 128"
    pixels, _, idx, _ = stage_inputs
    benchmark(kernels.gather, pixels, idx)


def test_stage_gather_one_hot_rows_kernel(benchmark, stage_inputs):
    benchmark.group = "mnist batch stages, batch 128"
    _, one_hot, idx, _ = stage_inputs
    benchmark(kernels.gather, one_hot, idx)


def test_stage_fused_gather_scaled_kernel(benchmark, stage_inputs):
    benchmark.group = "mnist batch stages, batch 128"
    pixels, _, idx, _ = stage_inputs
    benchmark(kernels.gather_scaled, pixels, idx, 1 / 255)


def test_stage_one_call_batch_kernel(benchmark, stage_inputs):
    """What the iterator runs per batch: features and one-hot rows in one native call."""
    benchmark.group = "mnist batch stages, batch 128"
    pixels, one_hot, idx, _ = stage_inputs
    benchmark(kernels.gather_scaled_labeled, pixels, idx, one_hot, 1 / 255, shape=(784,))


def test_stage_iterator_batch_at(benchmark, mnist_files):
    """The whole per-batch path of the iterator (kernel + Python), batch 1 of an epoch."""
    benchmark.group = "mnist batch stages, batch 128"
    it = MnistDataSetIterator(BATCH, train=True, seed=SEED, data_dir=mnist_files)
    benchmark(it.batch_at, 1)


def test_stage_numpy_fancy_index_and_convert(benchmark, stage_inputs):
    benchmark.group = "mnist batch stages, batch 128"
    pixels, _, idx, _ = stage_inputs
    benchmark(lambda: pixels[idx].astype(np.float32) / 255.0)


def test_stage_convert_to_float(benchmark, stage_inputs):
    benchmark.group = "mnist batch stages, batch 128"
    block = stage_inputs[3]
    benchmark(pixels_to_float, block)


def test_stage_ceiling_copy_float_batch(benchmark, stage_inputs):
    benchmark.group = "mnist batch stages, batch 128"
    src = pixels_to_float(stage_inputs[3]) + np.float32(0.5)
    out = np.empty_like(src)
    benchmark(np.copyto, out, src)
