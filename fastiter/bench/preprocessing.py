"""Normalizer cases: streaming fit and in-place transform against numpy
(bench/bench_preprocessing.py runs them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fastiter.bench._sizes import pick
from fastiter.bench.core import Case

__all__ = ["cases"]


def _check_transform(norm: Any, x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> None:
    head = x[:100].copy()
    norm.transform(head)
    np.testing.assert_allclose(head, (x[:100] - mean) / std, rtol=1e-4, atol=1e-4)


def cases(size: str = "full") -> list[Case]:
    """Streaming fit and in-place transform of NormalizerStandardize against numpy.

    >>> [c.group.split()[1] for c in cases("smoke")]
    ['fit', 'transform']
    """
    from fastiter.dataset import DataSet
    from fastiter.preprocessing.normalizers import NormalizerStandardize

    n, f, batch = pick(size, 1_000_000, 100_000, 20_000), 64, 16_384
    rng = np.random.default_rng(2026)
    x = (5.0 + 3.0 * rng.standard_normal((n, f), dtype=np.float32)).astype(np.float32)
    batches = [DataSet(x[lo : lo + batch]) for lo in range(0, n, batch)]
    norm = NormalizerStandardize()
    norm.fit(batches)
    mean, std = norm.get_mean().astype(np.float32), norm.get_std().astype(np.float32)
    work, out = x.copy(), np.empty_like(x)

    def numpy_in_place() -> None:
        np.subtract(work, mean, out=work)
        np.divide(work, std, out=work)

    return [
        Case(
            f"normalizer fit {n}x{f} f32",
            lambda: NormalizerStandardize().fit(batches),
            {
                "numpy mean+std f64 (whole array)": lambda: (
                    x.mean(axis=0, dtype=np.float64),
                    x.std(axis=0, dtype=np.float64),
                ),
                "numpy mean+std f32 (whole array)": lambda: (x.mean(axis=0), x.std(axis=0)),
            },
            x.nbytes,
            notes=["fastiter streams 16k-row batches with Chan's update"],
            key="normalizer fit",
            check=lambda: np.testing.assert_allclose(
                norm.get_mean(), x.mean(axis=0, dtype=np.float64), rtol=1e-4
            ),
        ),
        Case(
            f"normalizer transform {n}x{f} f32",
            lambda: norm.transform(work),
            {"numpy in place": numpy_in_place, "numpy (x - m) / s": lambda: (x - mean) / std},
            2 * x.nbytes,
            ceiling=lambda: np.copyto(out, x),
            key="normalizer transform",
            check=lambda: _check_transform(norm, x, mean, std),
        ),
    ]
