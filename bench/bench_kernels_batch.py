"""Kernel benchmarks, part 2: batch assembly (gather, collate) against ``np.copyto`` of
the same bytes, measured in the same run, and their numpy / numba / torch peers."""
from __future__ import annotations

import numpy as np
import pytest

from fastiter import kernels

BATCH = 1024


@pytest.fixture(scope="module")
def gather_case(scale):
    rng = np.random.default_rng(5)
    rows = scale(1_000_000, 64)
    src = rng.standard_normal((rows, 128)).astype(np.float32) + 1
    idx = rng.integers(0, rows, BATCH)
    return src, idx, np.empty((BATCH, 128), np.float32)


def test_gather_fastiter_out(benchmark, gather_case):
    src, idx, out = gather_case
    benchmark.group = "gather 1024x128 f32"
    benchmark(kernels.gather, src, idx, out=out)
    np.testing.assert_array_equal(out, src[idx])


def test_gather_fastiter_alloc(benchmark, gather_case):
    src, idx, _ = gather_case
    benchmark.group = "gather 1024x128 f32"
    benchmark(kernels.gather, src, idx)


def test_gather_ceiling_copyto(benchmark, gather_case):
    src, idx, out = gather_case
    benchmark.group = "gather 1024x128 f32"
    block = src[:BATCH]
    benchmark(np.copyto, out, block)


def test_gather_numpy_take_out(benchmark, gather_case):
    src, idx, out = gather_case
    benchmark.group = "gather 1024x128 f32"
    benchmark(np.take, src, idx, axis=0, out=out)


def test_gather_numpy_fancy(benchmark, gather_case):
    src, idx, _ = gather_case
    benchmark.group = "gather 1024x128 f32"
    benchmark(lambda: src[idx])


@pytest.mark.parametrize("kind", ["prange", "serial"])
def test_gather_numba(benchmark, gather_case, numba_peers, kind):
    """numba into the preallocated buffer (compiled and warmed here)."""
    src, idx, out = gather_case
    benchmark.group = "gather 1024x128 f32"
    fn = numba_peers[kind]["gather"]
    fn(src, idx, out)
    benchmark(fn, src, idx, out)
    np.testing.assert_array_equal(out, src[idx])


def test_gather_fastiter_out_1thread(benchmark, gather_case, one_thread):
    """fastiter on 1 thread: the twin of numba's serial loop."""
    src, idx, out = gather_case
    benchmark.group = "gather 1024x128 f32"
    benchmark(kernels.gather, src, idx, out=out)


def test_gather_torch_index_select(benchmark, gather_case):
    torch = pytest.importorskip("torch")
    src, idx, out = gather_case
    benchmark.group = "gather 1024x128 f32"
    ts, ti, to = torch.from_numpy(src), torch.from_numpy(idx), torch.from_numpy(out)
    benchmark(torch.index_select, ts, 0, ti, out=to)


@pytest.fixture(scope="module")
def collate_case():
    rng = np.random.default_rng(6)
    items = [rng.standard_normal(128).astype(np.float32) + 1 for _ in range(BATCH)]
    return items, np.empty((BATCH, 128), np.float32)


def test_collate_fastiter_out(benchmark, collate_case):
    items, out = collate_case
    benchmark.group = "collate 1024 x [128] f32"
    benchmark(kernels.collate, items, out=out)
    np.testing.assert_array_equal(out, np.stack(items))


def test_collate_fastiter_alloc(benchmark, collate_case):
    items, _ = collate_case
    benchmark.group = "collate 1024 x [128] f32"
    benchmark(kernels.collate, items)


def test_collate_ceiling_copyto(benchmark, collate_case):
    items, out = collate_case
    benchmark.group = "collate 1024 x [128] f32"
    block = np.stack(items)
    benchmark(np.copyto, out, block)


def test_collate_numpy_stack(benchmark, collate_case):
    items, out = collate_case
    benchmark.group = "collate 1024 x [128] f32"
    benchmark(np.stack, items, out=out)


def test_collate_torch_default_collate(benchmark, collate_case):
    torch = pytest.importorskip("torch")
    items, _ = collate_case
    benchmark.group = "collate 1024 x [128] f32"
    from torch.utils.data import default_collate

    benchmark(default_collate, items)
