"""``fastiter bench`` cases for the normalizers (the pytest twin is bench/bench_preprocessing.py)."""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["cases"]


def cases(quick: bool = False) -> list[Any]:
    """Streaming fit and in-place transform of NormalizerStandardize against numpy.

    >>> [c.group.split()[1] for c in cases(quick=True)]
    ['fit', 'transform']
    """
    from fastiter.benchmark import Case
    from fastiter.dataset import DataSet
    from fastiter.preprocessing.normalizers import NormalizerStandardize

    n, f, batch = (100_000 if quick else 1_000_000), 64, 16_384
    rng = np.random.default_rng(2026)
    x = (5.0 + 3.0 * rng.standard_normal((n, f), dtype=np.float32)).astype(np.float32)
    batches = [DataSet(x[lo:lo + batch]) for lo in range(0, n, batch)]
    norm = NormalizerStandardize()
    norm.fit(batches)
    mean, std = norm.get_mean().astype(np.float32), norm.get_std().astype(np.float32)
    work, out = x.copy(), np.empty_like(x)

    def numpy_in_place() -> None:
        np.subtract(work, mean, out=work)
        np.divide(work, std, out=work)

    return [
        Case(f"normalizer fit {n}x{f} f32", lambda: NormalizerStandardize().fit(batches),
             {"numpy mean+std f64 (whole array)":
              lambda: (x.mean(axis=0, dtype=np.float64), x.std(axis=0, dtype=np.float64)),
              "numpy mean+std f32 (whole array)": lambda: (x.mean(axis=0), x.std(axis=0))},
             x.nbytes, notes=["fastiter streams 16k-row batches with Chan's update"]),
        Case(f"normalizer transform {n}x{f} f32", lambda: norm.transform(work),
             {"numpy in place": numpy_in_place, "numpy (x - m) / s": lambda: (x - mean) / std},
             2 * x.nbytes, ceiling=lambda: np.copyto(out, x)),
    ]
