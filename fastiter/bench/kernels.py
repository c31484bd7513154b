"""``fastiter bench`` cases for padding, gather, collate and random numbers (the pytest
twins are bench/bench_kernels*.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["cases", "one_hot_cases"]


def _trio(name: str, fastiter_out: Callable[[], Any], fastiter_alloc: Callable[[], Any],
          nb: dict[str, Callable[[], Any]] | None, peers: dict[str, Any], nbytes: int,
          ceiling: Callable[[], Any] | None) -> list[Any]:
    """A kernel's three rows: ``out=`` against numba prange and the other peers; on 1
    thread against numba's serial loop; allocating against its own ``out=`` twin."""
    from fastiter.benchmark import Case

    return [
        Case(f"{name} out=", fastiter_out,
             {"numba prange, preallocated": nb["prange"] if nb else None, **peers},
             nbytes, ceiling=ceiling),
        Case(f"{name} out=, 1 thread", fastiter_out,
             {"numba serial, preallocated": nb["serial"] if nb else None}, nbytes,
             threads=1),
        Case(f"{name} allocating", fastiter_alloc, {"fastiter out=": fastiter_out}, nbytes,
             notes=["target: the out= twin's ratio >= 1/1.3 = 0.77 (allocating within "
                    "1.3x of out=)"]),
    ]


def _numba() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    from fastiter import _bench_peers

    return _bench_peers.peers(True), _bench_peers.peers(False)


def one_hot_cases(quick: bool, torch: Any) -> list[Any]:
    """one-hot 1M x 10 and 100k x 1000 f32 (smaller with ``quick``)."""
    from fastiter import kernels

    rng = np.random.default_rng(2026)
    par, ser = _numba()
    cases = []
    for n, c in ((200_000, 10), (20_000, 1000)) if quick else ((1_000_000, 10),
                                                                 (100_000, 1000)):
        labels = rng.integers(0, c, n)
        out = np.empty((n, c), np.float32)
        nb = None
        if par:
            par["one_hot"](labels, out), ser["one_hot"](labels, out)  # compile, warm
            nb = {k: (lambda f=f["one_hot"], lab=labels, o=out: f(lab, o))
                  for k, f in (("prange", par), ("serial", ser))}

        def numpy_one_hot(n: int = n, c: int = c, labels: Any = labels) -> np.ndarray:
            o = np.zeros((n, c), np.float32)
            o[np.arange(n), labels] = 1
            return o

        tl = torch.from_numpy(labels) if torch else None
        peers = {"numpy zeros+fancy": numpy_one_hot,
                 "torch one_hot().float()":
                 (lambda tl=tl, c=c: torch.nn.functional.one_hot(tl, c).float())
                 if torch else None}
        cases += _trio(f"one_hot {n}x{c} f32",
                       lambda lab=labels, c=c, o=out: kernels.one_hot(lab, c, out=o),
                       lambda lab=labels, c=c: kernels.one_hot(lab, c), nb, peers,
                       out.nbytes, ceiling=lambda o=out: o.fill(1.0))
    return cases


def _pad_cases(quick: bool, torch: Any) -> list[Any]:
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
    from fastiter._bench_peers import flat_with_offsets

    vals, offs = flat_with_offsets(seqs)
    par, ser = _numba()
    cases = []
    for mode in ("align_start", "align_end"):
        end = mode == "align_end"
        nb = None
        if par:
            par["pad_mask_nft"](vals, offs, out, mask, end)
            ser["pad_mask_nft"](vals, offs, out, mask, end)
            nb = {k: (lambda f=f["pad_mask_nft"], e=end: f(vals, offs, out, mask, e))
                  for k, f in (("prange", par), ("serial", ser))}
        for form, src in (("list", seqs), ("flat+offsets", (vals, offs))):
            peers = ({"Python loop": python_loop,
                      "torch pad_sequence + mask": torch_pad if torch else None}
                     if mode == "align_start" and form == "list" else {})
            cases += _trio(f"pad + mask {mode} {form} {n} seqs (1-200 steps, F=8)",
                           lambda src=src, mode=mode: kernels.pad_sequences(
                               src, mode=mode, out=out, mask_out=mask),
                           lambda src=src, mode=mode: kernels.pad_sequences(src, mode=mode),
                           nb, peers, out.nbytes + mask.nbytes, ceiling=ceiling)
    return cases


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
    par, ser = _numba()
    nbp = nbs = None
    if par:
        par["gather"](src, idx, out), ser["gather"](src, idx, out)  # compile, warm
        nbp, nbs = (lambda: par["gather"](src, idx, out)), (lambda: ser["gather"](src, idx, out))
    return [
        Case("gather 1024 rows x 128 f32 out=", lambda: kernels.gather(src, idx, out=out),
             {"numba prange, preallocated": nbp,
              "np.take(out=)": lambda: np.take(src, idx, axis=0, out=out),
              "torch index_select": (lambda: tsrc.index_select(0, tidx)) if torch else None},
             out.nbytes, ceiling=lambda: np.copyto(out, block)),
        Case("gather 1024 rows x 128 f32 out=, 1 thread",
             lambda: kernels.gather(src, idx, out=out),
             {"numba serial, preallocated": nbs}, out.nbytes, threads=1),
        Case("collate 1024 x [128] f32 out=", lambda: kernels.collate(items, out=out),
             {"np.stack(out=)": lambda: np.stack(items, out=out),
              "torch default_collate": (lambda: default_collate(items)) if torch else None},
             out.nbytes, ceiling=lambda: np.copyto(out, block)),
    ]


def _random_cases(quick: bool, torch: Any) -> list[Any]:
    from fastiter import kernels
    from fastiter.benchmark import Case

    out = np.empty((4 if quick else 64) * 2**20, np.float32)
    gen = np.random.default_rng(7)
    tout = torch.from_numpy(out) if torch else None
    size = f"{out.size >> 20}M f32 ({kernels.get_num_threads()} threads)"
    return [
        Case(f"random uniform {size}",
             lambda: kernels.random_uniform(out.shape, 7, out=out),
             {"numpy Generator.random(out=)":
              lambda: gen.random(dtype=np.float32, out=out),
              "torch uniform_": (lambda: tout.uniform_()) if torch else None},
             out.nbytes, ceiling=lambda: out.fill(1.0),
             notes=["fastiter's bits are the same for any thread count"]),
        Case(f"random uniform {size} allocating", lambda: kernels.random_uniform(out.shape, 7),
             {"fastiter out=": lambda: kernels.random_uniform(out.shape, 7, out=out)},
             out.nbytes, notes=["target: the out= twin's ratio >= 0.77"]),
        Case(f"random normal {size} allocating", lambda: kernels.random_normal(out.shape, 7),
             {"fastiter out=": lambda: kernels.random_normal(out.shape, 7, out=out)},
             out.nbytes, notes=["target: the out= twin's ratio >= 0.77"]),
    ]


def cases(quick: bool = False) -> list[Any]:
    """One case per kernel family, each with its peers (the ring's hand-off cases are in
    fastiter.iterators._bench_async_cases).

    >>> sorted({c.group.split()[0] for c in cases(quick=True)})
    ['collate', 'gather', 'pad', 'random']
    """
    from fastiter.benchmark import _optional

    torch = _optional("torch")
    return [*_pad_cases(quick, torch), *_gather_collate_cases(quick, torch),
            *_random_cases(quick, torch)]
