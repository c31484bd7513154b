"""Kernel benchmarks, part 1: one-hot and padding, each grouped with its peers and its
ceiling measured in the same run (``out.fill(1)`` for one-hot; copy-the-input-once
plus zero-the-rest for padding).  Peers that are not installed are skipped."""
from __future__ import annotations

import numpy as np
import pytest
from fastiter import kernels

ONE_HOT_CASES = {"1Mx10": (1_000_000, 10), "100kx1000": (100_000, 1000)}


@pytest.fixture(params=list(ONE_HOT_CASES), scope="module")
def one_hot_case(request, scale):
    n, c = ONE_HOT_CASES[request.param]
    n = scale(n)
    labels = np.random.default_rng(1).integers(0, c, n)
    return request.param, labels, c, np.empty((n, c), np.float32)


def test_one_hot_fastiter_out(benchmark, one_hot_case):
    name, labels, c, out = one_hot_case
    benchmark.group = f"one_hot {name}"
    benchmark(kernels.one_hot, labels, c, out=out)
    np.testing.assert_array_equal(out.argmax(1), labels)


def test_one_hot_fastiter_alloc(benchmark, one_hot_case):
    name, labels, c, _ = one_hot_case
    benchmark.group = f"one_hot {name}"
    res = benchmark(kernels.one_hot, labels, c)
    np.testing.assert_array_equal(res.argmax(1), labels)


def test_one_hot_ceiling_fill(benchmark, one_hot_case):
    name, labels, c, out = one_hot_case
    benchmark.group = f"one_hot {name}"
    benchmark(out.fill, 1.0)


def test_one_hot_numpy_zeros_fancy(benchmark, one_hot_case):
    name, labels, c, _ = one_hot_case
    benchmark.group = f"one_hot {name}"

    def numpy_one_hot():
        o = np.zeros((labels.size, c), np.float32)
        o[np.arange(labels.size), labels] = 1
        return o

    benchmark(numpy_one_hot)


def test_one_hot_numpy_eye(benchmark, one_hot_case):
    name, labels, c, _ = one_hot_case
    benchmark.group = f"one_hot {name}"
    eye = np.eye(c, dtype=np.float32)
    benchmark(lambda: eye[labels])


@pytest.mark.parametrize("kind", ["prange", "serial"])
def test_one_hot_numba(benchmark, one_hot_case, numba_peers, kind):
    """numba into the preallocated buffer: the strongest peer (compiled and warmed here)."""
    name, labels, c, out = one_hot_case
    benchmark.group = f"one_hot {name}"
    fn = numba_peers[kind]["one_hot"]
    fn(labels, out)
    benchmark(fn, labels, out)
    np.testing.assert_array_equal(out.argmax(1), labels)


def test_one_hot_fastiter_out_1thread(benchmark, one_hot_case, one_thread):
    """fastiter on 1 thread: the twin of numba's serial loop."""
    name, labels, c, out = one_hot_case
    benchmark.group = f"one_hot {name}"
    benchmark(kernels.one_hot, labels, c, out=out)


def test_one_hot_torch(benchmark, one_hot_case):
    torch = pytest.importorskip("torch")
    name, labels, c, _ = one_hot_case
    benchmark.group = f"one_hot {name}"
    t = torch.from_numpy(labels)
    benchmark(lambda: torch.nn.functional.one_hot(t, c).float())


# ---------------------------------------------------------------- padding

@pytest.fixture(scope="module")
def pad_case(scale):
    rng = np.random.default_rng(3)
    n = scale(10_000, 16)
    lengths = rng.integers(1, 201, n)
    seqs = [rng.standard_normal((int(t), 8)).astype(np.float32) + 2 for t in lengths]
    T = int(lengths.max())
    return seqs, T, np.empty((n, 8, T), np.float32), np.empty((n, T), np.float32)


MODES = ["align_start", "align_end"]
INPUTS = ["list", "flat"]


def _pad_input(pad_case, form):
    """The sequences as a list, or as the flat (values, offsets) pair (built untimed)."""
    seqs = pad_case[0]
    if form == "list":
        return seqs
    from fastiter._bench_peers import flat_with_offsets

    return flat_with_offsets(seqs)


