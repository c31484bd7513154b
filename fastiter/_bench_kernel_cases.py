"""``fastiter bench`` cases for padding, gather, collate and random numbers (the pytest
twins are bench/bench_kernels*.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["cases"]


def _pad_case(quick: bool, torch: Any) -> Any:
    from fastiter import kernels
    from fastiter.benchmark import Case

    rng = np.random.default_rng(3)
    n = 2_000 if quick else 10_000
    lengths = rng.integers(1, 201, n)
    seqs = [rng.standard_normal((int(t), 8)).astype(np.float32) + 2 for t in lengths]
    t_max = int(lengths.max())
    out, mask = np.empty((n, 8, t_max), np.float32), np.empty((n, t_max), np.float32)
    flat = np.concatenate(seqs)
    dst, rest = out.reshape(-1)[:flat.size].reshape(flat.shape), out.reshape(-1)[flat.size:]

    def python_loop() -> None:
        x = np.zeros((n, 8, t_max), np.float32)
        m = np.zeros((n, t_max), np.float32)
        for i, s in enumerate(seqs):
            x[i, :, :len(s)] = s.T
            m[i, :len(s)] = 1

    def torch_pad() -> None:
        x = torch.nn.utils.rnn.pad_sequence(ts, batch_first=True)
        m = torch.arange(x.shape[1])[None] < lens[:, None]
        x.transpose(1, 2).contiguous(), m.float()

    def ceiling() -> None:  # the data copied once, the padding and the mask written once
        np.copyto(dst, flat)
        rest.fill(0)
        mask.fill(1)

    ts = [torch.from_numpy(s) for s in seqs] if torch else None
    lens = torch.tensor(lengths) if torch else None
    return Case(f"pad + mask {n} sequences (1-200 steps, F=8)",
                lambda: kernels.pad_sequences(seqs, mode="align_start", out=out,
                                              mask_out=mask),
                {"Python loop": python_loop,
                 "torch pad_sequence + mask": torch_pad if torch else None},
                out.nbytes + mask.nbytes, ceiling=ceiling)


def _gather_collate_cases(quick: bool, torch: Any) -> list[Any]:
    from fastiter import kernels
    from fastiter.benchmark import Case

    rng = np.random.default_rng(5)
    rows = 100_000 if quick else 1_000_000
    src = rng.standard_normal((rows, 128)).astype(np.float32) + 1
    idx = rng.integers(0, rows, 1024)
    out = np.empty((1024, 128), np.float32)
    block = src[:1024].copy()
    tsrc, tidx = (torch.from_numpy(src), torch.from_numpy(idx)) if torch else (None, None)
    items = [rng.standard_normal(128).astype(np.float32) + 1 for _ in range(1024)]
    default_collate = None
    if torch:
        from torch.utils.data import default_collate
    return [
        Case("gather 1024 rows x 128 f32 out=", lambda: kernels.gather(src, idx, out=out),
             {"np.take(out=)": lambda: np.take(src, idx, axis=0, out=out),
              "torch index_select": (lambda: tsrc.index_select(0, tidx)) if torch else None},
             out.nbytes, ceiling=lambda: np.copyto(out, block)),
        Case("collate 1024 x [128] f32 out=", lambda: kernels.collate(items, out=out),
             {"np.stack(out=)": lambda: np.stack(items, out=out),
              "torch default_collate": (lambda: default_collate(items)) if torch else None},
             out.nbytes, ceiling=lambda: np.copyto(out, block)),
    ]


def _random_case(quick: bool, torch: Any) -> Any:
    from fastiter import kernels
    from fastiter.benchmark import Case

    out = np.empty((4 if quick else 64) * 2**20, np.float32)
    gen = np.random.default_rng(7)
    tout = torch.from_numpy(out) if torch else None
    return Case(f"random uniform {out.size >> 20}M f32 ({kernels.get_num_threads()} threads)",
                lambda: kernels.random_uniform(out.shape, 7, out=out),
                {"numpy Generator.random(out=)":
                 lambda: gen.random(dtype=np.float32, out=out),
                 "torch uniform_": (lambda: tout.uniform_()) if torch else None},
                out.nbytes, ceiling=lambda: out.fill(1.0),
                notes=["fastiter's bits are the same for any thread count"])


def cases(quick: bool = False) -> list[Any]:
    """One case per kernel family, each with its peers (the ring's hand-off cases are in
    fastiter.iterators._bench_async_cases).

    >>> [c.group.split()[0] for c in cases(quick=True)]
    ['pad', 'gather', 'collate', 'random']
    """
    from fastiter.benchmark import _optional

    torch = _optional("torch")
    return [_pad_case(quick, torch), *_gather_collate_cases(quick, torch),
            _random_case(quick, torch)]
