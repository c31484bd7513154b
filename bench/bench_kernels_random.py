"""Kernel benchmarks, part 3: Philox random generation (64M float32) against numpy's
Generator (one thread, and two spawned generators on two threads), torch's in-place
draws, and the ``fill`` ceiling of the same output, all in the same run."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from fastiter import kernels

N = 64 * 2**20


@pytest.fixture(scope="module")
def rnd_out(scale):
    return np.empty(scale(N, 256), np.float32)


@pytest.fixture
def threads():
    old = kernels.get_num_threads()
    yield kernels.set_num_threads
    kernels.set_num_threads(old)


def test_fill_ceiling(benchmark, rnd_out):
    benchmark.group = "random uniform 64M f32"
    benchmark(rnd_out.fill, 1.0)


@pytest.mark.parametrize("nthreads", [1, 2])
def test_uniform_fastiter(benchmark, rnd_out, threads, nthreads):
    benchmark.group = "random uniform 64M f32"
    threads(nthreads)
    benchmark(kernels.random_uniform, rnd_out.shape, 7, out=rnd_out)


def test_uniform_fastiter_alloc(benchmark, rnd_out):
    """The allocating twin of the out= case (target: within 1.3x of it)."""
    benchmark.group = "random uniform 64M f32"
    benchmark(kernels.random_uniform, rnd_out.shape, 7)


def test_uniform_numpy(benchmark, rnd_out):
    benchmark.group = "random uniform 64M f32"
    gen = np.random.default_rng(7)
    benchmark(gen.random, dtype=np.float32, out=rnd_out)


def test_uniform_numpy_two_spawned_threads(benchmark, rnd_out):
    benchmark.group = "random uniform 64M f32"
    gens = [np.random.default_rng(s) for s in np.random.SeedSequence(7).spawn(2)]
    half = rnd_out.size // 2
    parts = [rnd_out[:half], rnd_out[half:]]
    with ThreadPoolExecutor(2) as pool:
        def draw():
            list(pool.map(lambda gp: gp[0].random(dtype=np.float32, out=gp[1]),
                          zip(gens, parts)))

        benchmark(draw)


def test_uniform_torch(benchmark, rnd_out):
    torch = pytest.importorskip("torch")
    benchmark.group = "random uniform 64M f32"
    t = torch.from_numpy(rnd_out)
    torch.manual_seed(7)
    benchmark(t.uniform_)


@pytest.mark.parametrize("nthreads", [1, 2])
def test_normal_fastiter(benchmark, rnd_out, threads, nthreads):
    benchmark.group = "random normal 64M f32"
    threads(nthreads)
    benchmark(kernels.random_normal, rnd_out.shape, 7, out=rnd_out)


def test_normal_fastiter_alloc(benchmark, rnd_out):
    """The allocating twin of the out= case (target: within 1.3x of it)."""
    benchmark.group = "random normal 64M f32"
    benchmark(kernels.random_normal, rnd_out.shape, 7)


def test_normal_numpy(benchmark, rnd_out):
    benchmark.group = "random normal 64M f32"
    gen = np.random.default_rng(7)
    benchmark(gen.standard_normal, dtype=np.float32, out=rnd_out)


def test_normal_torch(benchmark, rnd_out):
    torch = pytest.importorskip("torch")
    benchmark.group = "random normal 64M f32"
    t = torch.from_numpy(rnd_out)
    torch.manual_seed(7)
    benchmark(t.normal_)


def test_normal_fill_ceiling(benchmark, rnd_out):
    benchmark.group = "random normal 64M f32"
    benchmark(rnd_out.fill, 1.0)