@pytest.mark.parametrize("form", INPUTS)
@pytest.mark.parametrize("mode", MODES)
def test_pad_fastiter_out(benchmark, pad_case, mode, form):
    seqs, T, out, mask = pad_case
    benchmark.group = f"pad {mode}"
    benchmark(kernels.pad_sequences, _pad_input(pad_case, form), mode=mode, out=out,
              mask_out=mask)
    assert mask.sum() == sum(len(s) for s in seqs)


@pytest.mark.parametrize("form", INPUTS)
@pytest.mark.parametrize("mode", MODES)
def test_pad_fastiter_alloc(benchmark, pad_case, mode, form):
    seqs, T, out, mask = pad_case
    benchmark.group = f"pad {mode}"
    x, m = benchmark(kernels.pad_sequences, _pad_input(pad_case, form), mode=mode)
    np.testing.assert_array_equal(m.sum(1), [len(s) for s in seqs])


@pytest.mark.parametrize("form", INPUTS)
@pytest.mark.parametrize("mode", MODES)
def test_pad_fastiter_out_1thread(benchmark, pad_case, mode, form, one_thread):
    """fastiter on 1 thread: the twin of numba's serial loop."""
    seqs, T, out, mask = pad_case
    benchmark.group = f"pad {mode}"
    benchmark(kernels.pad_sequences, _pad_input(pad_case, form), mode=mode, out=out,
              mask_out=mask)


@pytest.mark.parametrize("kind", ["prange", "serial"])
@pytest.mark.parametrize("mode", MODES)
def test_pad_numba(benchmark, pad_case, mode, numba_peers, kind):
    """numba into preallocated buffers, reading the flat (values, offsets) form it reads
    fastest (a reflected list is slow in numba), so it is the peer of both inputs."""
    seqs, T, out, mask = pad_case
    benchmark.group = f"pad {mode}"
    vals, offs = _pad_input(pad_case, "flat")
    fn = numba_peers[kind]["pad_mask_nft"]
    fn(vals, offs, out, mask, mode == "align_end")
    benchmark(fn, vals, offs, out, mask, mode == "align_end")
    x, m = kernels.pad_sequences(seqs, mode=mode)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(mask, m)


@pytest.mark.parametrize("mode", ["align_start", "align_end"])
def test_pad_ceiling_copy_and_zero(benchmark, pad_case, mode):
    """Ideal traffic: read and write the data once, write the padding and mask once."""
    seqs, T, out, mask = pad_case
    benchmark.group = f"pad {mode}"
    flat = np.concatenate(seqs)
    dst = out.reshape(-1)[:flat.size].reshape(flat.shape)
    rest = out.reshape(-1)[flat.size:]

    def ceiling():
        np.copyto(dst, flat)
        rest.fill(0)
        mask.fill(1)

    benchmark(ceiling)


@pytest.mark.parametrize("mode", ["align_start", "align_end"])
def test_pad_python_loop(benchmark, pad_case, mode):
    seqs, T, _, _ = pad_case
    benchmark.group = f"pad {mode}"

    def loop():
        x = np.zeros((len(seqs), 8, T), np.float32)
        m = np.zeros((len(seqs), T), np.float32)
        for i, s in enumerate(seqs):
            st = 0 if mode == "align_start" else T - len(s)
            x[i, :, st:st + len(s)] = s.T
            m[i, st:st + len(s)] = 1
        return x, m

    benchmark(loop)


@pytest.mark.parametrize("mode", ["align_start", "align_end"])
def test_pad_torch_pad_sequence(benchmark, pad_case, mode):
    torch = pytest.importorskip("torch")
    seqs, T, _, _ = pad_case
    benchmark.group = f"pad {mode}"
    ts = [torch.from_numpy(s) for s in seqs]
    lens = torch.tensor([len(s) for s in seqs])

    def torch_pad():
        side = "right" if mode == "align_start" else "left"
        x = torch.nn.utils.rnn.pad_sequence(ts, batch_first=True, padding_side=side)
        steps = torch.arange(x.shape[1])
        m = (steps[None] < lens[:, None]) if side == "right" else \
            (steps[None] >= x.shape[1] - lens[:, None])
        return x.transpose(1, 2), m.float()

    benchmark(torch_pad)
